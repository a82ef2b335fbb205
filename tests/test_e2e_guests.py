"""A guest expert in a real browser: added by the police's coordinator, in by the mailed link and code.

The police's coordinator adds an expert as a guest on the meeting page → the
outbox worker sends the personal link over SMTP to tests/smtp_server.py → the
expert opens the link from that mail on a phone-sized screen, asks for a code,
enters the code from the second mail → reads the accepted agenda and downloads
the invitation. Every page is checked with axe-core, and none scrolls sideways.
"""

import re
from pathlib import Path

import icalendar
import pytest

from coordination.models import Guest
from coordination.outbox import send_due

from .agenda_support import add_item

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOT_PREFIX = "guest"
EXPERT = "eva.expert@expert.example"
PHONE = {"width": 390, "height": 844}


def mailed_to_expert(smtp_server, subject_start):
    """The text of the one mail to the expert whose subject starts so, once the worker has sent the outbox."""
    sent, failed = send_due()
    assert failed == 0
    [mail] = [
        r
        for r in smtp_server.received
        if r.rcpt_tos == [EXPERT] and r.message["Subject"].lstrip().startswith(subject_start)
    ]
    return mail.message.get_body(("plain",)).get_content()


def fits_the_phone(person):
    assert person.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], person.page.url


def test_a_guest_expert_opens_the_mailed_link_enters_the_mailed_code_reads_the_agenda_and_downloads_the_invitation(
    people,
    live_server,
    settings,
    smtp_server,
    scheduled_meeting,
    kommun,
    polisen,
    kommun_coordinator,
    polis_coordinator,
):
    settings.SITE_URL = live_server.url
    meeting = scheduled_meeting
    add_item(meeting, polisen, polis_coordinator, "Kameror i Gottsunda", accept_by=(kommun_coordinator, kommun))

    # The police's coordinator adds the expert as a guest.
    coordinator = people(polis_coordinator)
    coordinator.go(f"/meetings/{meeting.pk}/")
    coordinator.page.click(f"a[href='/meetings/{meeting.pk}/guests/{polisen.pk}/new/']")
    coordinator.page.fill("input[name='name']", "Eva Expert")
    coordinator.page.fill("input[name='email']", EXPERT)
    coordinator.shot("add-guest")
    coordinator.page.click("main button[type=submit]")
    coordinator.page.wait_for_url(f"**/meetings/{meeting.pk}/**")
    assert "Eva Expert" in coordinator.page.inner_text("#guests")
    coordinator.shot("guest-listed")

    # The personal link arrives by mail; the expert opens it on a phone.
    text = mailed_to_expert(smtp_server, "Du är inbjuden som gäst")
    link = re.search(rf"{re.escape(live_server.url)}/guest/\S+/", text).group()
    expert = people(None)
    expert.page.set_viewport_size(PHONE)
    expert.page.goto(link)
    expert.check()
    fits_the_phone(expert)
    expert.shot("personal-link")
    expert.page.click("main button[type=submit]")
    expert.page.wait_for_url("**/guest/code/")
    fits_the_phone(expert)

    # The code arrives by a second mail and is entered.
    code = re.search(r"^(\d{6})$", mailed_to_expert(smtp_server, "Din engångskod"), re.MULTILINE).group(1)
    expert.page.fill("input[name='code']", code)
    expert.shot("code")
    expert.page.click("main button[type=submit]")
    expert.page.wait_for_url(f"{live_server.url}/guest/")
    expert.check()
    fits_the_phone(expert)
    expert.shot("guest-meeting")
    assert "Kameror i Gottsunda" in expert.page.inner_text("#agenda")

    # The invitation, downloaded: the meeting's own calendar entry.
    with expert.page.expect_download() as download_info:
        expert.page.click("a[href='/guest/samrad.ics']")
    calendar = icalendar.Calendar.from_ical(Path(download_info.value.path()).read_bytes())
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == meeting.calendar_uid and calendar["METHOD"] == "PUBLISH"

    # The party revokes the link: the expert's open page is refused at the next step.
    guest = Guest.objects.get()
    coordinator.go(f"/meetings/{meeting.pk}/guests/{guest.pk}/revoke/")
    coordinator.page.click("main button[type=submit]")
    coordinator.page.wait_for_url(f"**/meetings/{meeting.pk}/**")
    expert.page.reload()
    assert "Länken är återkallad" in expert.page.inner_text("main")
    expert.check()
