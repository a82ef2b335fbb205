"""Logging in through an organisation's identity provider (coordination.sso): the way there and the way back."""

from django.conf import settings
from django.contrib.auth import login as auth_login
from django.http import Http404
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from .. import sso
from ..mail import site_url
from ..security import log_security_event
from .account import logged_in

# Where to go after the provider, chosen on the login page and kept across the visit to the provider.
NEXT = "samrad-sso-next"


def _provider_errors():
    """What a provider's answer or an unreachable provider raises. The OpenID libraries (authlib, joserfc,
    requests: about 19 MB) are imported by the first login through a provider, not by every web worker."""
    import requests
    from authlib.integrations.base_client import OAuthError
    from joserfc.errors import JoseError

    return (OAuthError, JoseError, requests.RequestException)


def _provider_or_404(provider_id):
    chosen = sso.provider(provider_id)
    if chosen is None:
        raise Http404
    return chosen


def _refused(request, message, status):
    return render(request, "registration/sso_refused.html", {"message": message}, status=status)


def _failed(request, chosen):
    message = _(
        "Logging in with %(provider)s could not be finished: its answer did not belong to this login, or it "
        "could not be reached. You are not logged in. Start again from the login page."
    ) % {"provider": chosen["name"]}
    return _refused(request, message, 400)


@require_safe
def sso_login(request, provider):
    """Off to the provider's login. A link, not a form: the CSP lets forms post only to the app itself."""
    chosen = _provider_or_404(provider)
    next_url = request.GET.get("next", "")
    safe = url_has_allowed_host_and_scheme(next_url, {request.get_host()}, require_https=request.is_secure())
    request.session[NEXT] = next_url if safe else ""
    callback = site_url(reverse("sso_callback", kwargs={"provider": chosen["id"]}))
    try:
        return sso.client(chosen).authorize_redirect(request, callback)
    except _provider_errors():
        log_security_event("sso_failed", request, provider=chosen["id"])
        return _failed(request, chosen)


@require_safe
def sso_callback(request, provider):
    """Back from the provider: the person it vouches for is logged in if a coordinator has invited them."""
    chosen = _provider_or_404(provider)
    try:
        token = sso.client(chosen).authorize_access_token(request)
    except _provider_errors():
        log_security_event("sso_failed", request, provider=chosen["id"])
        return _failed(request, chosen)
    claims = token.get("userinfo")
    if not claims:
        log_security_event("sso_failed", request, provider=chosen["id"])
        return _failed(request, chosen)
    user, refusal = sso.match_user(chosen, claims)
    if user is None:
        email = claims.get("email") or ""
        log_security_event(f"sso_refused_{refusal.value}", request, username=email, provider=chosen["id"])
        values = {"provider": chosen["name"], "email": email}
        messages = {
            sso.Refusal.UNVERIFIED: _(
                "%(provider)s has not confirmed your e-mail address, so Samråd cannot tell who you are. "
                "Ask your organisation's IT support to confirm your address with %(provider)s."
            ),
            sso.Refusal.OTHER_DOMAIN: _(
                "%(provider)s can log in only addresses of its own organisation, and %(email)s is not one of them. "
                "Log in with your own organisation's button."
            ),
            sso.Refusal.UNKNOWN: _(
                "%(provider)s has confirmed that you are %(email)s, but nobody with that address has been invited "
                "to Samråd. Ask a coordinator of your organisation's party in Samråd to invite you, then log in again."
            ),
        }
        return _refused(request, messages[refusal] % values, 403)
    next_url = request.session.pop(NEXT, "") or resolve_url(settings.LOGIN_REDIRECT_URL)
    auth_login(request, user, backend=sso.BACKEND)
    sso.remember_session(request, chosen, token["id_token"], site_url(reverse("login")))
    return logged_in(redirect(next_url), user)
