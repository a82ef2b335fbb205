"""The pages people expect of a public service (accessibility statement, privacy notice) and the health check."""

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache


def accessibility(request):
    context = {"contact": settings.CONTACT_EMAIL, "owner": settings.SERVICE_OWNER}
    return render(request, "pages/accessibility.html", context)


def privacy(request):
    context = {"contact": settings.CONTACT_EMAIL, "owner": settings.SERVICE_OWNER}
    return render(request, "pages/privacy.html", context)


@never_cache
def healthz(request):
    """For load balancers: 200 when the database answers, 503 when not. It says nothing more."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return HttpResponse("unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")
