"""Response headers that protect what the parties write, and the gate of required two-factor login."""

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import Resolver404, resolve
from django.utils.cache import add_never_cache_headers

from . import rules, two_factor


class PrivacyHeadersMiddleware:
    """Permissions-Policy on every response; Cache-Control: no-store on every page a logged-in user gets.

    A response that sets its own Cache-Control (the calendar feed, which
    calendars revalidate with ETags) keeps it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        if request.user.is_authenticated and not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response


class TwoFactorRequiredMiddleware:
    """Where two-factor login is required (rules.must_use_two_factor), a session without it reaches only the set-up.

    A user without a device is sent to set one up; one who has a device but a
    session that never gave a code (it began before the requirement) must log
    in again.
    """

    OPEN_URL_NAMES = {"two_factor_setup", "two_factor_start", "logout", "choose_language", "accessibility", "privacy", "healthz"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            settings.TWO_FACTOR_REQUIRED_FOR_COORDINATORS
            and user.is_authenticated
            and not user.is_verified()
            and resolve_name(request) not in self.OPEN_URL_NAMES
            and rules.must_use_two_factor(user)
        ):
            if two_factor.confirmed_device(user) is not None:
                logout(request)
                return redirect_to_login(request.get_full_path())
            return redirect("two_factor_setup")
        return self.get_response(request)


def resolve_name(request):
    try:
        return resolve(request.path_info).url_name
    except Resolver404:
        return None
