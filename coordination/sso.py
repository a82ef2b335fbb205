"""Single sign-on through each organisation's own OpenID Connect provider (settings.OIDC_PROVIDERS).

Authlib does the protocol: discovery, the authorization code flow with PKCE
(S256), the state, nonce and code verifier kept in the session, and the ID
token's signature (against the provider's published keys), issuer, audience,
expiry and nonce. Here is what is Samråd's own: which providers there are,
whom a provider's word lets in, and which sessions a provider made.

A provider vouches only for addresses in its ``email_domains``: otherwise one
organisation's provider could sign in as anyone in another organisation by
claiming their address.
"""

import enum
import functools
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, get_user_model
from django.contrib.auth.backends import ModelBackend

BACKEND = f"{__name__}.SingleSignOnBackend"
# What a provider's session keeps: the provider, and where its logout is (RP-initiated logout), or "".
SESSION_KEY = "samrad-sso"


class SingleSignOnBackend(ModelBackend):
    """The backend a provider's sessions are logged in with, so that Django's session names it.

    It accepts no credentials: a provider's word comes in only through the
    callback view, which has checked it.
    """

    def authenticate(self, request, **credentials):
        return None


class Refusal(enum.Enum):
    UNVERIFIED = "unverified"  # the provider has not verified the address
    OTHER_DOMAIN = "other_domain"  # the address is not in a domain this provider vouches for
    UNKNOWN = "unknown"  # nobody with this address has been invited


def provider(provider_id):
    return next((each for each in settings.OIDC_PROVIDERS if each["id"] == provider_id), None)


def provider_for_email(email):
    """The provider that vouches for this address's domain, or None."""
    domain = email.rpartition("@")[2].lower() if "@" in email else None
    return next((each for each in settings.OIDC_PROVIDERS if domain in each["email_domains"]), None)


def password_refused(user):
    """The provider a user must log in with, where local passwords are off for SSO users; else None."""
    if settings.LOCAL_PASSWORDS_FOR_SSO_USERS:
        return None
    return provider_for_email(user.email or "")


def client(chosen):
    return _client(chosen["id"], chosen["issuer"], chosen["client_id"], chosen["client_secret"], chosen["scopes"])


@functools.lru_cache(maxsize=64)
def _client(provider_id, issuer, client_id, client_secret, scopes):
    """One client per provider and process: its discovery document and keys are fetched once.

    A key the provider has rotated in since is fetched when a token names it.
    """
    # Here, not at the top: only a login through a provider needs authlib (views.sso._provider_errors).
    from authlib.integrations.django_client import OAuth

    return OAuth().register(
        name=provider_id,
        client_id=client_id,
        client_secret=client_secret,
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs={"scope": scopes, "code_challenge_method": "S256", "default_timeout": settings.OIDC_TIMEOUT},
    )


def match_user(chosen, claims):
    """The invited person the provider's checked claims name: ``(user, None)``, or ``(None, Refusal)``.

    Nobody is ever created here: a person gets in only after a coordinator
    has invited them by this address.
    """
    email = claims.get("email") or ""
    # Some providers write the boolean as a string.
    if claims.get("email_verified") not in (True, "true") or "@" not in email:
        return None, Refusal.UNVERIFIED
    if email.rpartition("@")[2].lower() not in chosen["email_domains"]:
        return None, Refusal.OTHER_DOMAIN
    users = list(get_user_model().objects.filter(email__iexact=email, is_active=True)[:2])
    if len(users) != 1:
        return None, Refusal.UNKNOWN
    return users[0], None


def remember_session(request, chosen, id_token, after_logout):
    """Note on a session just logged in which provider made it, and where its logout is.

    The logout address is made now, while the provider's metadata is at hand,
    so that logging out never waits for the provider.
    """
    logout_url = ""
    if client(chosen).load_server_metadata().get("end_session_endpoint"):
        logout_url = client(chosen).create_logout_url(post_logout_redirect_uri=after_logout, id_token_hint=id_token)
        logout_url = logout_url["url"]
    request.session[SESSION_KEY] = {"provider": chosen["id"], "logout_url": logout_url}


def signed_in_with_sso(request):
    # A request built without the session middleware (a test's, a management command's) has none.
    return getattr(request, "session", {}).get(BACKEND_SESSION_KEY) == BACKEND


def provider_logout_url(request):
    """Where a session a provider made goes when it ends here, so that it ends at the provider too; or ""."""
    return (request.session.get(SESSION_KEY) or {}).get("logout_url", "") if signed_in_with_sso(request) else ""


def provider_logout_origin(request):
    """The origin the logout form's redirect goes to (the CSP's form-action must allow it), or None."""
    url = provider_logout_url(request)
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
