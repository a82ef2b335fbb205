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

from coordination.models import Meeting, Profile, Slot
from coordination.outbox import send_due
from coordination.services import attendance, feeds, meetings
from coordination.times import STANDARD_TIME, STOCKHOLM, SUMMER_TIME, stockholm_datetime

UTC = datetime.UTC
TITLE = "Dialog om utökat samarbete; NOA, kameror & Gottsunda – åäö ÅÄÖ"
DESCRIPTION = ("Syfte: trygghet, samverkan; långsiktigt förebyggande arbete i Gottsunda/Valsätra. " * 30)[:2000]


@pytest.fixture
def produced(
    client, scheduled_meeting, kommun, lansstyrelsen, polisen, kommun_coordinator, polis_coordinator, polis_member
):
    """A scheduled meeting with a hostile-looking title and a 2,000-character purpose, and every file made of it."""

    def files(day=None, hour=10, *, start=None, length=datetime.timedelta(hours=2), **changes):
        meeting = Meeting.objects.get(pk=scheduled_meeting.pk)
        if day is not None:
            start = datetime.datetime.combine(day, datetime.time(hour), tzinfo=STOCKHOLM)
        if start is not None:
            # Added in UTC: an aware Stockholm time plus an hour is the next wall-clock hour, not an hour later.
            start = start.astimezone(UTC)
            Slot.objects.filter(pk=meeting.confirmed_slot_id).update(start=start, end=start + length)
        details = {name: getattr(meeting, name) for name in meetings.DETAIL_FIELDS}
        meetings.save_meeting(
            meeting=meeting,
            by=kommun_coordinator,
            party=kommun,
            details={**details, "title": TITLE, "purpose": DESCRIPTION, **changes},
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


def utc_times(body):
    """DTSTART and DTEND in UTC as each parser reads them: [(icalendar's), (vobject's)]."""
    event, vevent = both(body)
    return [
        (event.decoded("DTSTART").astimezone(UTC), event.decoded("DTEND").astimezone(UTC)),
        (vevent.dtstart.value.astimezone(UTC), vevent.dtend.value.astimezone(UTC)),
    ]


HOUR = datetime.timedelta(hours=1)


@pytest.mark.parametrize(
    "wall_clock, repeated_hour, length",
    [
        (datetime.time(2, 30), SUMMER_TIME, HOUR),  # the first 02:30, ending at the second
        (datetime.time(2, 30), STANDARD_TIME, HOUR),  # the second 02:30, an hour later
        (datetime.time(1, 30), None, 3 * HOUR),  # 01:30 to 03:30 across the change: three hours
        (datetime.time(1, 30), None, 2 * HOUR),  # ends in the repeated hour, at the second 02:30
    ],
)
def test_the_autumns_repeated_hour_keeps_its_instants_and_lengths_in_every_file(
    produced, polis_member, clock_changes, wall_clock, repeated_hour, length
):
    start = stockholm_datetime(clock_changes.autumn, wall_clock, repeated_hour)
    meeting, files = produced(start=start, length=length)
    # The feed reaches 90 days back and a year ahead: read it as on the day before the meeting.
    files["feed"] = feeds.build_feed(polis_member, start - datetime.timedelta(days=1))
    expected = (start.astimezone(UTC), start.astimezone(UTC) + length)
    assert (meeting.confirmed_slot.start, meeting.confirmed_slot.end) == expected
    for kind in ("download", "mail attachment", "feed"):
        assert utc_times(files[kind]) == [expected, expected], kind


def test_an_ordinary_time_stays_in_stockholm_time_and_only_the_repeated_hour_is_utc(produced, clock_changes):
    """Outlook shows a TZID time in its zone; UTC is kept for the instants a wall-clock time cannot name."""
    second = stockholm_datetime(clock_changes.autumn, datetime.time(2, 30), STANDARD_TIME)
    _, files = produced(start=second, length=HOUR)
    assert f"DTSTART:{second.astimezone(UTC):%Y%m%dT%H%M%SZ}".encode() in files["download"]
    assert b"DTEND;TZID=Europe/Stockholm:" in files["download"]  # 03:30 happens once


def test_the_download_is_a_plain_entry_and_the_invitation_a_request(produced):
    _, files = produced()
    download = files["download"]
    assert icalendar.Calendar.from_ical(download)["METHOD"] == vobject.readOne(download.decode()).method.value
    assert vobject.readOne(download.decode()).method.value == "PUBLISH"
    event, vevent = both(download)
    assert "ATTENDEE" not in event and "attendee" not in vevent.contents
    assert b"rpc@polisen.example" not in download
    assert str(event["ORGANIZER"]) == vevent.organizer.value  # RFC 5546 asks for one in a PUBLISH
    invitation = vobject.readOne(files["mail attachment"].decode())
    assert invitation.method.value == "REQUEST" and "attendee" in invitation.vevent.contents


def test_the_holds_download_is_a_plain_entry_too(client, meeting, polis_member):
    client.force_login(polis_member)
    body = client.post(reverse("hold_times", args=[meeting.pk]), follow=True).content
    calendar = icalendar.Calendar.from_ical(body)
    parsed = vobject.readOne(body.decode())
    assert calendar["METHOD"] == parsed.method.value == "PUBLISH"
    assert all("ATTENDEE" not in event for event in calendar.walk("VEVENT"))
    assert all("attendee" not in vevent.contents for vevent in parsed.vevent_list)
    assert polis_member.email.encode() not in body


VIDEO = "https://video.samrad.example/m/gottsunda?pwd=åäö"


@pytest.mark.parametrize("kind", ["download", "feed", "mail attachment"])
def test_the_video_link_is_the_url_a_conference_and_in_the_description(produced, kind):
    meeting, files = produced(video_link=VIDEO)
    event, vevent = both(files[kind])
    assert str(event["URL"]) == vevent.url.value == VIDEO
    conference = event["CONFERENCE"]
    assert str(conference) == vevent.conference.value == VIDEO
    assert conference.params["VALUE"] == "URI" and conference.params["FEATURE"] == "VIDEO"
    assert vevent.conference.params["FEATURE"] == ["VIDEO"]
    assert VIDEO in str(event["DESCRIPTION"]) and VIDEO in vevent.description.value
    assert f"/meetings/{meeting.pk}/" in vevent.description.value  # the way back to Samråd stays


def test_without_a_video_link_the_url_is_the_meetings_page(produced):
    meeting, files = produced()
    event, vevent = both(files["feed"])
    assert "CONFERENCE" not in event
    assert vevent.url.value.endswith(f"/meetings/{meeting.pk}/")


@pytest.mark.parametrize("language, title", [("sv", f"Inställt: {TITLE}"), ("en", f"Cancelled: {TITLE}")])
def test_a_cancelled_meeting_in_the_feed_says_so_in_the_persons_language(
    client, produced, kommun, kommun_coordinator, polis_member, language, title
):
    meeting, files = produced()
    meetings.cancel_meeting(meeting=meeting, by=kommun_coordinator, party=kommun, reason="Krock")
    token = feeds.new_feed_token(polis_member)
    client.get(reverse("feed", args=[token]))  # in Swedish first: the cached event must not outlive the choice
    Profile.objects.update_or_create(user=polis_member, defaults={"language": language})
    body = client.get(reverse("feed", args=[token])).content
    event, vevent = both(body)
    assert str(event["SUMMARY"]) == vevent.summary.value == title
    assert str(event["STATUS"]) == vevent.status.value == "CANCELLED"
