"""The .ics of a scheduled meeting, parsed back with icalendar and read property by property."""

import datetime

import icalendar
import pytest
from django.utils import timezone

from coordination import ics
from coordination.models import Meeting
from coordination.services import attendance, invites, meetings

UTC = datetime.UTC


@pytest.fixture(autouse=True)
def site(settings):
    settings.SITE_URL = "https://samrad.example"
    settings.CALENDAR_ORGANIZER_EMAIL = "svar@samrad.example"


def build(meeting, method=None):
    return ics.build_calendar([ics.build_event(invites.calendar_entry(meeting), now=timezone.now())], method=method)


def parse(body):
    calendar = icalendar.Calendar.from_ical(body)
    [event] = calendar.walk("VEVENT")
    return calendar, event


@pytest.fixture
def with_attendees(
    scheduled_meeting, polisen, kommun, polis_coordinator, kommun_coordinator, lansstyrelsen, lansstyrelsen_secretary
):
    chief = attendance.name_attendee(
        meeting=scheduled_meeting,
        party=polisen,
        by=polis_coordinator,
        name="Rikspolischef",
        email="rpc@polisen.example",
    )
    attendance.name_attendee(
        meeting=scheduled_meeting,
        party=kommun,
        by=kommun_coordinator,
        name="Kommunstyrelsens ordförande",
        email="kso@uppsala.example",
    )
    attendance.name_attendee(meeting=scheduled_meeting, party=kommun, by=kommun_coordinator, name="Utan adress")
    attendance.confirm_attendance(attendee=chief, by=lansstyrelsen_secretary, party=lansstyrelsen)
    return Meeting.objects.get(pk=scheduled_meeting.pk)


def test_the_event_carries_the_meetings_stable_uid_and_sequence(with_attendees):
    calendar, event = parse(build(with_attendees))
    assert str(event["UID"]) == f"{with_attendees.uid}@samrad"
    assert event["SEQUENCE"] == with_attendees.sequence == 5  # confirmed, three named, one confirmed
    assert calendar["VERSION"] == "2.0"
    assert "METHOD" not in calendar  # a download, not an invitation message


def test_the_times_are_in_stockholm_with_the_right_utc_instant(with_attendees, slots):
    _, event = parse(build(with_attendees))
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert event["DTSTART"].params["TZID"] == "Europe/Stockholm"
    assert start.astimezone(UTC) == slots[0].start.astimezone(UTC)
    assert end.astimezone(UTC) == slots[0].end.astimezone(UTC)
    assert event.decoded("DTSTAMP").tzinfo is not None


def test_the_vtimezone_has_one_standard_and_one_daylight_rule_each_yearly(with_attendees):
    calendar, _ = parse(build(with_attendees))
    [timezone_] = calendar.walk("VTIMEZONE")
    assert timezone_["TZID"] == "Europe/Stockholm"
    [daylight] = timezone_.walk("DAYLIGHT")
    [standard] = timezone_.walk("STANDARD")
    assert "RDATE" not in daylight and "RDATE" not in standard
    assert daylight["RRULE"] == {"FREQ": ["YEARLY"], "BYMONTH": [3], "BYDAY": ["-1SU"]}
    assert standard["RRULE"] == {"FREQ": ["YEARLY"], "BYMONTH": [10], "BYDAY": ["-1SU"]}
    assert daylight.decoded("TZOFFSETTO") == datetime.timedelta(hours=2)
    assert standard.decoded("TZOFFSETTO") == datetime.timedelta(hours=1)


def test_summary_location_description_and_url(with_attendees):
    _, event = parse(build(with_attendees))
    assert str(event["SUMMARY"]) == "Dialog om utökat samarbete"
    assert str(event["LOCATION"]) == "Stadshuset, Uppsala"
    description = str(event["DESCRIPTION"])
    assert "Gottsunda" in description
    assert f"https://samrad.example/meetings/{with_attendees.pk}/" in description
    assert str(event["URL"]) == f"https://samrad.example/meetings/{with_attendees.pk}/"
    assert str(event["STATUS"]) == "CONFIRMED"


def test_the_organizer_is_the_reply_mailbox_named_after_a_convening_party(with_attendees):
    _, event = parse(build(with_attendees))
    organizer = event["ORGANIZER"]
    assert str(organizer) == "mailto:svar@samrad.example"
    assert organizer.params["CN"] == "Länsstyrelsen Uppsala län"


def test_every_attendee_with_an_address_is_listed_with_party_and_status(with_attendees):
    _, event = parse(build(with_attendees))
    attendees = {str(a): a.params for a in event["ATTENDEE"]}
    assert set(attendees) == {"mailto:rpc@polisen.example", "mailto:kso@uppsala.example"}
    chief = attendees["mailto:rpc@polisen.example"]
    assert chief["CN"] == "Rikspolischef"
    # The secretary confirmed the chief's attendance: that is not the chief's own answer from the calendar.
    assert chief["PARTSTAT"] == "NEEDS-ACTION"
    assert chief["ROLE"] == "REQ-PARTICIPANT"
    assert chief["RSVP"] == "TRUE"
    assert chief["X-SAMRAD-PARTY"] == "Polismyndigheten"
    assert attendees["mailto:kso@uppsala.example"]["PARTSTAT"] == "NEEDS-ACTION"


def test_a_hostile_title_stays_one_harmless_summary(
    scheduled_meeting, kommun, lansstyrelsen, polisen, kommun_coordinator
):
    details = {name: getattr(scheduled_meeting, name) for name in meetings.DETAIL_FIELDS}
    hostile = "Dialog\r\nATTENDEE:mailto:evil@example.com\nEND:VEVENT; å, ä, ö"
    meetings.save_meeting(
        meeting=scheduled_meeting,
        by=kommun_coordinator,
        party=kommun,
        details={**details, "title": hostile},
        convening={kommun, lansstyrelsen},
        required={polisen},
        optional=set(),
    )
    body = build(scheduled_meeting)
    _, event = parse(body)
    assert str(event["SUMMARY"]) == hostile.replace("\r\n", "\n")
    assert "ATTENDEE" not in event
    assert b"\r\nATTENDEE:mailto:evil" not in body
    assert all(len(line) <= 75 for line in body.split(b"\r\n"))


def test_a_cancelled_meeting_says_so(scheduled_meeting, kommun, kommun_coordinator):
    meetings.cancel_meeting(meeting=scheduled_meeting, by=kommun_coordinator, party=kommun, reason="Krock")
    _, event = parse(build(scheduled_meeting))
    assert str(event["STATUS"]) == "CANCELLED"
    assert event["SEQUENCE"] == 2


@pytest.mark.parametrize(
    "day, hour, utc_hour",
    [
        (datetime.date(2027, 3, 29), 10, 8),  # the Monday after summer time begins
        (datetime.date(2027, 3, 26), 10, 9),  # the Friday before
        (datetime.date(2027, 11, 1), 10, 9),  # the Monday after summer time ends
    ],
)
def test_meetings_in_the_weeks_of_the_clock_changes_have_the_right_instant(day, hour, utc_hour, scheduled_meeting):
    start = datetime.datetime.combine(day, datetime.time(hour), tzinfo=ics.STOCKHOLM)
    slot = scheduled_meeting.confirmed_slot
    slot.start, slot.end = start, start + datetime.timedelta(hours=2)
    slot.save()
    _, event = parse(build(scheduled_meeting))
    assert event.decoded("DTSTART").astimezone(UTC) == datetime.datetime.combine(
        day, datetime.time(utc_hour), tzinfo=UTC
    )


def test_events_serialised_apart_make_the_calendar_icalendar_would_write():
    """calendar_text puts VEVENT bytes into the calendar: the result must be what icalendar itself writes."""
    events = []
    for number in (1, 2):
        event = icalendar.Event()
        event.add("uid", f"{number}@samrad")
        event.add("summary", "Samråd om trygghet i Gottsunda, uppföljning av kamerabevakningen " * 2)
        events.append(event)
    text = ics.build_calendar(events, name="Samråd – mina möten")
    calendar = icalendar.Calendar.from_ical(text)
    assert [component.name for component in calendar.subcomponents] == ["VTIMEZONE", "VEVENT", "VEVENT"]
    assert calendar.to_ical() == text
