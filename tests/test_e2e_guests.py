"""A guest expert in a real browser: added by the police's coordinator, in by the mailed link and code.

The police's coordinator adds an expert as a guest on the meeting page → the
outbox worker sends the personal link over SMTP to tests/smtp_server.py → the
expert opens the link from that mail on a phone-sized screen, asks for a code,
enters the code from the second mail → reads the accepted agenda and downloads
the invitation. Every page is checked with axe-core, and none scrolls sideways.
"""

import pytest

from coordination.models import Guest

from .agenda_support import add_item
from .e2e_steps import add_guest, guest_comes_in, guest_downloads_the_invitation, on_a_phone

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOT_PREFIX = "guest"
EXPERT = "eva.expert@expert.example"


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
    add_guest(coordinator, meeting, polisen, name="Eva Expert", email=EXPERT)

    # The personal link arrives by mail; the expert opens it on a phone and enters the code from a second mail.
    expert = on_a_phone(people(None))
    guest_comes_in(expert, smtp_server, EXPERT)
    assert "Kameror i Gottsunda" in expert.page.inner_text("#agenda")

    # The invitation, downloaded: the meeting's own calendar entry.
    guest_downloads_the_invitation(expert, meeting)

    # The party revokes the link: the expert's open page is refused at the next step.
    guest = Guest.objects.get()
    coordinator.go(f"/meetings/{meeting.pk}/guests/{guest.pk}/revoke/")
    coordinator.page.click("main button[type=submit]")
    coordinator.page.wait_for_url(f"**/meetings/{meeting.pk}/**")
    expert.page.reload()
    assert "Länken är återkallad" in expert.page.inner_text("main")
    expert.check()
