"""The pages people expect of a public service: the accessibility statement and the privacy notice."""

from django.conf import settings
from django.shortcuts import render


def accessibility(request):
    context = {"contact": settings.CONTACT_EMAIL, "owner": settings.SERVICE_OWNER}
    return render(request, "pages/accessibility.html", context)


def privacy(request):
    context = {"contact": settings.CONTACT_EMAIL, "owner": settings.SERVICE_OWNER}
    return render(request, "pages/privacy.html", context)
