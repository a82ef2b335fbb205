"""The kallelse in a real headless Chromium: its print button prints, and its PDF downloads."""

import pytest
from django.conf import settings

from .builders import pdf_module

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOT_PREFIX = "kallelse"


def test_the_print_button_prints_and_the_pdf_downloads(people, scheduled_meeting, polis_member):
    police = people(polis_member)
    police.go(f"/meetings/{scheduled_meeting.pk}/kallelse/")
    page = police.page
    # The browser's print dialog cannot be driven: the button's call of window.print is what is checked.
    page.evaluate("window.print = () => { window.printed = true; }")

    page.get_by_role("button", name="Skriv ut").click()

    assert page.evaluate("window.printed") is True
    pdf_module()
    with page.expect_download() as download:
        page.get_by_role("link", name="Ladda ner som PDF").click()
    assert download.value.suggested_filename == f"kallelse-{scheduled_meeting.pk}.pdf"
    assert download.value.path().read_bytes().startswith(b"%PDF-")
    police.shot("kallelse")


def test_without_script_the_kallelse_offers_the_pdf_and_no_dead_button(browser, live_server, scheduled_meeting, client):
    client.force_login(scheduled_meeting.created_by)
    cookie = settings.SESSION_COOKIE_NAME
    context = browser.new_context(locale="sv-SE", java_script_enabled=False)
    context.add_cookies([{"name": cookie, "value": client.cookies[cookie].value, "url": live_server.url}])
    page = context.new_page()
    page.goto(f"{live_server.url}/meetings/{scheduled_meeting.pk}/kallelse/")

    assert page.get_by_role("button", name="Skriv ut").count() == 0
    assert page.get_by_role("link", name="Ladda ner som PDF").is_visible()
    context.close()
