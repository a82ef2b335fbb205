"""Single sign-on in a real browser: a member logs in through a local OpenID provider and logs out at both ends."""

import pytest

from .browser import axe_violations
from .e2e_steps import at_provider

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOT_PREFIX = "sso"


def through_provider(page, live_server, provider, sub):
    """From the login page to the provider, where the person with ``sub`` logs in, and back to the app."""
    page.goto(f"{live_server.url}/login/")
    page.click("text=Logga in med Polisen")
    at_provider(page, provider, sub)


def test_a_user_logs_in_through_the_local_openid_provider_and_out_again(
    browser, live_server, settings, oidc_provider, polis_member
):
    provider = oidc_provider()
    settings.OIDC_PROVIDERS = [provider.config("polisen", "Polisen", ["samrad.example"])]
    settings.SITE_URL = live_server.url
    provider.person("p-1", email=polis_member.email, email_verified=True)
    context = browser.new_context(locale="sv-SE")
    page = context.new_page()

    page.goto(f"{live_server.url}/login/")
    assert axe_violations(page) == []
    through_provider(page, live_server, provider, "p-1")
    page.wait_for_url(f"{live_server.url}/")
    assert "Mina möten" in page.inner_text("main")

    # The logout goes on to the provider (the page's CSP lets the form's redirect go there), and back.
    page.click("header button[type=submit]:has-text('Logga ut')")
    page.wait_for_url(f"{provider.issuer}/oauth2/end_session**")
    page.click("button:has-text('End session')")
    page.wait_for_url(f"{live_server.url}/login/**")
    page.goto(f"{live_server.url}/")
    page.wait_for_url(f"{live_server.url}/login/?next=/")
    context.close()


def test_a_person_nobody_invited_is_told_to_ask_a_coordinator(browser, live_server, settings, oidc_provider, db):
    provider = oidc_provider()
    settings.OIDC_PROVIDERS = [provider.config("polisen", "Polisen", ["samrad.example"])]
    settings.SITE_URL = live_server.url
    provider.person("p-2", email="okand@samrad.example", email_verified=True)
    context = browser.new_context(locale="sv-SE")
    page = context.new_page()
    through_provider(page, live_server, provider, "p-2")
    page.wait_for_url(f"{live_server.url}/sso/polisen/callback/**")
    assert "Be en samordnare för din organisations part" in page.inner_text("main")
    assert axe_violations(page) == []
    context.close()
