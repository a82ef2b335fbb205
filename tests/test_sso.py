"""Single sign-on against a real OpenID provider on a free port (tests/oidc_support.py).

Nothing of the protocol is mocked: the app fetches the discovery document,
sends the person to the provider with state, nonce and a PKCE challenge,
exchanges the code over HTTP, and checks the ID token's signature and nonce.
The person "at the provider" is played by HTTP requests to its login form.
"""

import html
import logging
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
import requests
from django.contrib.auth import BACKEND_SESSION_KEY, get_user_model
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from coordination import sso
from coordination.models import OutboxMessage

from .builders import PASSWORD, activation_link, path_of, run_django

pytestmark = pytest.mark.django_db
SECURITY = "samrad.security"


@pytest.fixture
def police_provider(oidc_provider, settings):
    provider = oidc_provider()
    settings.OIDC_PROVIDERS = [provider.config("polisen", "Polisen", ["samrad.example"])]
    return provider


def with_query(url, **changes):
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def sign_in(client, provider_id, sub, *, authorize=lambda url: url, back=lambda url: url, start=None):
    """The journey through the provider; ``authorize`` and ``back`` may change the URLs on the way.

    ``start``: the sign-in button's address, where it carries where to land (?next=...).
    """
    going = client.get(start or reverse("sso_login", kwargs={"provider": provider_id}))
    assert going.status_code == 302
    at_provider = requests.post(authorize(going["Location"]), data={"sub": sub}, allow_redirects=False, timeout=5)
    assert at_provider.status_code == 302, at_provider.text
    callback = urlsplit(back(at_provider.headers["Location"]))
    return client.get(callback.path, dict(parse_qsl(callback.query)))


def test_an_invited_person_whose_provider_verified_the_address_is_logged_in(
    client, police_provider, polis_member, caplog
):
    police_provider.person("p-123", email="Polis_Member@Samrad.Example", email_verified=True)
    going = client.get(reverse("sso_login", kwargs={"provider": "polisen"}))
    request = dict(parse_qsl(urlsplit(going["Location"]).query))
    assert going["Location"].startswith(f"{police_provider.issuer}/oauth2/authorize?")
    assert request["code_challenge_method"] == "S256" and request["nonce"] and request["state"]
    assert request["scope"] == "openid email profile"

    with caplog.at_level(logging.INFO, logger=SECURITY):
        response = sign_in(client, "polisen", "p-123")

    assert (response.status_code, response["Location"]) == (302, reverse("my_meetings"))
    assert client.session[BACKEND_SESSION_KEY] == sso.BACKEND
    assert int(client.session["_auth_user_id"]) == polis_member.pk
    assert client.get(reverse("my_meetings")).status_code == 200
    assert f"sso_login user_id={polis_member.pk} username='polis_member'" in caplog.text


def test_the_login_page_has_a_button_for_each_provider_and_each_works(
    client, oidc_provider, settings, polis_member, lansstyrelsen_secretary
):
    police, county = oidc_provider(), oidc_provider()
    settings.OIDC_PROVIDERS = [
        police.config("polisen", "Polisen", ["samrad.example"]),
        county.config("lansstyrelsen", "Länsstyrelsen", ["lst.example"]),
    ]
    page = client.get(reverse("login")).content.decode()
    assert "Logga in med Polisen" in page and "Logga in med Länsstyrelsen" in page
    assert reverse("sso_login", kwargs={"provider": "lansstyrelsen"}) in page

    police.person("p-1", email=polis_member.email, email_verified=True)
    assert sign_in(client, "polisen", "p-1").status_code == 302
    assert int(client.session["_auth_user_id"]) == polis_member.pk
    client.post(reverse("logout"))

    lansstyrelsen_secretary.email = "handlaggare@lst.example"
    lansstyrelsen_secretary.save()
    county.person("l-1", email="handlaggare@lst.example", email_verified=True)
    assert sign_in(client, "lansstyrelsen", "l-1").status_code == 302
    assert int(client.session["_auth_user_id"]) == lansstyrelsen_secretary.pk


def test_no_button_without_providers(client, db):
    assert "Logga in med" not in client.get(reverse("login")).content.decode()


def test_an_address_the_provider_has_not_verified_is_refused(client, police_provider, polis_member):
    police_provider.person("p-2", email=polis_member.email, email_verified=False)
    response = sign_in(client, "polisen", "p-2")
    assert response.status_code == 403
    assert "Polisen har inte bekräftat din e-postadress" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_address_outside_the_providers_domains_is_refused(client, police_provider, lansstyrelsen_secretary):
    police_provider.person(
        "p-3", email=lansstyrelsen_secretary.email.replace("samrad.example", "lst.example"), email_verified=True
    )
    response = sign_in(client, "polisen", "p-3")
    assert response.status_code == 403
    assert "kan bara logga in adresser" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_person_nobody_invited_gets_no_access_and_no_account(client, police_provider, polis_member, caplog):
    police_provider.person("p-4", email="okand@samrad.example", email_verified=True)
    accounts = get_user_model().objects.count()
    with caplog.at_level(logging.INFO, logger=SECURITY):
        response = sign_in(client, "polisen", "p-4")
    assert response.status_code == 403
    page = response.content.decode()
    assert "ingen med den adressen är inbjuden" in page and "samordnare" in page
    assert get_user_model().objects.count() == accounts
    assert "_auth_user_id" not in client.session
    assert "sso_refused_unknown user_id=- username='okand@samrad.example' provider=polisen" in caplog.text


@pytest.mark.parametrize(
    "tamper",
    [
        {"back": lambda url: with_query(url, state="forged-state")},
        {"authorize": lambda url: with_query(url, nonce="another-nonce")},
        {"back": lambda url: with_query(url, code="forged-code")},
    ],
    ids=["state", "nonce", "code"],
)
def test_a_tampered_answer_is_refused_with_a_clear_page(client, police_provider, polis_member, tamper, caplog):
    police_provider.person("p-5", email=polis_member.email, email_verified=True)
    with caplog.at_level(logging.INFO, logger=SECURITY):
        response = sign_in(client, "polisen", "p-5", **tamper)
    assert response.status_code == 400
    assert "Inloggningen med Polisen kunde inte slutföras" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert "sso_failed user_id=- username='' provider=polisen" in caplog.text


def test_a_provider_that_cannot_be_reached_gives_the_clear_page(client, settings, oidc_provider, db):
    provider = oidc_provider()
    config = provider.config("polisen", "Polisen", ["samrad.example"])
    provider.server.shutdown()
    provider.server.server_close()
    settings.OIDC_PROVIDERS = [config]
    response = client.get(reverse("sso_login", kwargs={"provider": "polisen"}))
    assert response.status_code == 400
    assert "kunde inte slutföras" in response.content.decode()


def test_an_unknown_provider_is_not_found(client, police_provider):
    assert client.get(reverse("sso_login", kwargs={"provider": "okand"})).status_code == 404
    assert client.get(reverse("sso_callback", kwargs={"provider": "okand"})).status_code == 404


def test_logout_ends_the_session_here_and_at_the_provider(client, police_provider, polis_member, caplog):
    police_provider.person("p-6", email=polis_member.email, email_verified=True)
    sign_in(client, "polisen", "p-6")
    page = client.get(reverse("my_meetings"))
    # The logout form's redirect to the provider is allowed by the page's CSP.
    assert f"form-action 'self' {police_provider.issuer}" in page["Content-Security-Policy"]

    with caplog.at_level(logging.INFO, logger=SECURITY):
        response = client.post(reverse("logout"))
    assert response["Location"].startswith(f"{police_provider.issuer}/oauth2/end_session?")
    query = dict(parse_qsl(urlsplit(response["Location"]).query))
    assert query["id_token_hint"] and query["post_logout_redirect_uri"].endswith(reverse("login"))
    assert "_auth_user_id" not in client.session
    assert f"sso_logout user_id={polis_member.pk}" in caplog.text

    # At the provider the person confirms, and is sent back to the login page.
    form = requests.get(response["Location"], timeout=5)
    assert form.status_code == 200
    confirmed = requests.post(
        f"{police_provider.issuer}/oauth2/end_session/confirm",
        data={"redirect_uri": query["post_logout_redirect_uri"]},
        allow_redirects=False,
        timeout=5,
    )
    assert urlsplit(confirmed.headers["Location"]).path == reverse("login")


def test_a_password_session_logs_out_here_only(client, police_provider, polis_member):
    client.force_login(polis_member)
    assert client.post(reverse("logout"))["Location"] == reverse("login")


def test_with_local_passwords_off_an_sso_user_cannot_log_in_with_a_password(
    client, police_provider, settings, polis_member, lansstyrelsen_secretary
):
    settings.LOCAL_PASSWORDS_FOR_SSO_USERS = False
    lansstyrelsen_secretary.email = "handlaggare@lst.example"
    lansstyrelsen_secretary.save()
    response = client.post(reverse("login"), {"username": "polis_member", "password": PASSWORD})
    assert response.status_code == 200
    assert "Ditt konto loggar in med Polisen" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Someone outside every provider's domains still logs in with a password.
    response = client.post(reverse("login"), {"username": lansstyrelsen_secretary.username, "password": PASSWORD})
    assert response.status_code == 302


def test_with_local_passwords_on_an_sso_user_may_still_use_a_password(client, police_provider, polis_member):
    response = client.post(reverse("login"), {"username": "polis_member", "password": PASSWORD})
    assert response.status_code == 302


def test_with_local_passwords_off_a_password_reset_sends_an_sso_user_nothing_and_says_the_same(
    client, police_provider, settings, polis_member, lansstyrelsen_secretary
):
    settings.LOCAL_PASSWORDS_FOR_SSO_USERS = False
    lansstyrelsen_secretary.email = "handlaggare@lst.example"
    lansstyrelsen_secretary.save()
    for_sso = client.post(reverse("password_reset"), {"email": polis_member.email})
    for_other = client.post(reverse("password_reset"), {"email": lansstyrelsen_secretary.email})
    assert for_sso.status_code == for_other.status_code == 302
    assert for_sso["Location"] == for_other["Location"]
    assert list(OutboxMessage.objects.values_list("recipient", flat=True)) == [lansstyrelsen_secretary.email]


def test_after_sso_no_code_is_asked_where_two_factor_login_is_required(
    client, police_provider, settings, polis_coordinator, polis_secretary
):
    settings.TWO_FACTOR_REQUIRED_FOR_COORDINATORS = True
    TOTPDevice.objects.create(user=polis_coordinator, name="TOTP", confirmed=True)
    police_provider.person("p-7", email=polis_coordinator.email, email_verified=True)
    police_provider.person("p-8", email=polis_secretary.email, email_verified=True)

    sign_in(client, "polisen", "p-7")
    assert client.get(reverse("my_meetings")).status_code == 200
    client.post(reverse("logout"))
    # Without a device of their own, neither is the user sent to set one up.
    sign_in(client, "polisen", "p-8")
    assert client.get(reverse("my_meetings")).status_code == 200

    # The same user with a password session is still asked.
    client.logout()
    client.force_login(polis_secretary)
    assert client.get(reverse("my_meetings"))["Location"] == reverse("two_factor_setup")


BAD_PROVIDERS = {
    "missing secret": (
        '[{"id": "polisen", "name": "Polisen", "issuer": "https://login.polisen.example", "client_id": "samrad",'
        ' "email_domains": ["polisen.example"]}]',
        "OIDC_PROVIDERS, provider polisen: 'client_secret' must be given",
    ),
    "not JSON": ("polisen", "OIDC_PROVIDERS must be a JSON list of providers"),
    "no domains": (
        '[{"id": "polisen", "name": "Polisen", "issuer": "https://login.polisen.example", "client_id": "samrad",'
        ' "client_secret": "x"}]',
        "'email_domains' must list the e-mail domains it vouches for",
    ),
    "plain http": (
        '[{"id": "polisen", "name": "Polisen", "issuer": "http://login.polisen.example", "client_id": "samrad",'
        ' "client_secret": "x", "email_domains": ["polisen.example"]}]',
        "OIDC_PROVIDERS: the issuer of 'polisen' must be an https:// address",
    ),
}


@pytest.mark.parametrize("case", BAD_PROVIDERS)
def test_production_refuses_to_start_with_a_provider_configured_wrong(case):
    from .test_security import PRODUCTION_ENV

    value, message = BAD_PROVIDERS[case]
    result = run_django({**PRODUCTION_ENV, "OIDC_PROVIDERS": value}, "check")
    assert result.returncode != 0
    assert message in result.stderr


def test_production_starts_with_providers_configured_right():
    from .test_security import PRODUCTION_ENV

    value = (
        '[{"id": "polisen", "name": "Polisen", "issuer": "https://login.polisen.example/", "client_id": "samrad",'
        ' "client_secret": "x", "email_domains": ["Polisen.example"]}]'
    )
    result = run_django({**PRODUCTION_ENV, "OIDC_PROVIDERS": value}, "check")
    assert result.returncode == 0, result.stderr


# The activation link of a person whose organisation has single sign-on (issue 15: "to set a password — or to
# sign in with SSO where configured").


@pytest.fixture
def region_provider(oidc_provider, settings):
    provider = oidc_provider()
    settings.OIDC_PROVIDERS = [provider.config("regionen", "Region Uppsala", ["region.example"])]
    return provider


def open_activation(client, message):
    opened = client.get(path_of(activation_link(message)))
    assert opened.status_code == 302
    return opened.url, client.get(opened.url)


def test_the_activation_link_offers_the_organisations_sign_in_and_it_lands_on_the_meeting(
    client, region_provider, region_invited, meeting
):
    region_provider.person("r-1", email="lindstrom.asa@region.example", email_verified=True)
    _form_url, page = open_activation(client, region_invited)
    text = page.content.decode()
    assert "Logga in med Region Uppsala" in text and 'name="new_password1"' in text

    [button] = re.findall(r'href="([^"]*/sso/regionen/[^"]*)"', text)
    response = sign_in(client, "regionen", "r-1", start=html.unescape(button))

    assert response.status_code == 302 and response["Location"] == reverse("meeting_detail", args=[meeting.pk])
    assert client.session[BACKEND_SESSION_KEY] == sso.BACKEND


def test_with_local_passwords_off_the_activation_link_offers_only_the_organisations_sign_in(
    client, settings, region_provider, region_invited
):
    settings.LOCAL_PASSWORDS_FOR_SSO_USERS = False
    form_url, page = open_activation(client, region_invited)
    assert "Logga in med Region Uppsala" in page.content.decode()
    assert 'name="new_password1"' not in page.content.decode()

    posted = client.post(form_url, {"new_password1": "ett-långt-lösenord-1", "new_password2": "ett-långt-lösenord-1"})

    assert posted.status_code == 403
    assert not get_user_model().objects.get(email__iexact="lindstrom.asa@region.example").has_usable_password()
