"""Two-factor login in a real browser: a member sets it up from the QR page's key, then logs in with a code."""

import time

import pyotp
import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from .browser import browser, people  # noqa: F401
from .conftest import PASSWORD

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
