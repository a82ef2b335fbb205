"""Two-factor login in a real browser: a member sets it up from the QR page's key, then logs in with a code."""

import time

import pyotp
import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from .browser import axe_violations
from .builders import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOT_PREFIX = "login"


def test_a_member_sets_up_two_factor_login_and_logs_in_with_a_code(people, polis_member):
    member = people(polis_member)
    page = member.page
    member.go("/account/")
    page.click("text=Slå på tvåstegsinloggning")
    page.wait_for_url(f"{member.base}/account/two-factor/")
    assert page.locator("img.qr-code").get_attribute("src").startswith("data:image/svg+xml")
    member.shot("qr-code")

    # The key as shown for typing in by hand is enough to make the codes.
    app = pyotp.TOTP(page.inner_text("#totp-key").replace(" ", ""))
    page.fill("#id_code", app.now())
    page.click("main button[type=submit]")
    page.wait_for_url(f"{member.base}/account/")
    assert "Tvåstegsinloggning är påslagen" in page.inner_text("main")
    assert TOTPDevice.objects.get(user=polis_member).confirmed

    page.click("header button[type=submit]:has-text('Logga ut')")
    page.wait_for_url(f"{member.base}/login/")
    page.fill("#id_username", polis_member.username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{member.base}/login/code/**")
    member.shot("code-step")
    # The code the set-up used cannot be used again: the next one, which the device accepts a step early.
    page.fill("#id_code", app.at(time.time() + app.interval))
    page.click("main button[type=submit]")
    page.wait_for_url(f"{member.base}/")
    assert "Mina möten" in page.inner_text("main")


def test_the_pages_before_login_have_no_axe_violations(browser, live_server, settings, polis_member):
    settings.AXES_FAILURE_LIMIT = 1
    context = browser.new_context(locale="sv-SE")
    page = context.new_page()
    page.goto(f"{live_server.url}/password-reset/")
    found = {"password reset": axe_violations(page)}
    page.fill("#id_email", polis_member.email)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/password-reset/sent/")
    found["password reset sent"] = axe_violations(page)
    page.goto(f"{live_server.url}/password-reset/x/y-z/")
    found["password reset with a bad link"] = axe_violations(page)
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "polis_member")
    page.fill("#id_password", "wrong password")
    page.click("main button[type=submit]")
    assert "För många försök" in page.inner_text("main h1")
    found["locked out"] = axe_violations(page)
    context.close()
    assert not any(found.values()), found
