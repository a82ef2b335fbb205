"""The chosen language, idle sessions, response headers that protect what the parties write, and the gate of
required two-factor login."""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver
from django.shortcuts import redirect
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_vary_headers

from . import rules, sso, two_factor


class IdleSessionMiddleware:
    """A logged-in session lives SESSION_COOKIE_AGE from its last renewal; activity renews it.

    Renewing means saving the session (and a new cookie expiry), so it is done
    only when the last renewal is SESSION_RENEW_SECONDS old: an idle session ends
    between SESSION_IDLE_HOURS and that much less after the last request.
    """

    KEY = "renewed_at"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = request.session
        if session.get("_auth_user_id"):
            now = int(time.time())
            if now - session.get(self.KEY, 0) >= settings.SESSION_RENEW_SECONDS:
                session[self.KEY] = now
        return self.get_response(request)


@receiver(user_logged_in, dispatch_uid="samrad-session-renewed-at-login")
def _renewed_at_login(sender, request, **kwargs):
    """A login saves the session anyway; noting it here spares the first page a second save."""
    request.session[IdleSessionMiddleware.KEY] = int(time.time())


class PrivacyHeadersMiddleware:
    """Permissions-Policy on every response; Cache-Control: no-store on every page a logged-in user gets.

    A response that sets its own Cache-Control (the calendar feed, which
    calendars revalidate with ETags) keeps it. A session that a provider made
    may post its logout on to the provider's logout (the CSP's form-action
    covers where a form's redirect goes).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        if request.user.is_authenticated and not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        if origin := sso.provider_logout_origin(request):
            response._csp_update = {"form-action": [origin]}
        return response


class TwoFactorRequiredMiddleware:
    """Where two-factor login is required (rules.must_use_two_factor), a session without it reaches only the set-up.

    A user without a device is sent to set one up; one who has a device but a
    session that never gave a code (it began before the requirement) must log
    in again.
    """

    OPEN_URL_NAMES = {
        "two_factor_setup",
        "two_factor_start",
        "logout",
        "choose_language",
        "accessibility",
        "privacy",
        "healthz",
    }

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            settings.TWO_FACTOR_REQUIRED_FOR_COORDINATORS
            and user.is_authenticated
            and not two_factor.session_verified(request)
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


class ChosenLanguageMiddleware:
    """Swedish unless the person chose English: the language cookie decides, never the browser's Accept-Language.

    The service is Swedish first; a browser set up in English would otherwise
    greet a Swedish civil servant in English. The choice is the cookie that
    choose_language sets, and that a login sets from the account's saved choice
    (views.account.logged_in), so it follows the person to a new browser.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ["Cookie"])
        response.headers.setdefault("Content-Language", language)
        return response
