"""The pages people expect of a public service (accessibility statement, privacy notice), the health check
and the last-resort error page."""

import sys

from django.conf import settings
from django.contrib import admin
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.urls import reverse
from django.views import defaults
from django.views.decorators.cache import never_cache


def accessibility(request):
    context = {"contact": settings.CONTACT_EMAIL, "owner": settings.SERVICE_OWNER}
    return render(request, "pages/accessibility.html", context)


def privacy(request):
    context = {"contact": settings.CONTACT_EMAIL, "owner": settings.SERVICE_OWNER}
    return render(request, "pages/privacy.html", context)


@never_cache
def admin_login(request):
    """The admin's login, which the admin sends everyone to whom it does not let in.

    Whoever is not logged in goes on to the app's own login, so its lockout and
    two-factor step apply to the admin too. A logged-in user who is not an
    administrator is refused here: sent to the login, which sends a logged-in
    user back to the admin, they would go round in a loop.
    """
    if request.user.is_authenticated and not admin.site.has_permission(request):
        return render(request, "pages/admin_refused.html", status=403)
    query = request.META.get("QUERY_STRING", "")
    return redirect(f"{reverse('login')}?{query}" if query else reverse("login"))


@never_cache
def healthz(request):
    """For load balancers: 200 when the database answers, 503 when not. It says nothing more."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return HttpResponse("unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")


# How long a browser or a proxy is asked to wait before trying again while the database is away.
RETRY_AFTER_SECONDS = 30


@never_cache
def server_error(request):
    """Django's answer to an exception nothing else caught (settings' handler500).

    A database that cannot be reached (or drops the connection) is a 503, "try again shortly",
    not a 500. It is decided here, not in a middleware: Django turns an exception into a response
    at every middleware layer, so a middleware would never see a failure of the session or
    authentication middleware, while this handler is where every such exception ends, wherever
    it was raised — the view, a context processor, the session being loaded or saved. The page is
    rendered without a request, so without context processors: nothing in it touches the
    database. Django logs the exception with its traceback; the page shows none. Once the
    database answers again the next request gets a new connection (CONN_HEALTH_CHECKS), so
    the app recovers without a restart.
    """
    if isinstance(sys.exception(), (OperationalError, InterfaceError)):
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return defaults.server_error(request)
