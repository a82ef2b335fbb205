"""The core journey in a real headless Chromium, against the live server.

Coordinator proposes two times → the police answer → the county board answers
→ the convener confirms → an attendee is named → the county board's secretary
confirms attendance → the police download the .ics, which is parsed back.
Screenshots of each step land in test-artifacts/ for people to look at.
"""

import datetime
from pathlib import Path

import icalendar
import pytest

from coordination.models import Meeting, Slot
from coordination.times import STOCKHOLM

from .builders import create_meeting, next_weekday

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOT_PREFIX = "core"


def test_parties_agree_on_a_time_and_everyone_gets_the_invite(
    people, kommun, lansstyrelsen, polisen, kommun_coordinator, kommun_member, lansstyrelsen_secretary, polis_member
):
    meeting = create_meeting(kommun_coordinator, convening=[kommun, lansstyrelsen], required=[polisen])
    first, second = next_weekday(14), next_weekday(21)

    # The municipality's coordinator proposes two times and opens the meeting for answers.
    coordinator = people(kommun_coordinator)
    coordinator.go(f"/meetings/{meeting.pk}/")
    coordinator.page.click(f"a[href='/meetings/{meeting.pk}/slots/new/']")
    coordinator.page.fill("input[name='slots-0-date']", first.isoformat())
    coordinator.page.fill("input[name='slots-0-start_time']", "10:00")
    coordinator.page.fill("input[name='slots-1-date']", second.isoformat())
    coordinator.page.fill("input[name='slots-1-start_time']", "13:30")
    coordinator.page.fill("input[name='slots-1-end_time']", "15:00")
    coordinator.shot("propose-two-times")
    coordinator.page.click("main button[type=submit]")
    coordinator.page.click(f"form[action='/meetings/{meeting.pk}/open/'] button")
    coordinator.shot("open-for-answers")
    slots = list(Slot.objects.filter(meeting=meeting).order_by("start"))
    assert [s.start.astimezone(STOCKHOLM).time() for s in slots] == [datetime.time(10, 0), datetime.time(13, 30)]
    assert slots[1].end - slots[1].start == datetime.timedelta(minutes=90)

    # A member of the police answers for the police: yes to one, if need be to the other.
    police = people(polis_member)
    police.page.click(f"a[href='/meetings/{meeting.pk}/answers/{polisen.pk}/']")
    police.page.check(f"input[name='answer_{slots[0].pk}'][value='yes']")
    police.page.check(f"input[name='answer_{slots[1].pk}'][value='if_need_be']")
    police.page.fill(f"input[name='comment_{slots[1].pk}']", "Helst förmiddag")
    police.shot("police-answers")
    police.page.click("main button[type=submit]")
    police.page.wait_for_url(f"**/meetings/{meeting.pk}/")
    assert "Helst förmiddag" in police.page.inner_text("#slots")

    # The county board's secretary answers for the county board.
    secretary = people(lansstyrelsen_secretary)
    secretary.go(f"/meetings/{meeting.pk}/answers/{lansstyrelsen.pk}/")
    secretary.page.check(f"input[name='answer_{slots[0].pk}'][value='yes']")
    secretary.page.check(f"input[name='answer_{slots[1].pk}'][value='yes']")
    secretary.page.click("main button[type=submit]")
    secretary.page.wait_for_url(f"**/meetings/{meeting.pk}/")

    # The convener sees who said what, and confirms the first time.
    coordinator.go(f"/meetings/{meeting.pk}/")
    coordinator.shot("grid-ready-to-confirm")
    coordinator.page.click(f"a[href='/meetings/{meeting.pk}/slots/{slots[0].pk}/confirm/']")
    assert "Polisen" in coordinator.page.inner_text("main")
    coordinator.shot("confirm-step")
    coordinator.page.click("main form button[type=submit]")
    coordinator.page.wait_for_url(f"**/meetings/{meeting.pk}/")
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.SCHEDULED and meeting.confirmed_slot == slots[0]

    # The municipality names its chair as attendee; the county board's secretary confirms.
    coordinator.page.click(f"a[href='/meetings/{meeting.pk}/attendees/{kommun.pk}/new/']")
    coordinator.page.select_option("select[name='user']", label=kommun_member.get_full_name())
    coordinator.page.click("main button[type=submit]")
    coordinator.page.wait_for_url(f"**/meetings/{meeting.pk}/**")
    secretary.go(f"/meetings/{meeting.pk}/")
    attendee = meeting.attendees.get()
    secretary.page.click(f"form[action='/meetings/{meeting.pk}/attendees/{attendee.pk}/confirm/'] button")
    secretary.page.wait_for_url(f"**/meetings/{meeting.pk}/**")
    secretary.shot("attendance-confirmed")
    attendee.refresh_from_db()
    assert attendee.is_confirmed and attendee.confirmed_by == lansstyrelsen_secretary

    # The police add the meeting to their calendar; the file parses and says the same as the app.
    police.go(f"/meetings/{meeting.pk}/")
    with police.page.expect_download() as download_info:
        police.page.click(f"a[href='/meetings/{meeting.pk}/samrad.ics']")
    download = download_info.value
    assert download.suggested_filename == "dialog-om-utokat-samarbete.ics"
    calendar = icalendar.Calendar.from_ical(Path(download.path()).read_bytes())
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == meeting.calendar_uid
    assert event.decoded("DTSTART") == slots[0].start
    assert event["DTSTART"].params["TZID"] == "Europe/Stockholm"
    # A plain entry, not an invitation: the attendee's own invitation came by mail.
    assert calendar["METHOD"] == "PUBLISH" and "ATTENDEE" not in event


def test_a_coordinator_creates_a_meeting_and_invites_the_parties(
    people, kommun, lansstyrelsen, polisen, kommun_coordinator
):
    coordinator = people(kommun_coordinator)
    coordinator.page.click("a[href='/meetings/new/']")
    coordinator.check()
    coordinator.page.click("main button[type=submit]")  # empty: the errors are announced and tied to fields
    coordinator.shot("new-meeting-errors")
    coordinator.page.fill("input[name='title']", "Dialog om utökat samarbete")
    coordinator.page.fill("textarea[name='purpose']", "Trygghet i Gottsunda")
    coordinator.page.fill("input[name='location']", "Stadshuset, Uppsala")
    coordinator.page.check(f"input[name='convening'][value='{lansstyrelsen.pk}']")
    coordinator.page.check(f"input[name='required_parties'][value='{polisen.pk}']")
    coordinator.shot("new-meeting-filled")
    coordinator.page.click("main button[type=submit]")
    coordinator.page.wait_for_url("**/meetings/*/")
    coordinator.shot("new-meeting-created")
    meeting = Meeting.objects.get(title="Dialog om utökat samarbete")
    assert meeting.status == Meeting.Status.DRAFT
    assert {(i.party_id, i.role, i.required) for i in meeting.invitations.all()} == {
        (kommun.pk, "convening", True),
        (lansstyrelsen.pk, "convening", True),
        (polisen.pk, "invited", True),
    }
