"""Every calendar file Samråd produces, read by two independent parsers: icalendar and vobject.

The download, each e-mail's inline part and its attachment, and the feed must
say the same thing to both: the same UID, SEQUENCE, instant in UTC, and text.
"""

import datetime
import email

import icalendar
import pytest
import vobject
from django.core import mail
from django.urls import reverse

from coordination.models import Meeting, Slot
from coordination.outbox import send_due
from coordination.services import attendance, feeds, meetings
from coordination.times import STOCKHOLM

UTC = datetime.UTC
TITLE = "Dialog om utökat samarbete; NOA, kameror & Gottsunda – åäö ÅÄÖ"
DESCRIPTION = ("Syfte: trygghet, samverkan; långsiktigt förebyggande arbete i Gottsunda/Valsätra. " * 30)[:2000]


@pytest.fixture
def produced(
    client, scheduled_meeting, kommun, lansstyrelsen, polisen, kommun_coordinator, polis_coordinator, polis_member
):
    """A scheduled meeting with a hostile-looking title and a 2,000-character purpose, and every file made of it."""

    def files(day=None, hour=10):
        meeting = Meeting.objects.get(pk=scheduled_meeting.pk)
        if day is not None:
            start = datetime.datetime.combine(day, datetime.time(hour), tzinfo=STOCKHOLM)
            Slot.objects.filter(pk=meeting.confirmed_slot_id).update(
                start=start, end=start + datetime.timedelta(hours=2)
            )
        details = {name: getattr(meeting, name) for name in meetings.DETAIL_FIELDS}
        meetings.save_meeting(
            meeting=meeting,
            by=kommun_coordinator,
            party=kommun,
            details={**details, "title": TITLE, "purpose": DESCRIPTION},
            convening={kommun, lansstyrelsen},
            required={polisen},
            optional=set(),
        )
        attendance.name_attendee(
            meeting=meeting, party=polisen, by=polis_coordinator, name="Rikspolischef, NOA", email="rpc@polisen.example"
        )
        mail.outbox.clear()
        send_due()
        result = {}
        client.force_login(polis_member)
        result["download"] = client.get(reverse("meeting_ics", args=[meeting.pk])).content
        token = feeds.new_feed_token(polis_member)
        result["feed"] = client.get(reverse("feed", args=[token])).content
        message = email.message_from_bytes(mail.outbox[-1].message().as_bytes())
        [inline] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
        [attached] = [p for p in message.walk() if p.get_filename() == "invite.ics"]
        result["mail inline"] = inline.get_payload(decode=True)
        result["mail attachment"] = attached.get_payload(decode=True)
        return Meeting.objects.get(pk=meeting.pk), result

    return files


def both(body):
    """The one VEVENT as icalendar and as vobject read it."""
    [event] = icalendar.Calendar.from_ical(body).walk("VEVENT")
    parsed = vobject.readOne(body.decode("utf-8"))
    return event, parsed.vevent


@pytest.mark.parametrize("kind", ["download", "feed", "mail inline", "mail attachment"])
def test_both_parsers_read_the_same_event(produced, kind):
    meeting, files = produced()
    event, vevent = both(files[kind])
    assert str(event["UID"]) == vevent.uid.value == meeting.calendar_uid
    assert event["SEQUENCE"] == int(vevent.sequence.value)
    assert (
        event.decoded("DTSTART").astimezone(UTC) == vevent.dtstart.value.astimezone(UTC) == meeting.confirmed_slot.start
    )
    assert event.decoded("DTEND").astimezone(UTC) == vevent.dtend.value.astimezone(UTC) == meeting.confirmed_slot.end
    assert str(event["SUMMARY"]) == vevent.summary.value == TITLE
    assert str(event["DESCRIPTION"]).startswith(DESCRIPTION) and vevent.description.value.startswith(DESCRIPTION)


def test_the_mail_attachment_is_the_inline_part_byte_for_byte(produced):
    _, files = produced()
    assert files["mail inline"] == files["mail attachment"]


def test_the_mail_carries_attendees_and_the_feed_does_not(produced):
    _, files = produced()
    assert "ATTENDEE" in both(files["mail inline"])[0]
    assert "ATTENDEE" not in both(files["feed"])[0]
    assert b"rpc@polisen.example" not in files["feed"]


@pytest.mark.parametrize(
    "day, utc_hour",
    [
        (datetime.date(2027, 3, 26), 9),  # Friday before summer time
        (datetime.date(2027, 3, 29), 8),  # Monday after it began on 28 March
        (datetime.date(2027, 10, 29), 8),  # Friday before it ends
        (datetime.date(2027, 11, 1), 9),  # Monday after it ended on 31 October
    ],
)
@pytest.mark.parametrize("kind", ["download", "mail inline", "feed"])
def test_meetings_in_the_weeks_of_the_clock_changes_have_the_right_instant_in_both_parsers(
    produced, polis_member, day, utc_hour, kind
):
    meeting, files = produced(day=day)
    expected = datetime.datetime.combine(day, datetime.time(utc_hour), tzinfo=UTC)
    if kind == "feed":
        # The feed reaches 90 days back and a year ahead: read it as on the day before the meeting.
        files["feed"] = feeds.build_feed(polis_member, expected - datetime.timedelta(days=1))
    event, vevent = both(files[kind])
    assert event.decoded("DTSTART").astimezone(UTC) == expected
    assert vevent.dtstart.value.astimezone(UTC) == expected


def test_reschedule_keeps_the_uid_and_raises_the_sequence_in_both_parsers(produced, slots, kommun, kommun_coordinator):
    meeting, files = produced()
    before = both(files["mail inline"])
    meetings.reschedule(meeting=meeting, by=kommun_coordinator, party=kommun, reason="Krock", slot=slots[1])
    mail.outbox.clear()
    send_due()
    [inline] = [p for p in mail.outbox[0].message().walk() if p.get_content_type() == "text/calendar"]
    after = both(inline.get_payload(decode=True))
    assert after[1].uid.value == before[1].uid.value
    assert int(after[1].sequence.value) > int(before[1].sequence.value)
    assert after[1].dtstart.value.astimezone(UTC) == slots[1].start


def test_a_cancellation_is_cancel_in_both_parsers(produced, kommun, kommun_coordinator):
    meeting, _ = produced()
    meetings.cancel_meeting(meeting=meeting, by=kommun_coordinator, party=kommun, reason="Inställt")
    mail.outbox.clear()
    send_due()
    [inline] = [p for p in mail.outbox[0].message().walk() if p.get_content_type() == "text/calendar"]
    body = inline.get_payload(decode=True)
    assert icalendar.Calendar.from_ical(body)["METHOD"] == "CANCEL"
    parsed = vobject.readOne(body.decode())
    assert parsed.method.value == "CANCEL"
    assert parsed.vevent.status.value == "CANCELLED"
