"""Tentative holds: the proposed times blocked in one's own calendar, released when a time is chosen."""

import icalendar
import pytest
from django.apps import apps
from django.core import mail
from django.urls import reverse

from coordination.models import Hold, OutboxMessage
from coordination.outbox import send_due
from coordination.services import meetings

from .builders import future_time, recipients_of


@pytest.fixture
def downloaded(client, meeting, polis_member):
    """The button: a POST remembers the holds, and its redirect is the file."""
    client.force_login(polis_member)
    return client.post(reverse("hold_times", args=[meeting.pk]), follow=True)


def test_the_holds_are_the_open_times_as_tentative_events(downloaded, meeting, slots):
    assert downloaded.status_code == 200
    calendar = icalendar.Calendar.from_ical(downloaded.content)
    assert calendar["METHOD"] == "PUBLISH"  # a plain entry like the meeting's download
    events = calendar.walk("VEVENT")
    assert [event.decoded("DTSTART") for event in events] == [slot.start for slot in slots]
    assert {str(event["STATUS"]) for event in events} == {"TENTATIVE"}
    assert all(str(event["UID"]) != meeting.calendar_uid for event in events)
    assert len({str(event["UID"]) for event in events}) == 2


def test_confirming_releases_the_holds_that_were_not_chosen(
    downloaded, answered_meeting, slots, kommun, kommun_coordinator, polis_member
):
    meetings.confirm_slot(meeting=answered_meeting, slot=slots[0], by=kommun_coordinator, party=kommun)
    [release] = OutboxMessage.objects.filter(kind=OutboxMessage.Kind.HOLDS_RELEASED)
    assert release.recipient == polis_member.email
    calendar = icalendar.Calendar.from_ical(release.calendar)
    assert calendar["METHOD"] == "CANCEL"
    [event] = calendar.walk("VEVENT")
    assert event.decoded("DTSTART") == slots[1].start
    assert str(event["STATUS"]) == "CANCELLED"
    held = icalendar.Calendar.from_ical(downloaded.content).walk("VEVENT")
    assert str(event["UID"]) == str(held[1]["UID"]) and event["SEQUENCE"] > held[1]["SEQUENCE"]
    send_due()
    # The conveners' notice that everyone had answered went out in the same round.
    released = [m for m in mail.outbox if m.subject == release.subject]
    assert [recipients_of(m) for m in released] == [[(polis_member.get_full_name(), polis_member.email)]]


def test_without_holds_nothing_is_released(answered_meeting, slots, kommun, kommun_coordinator):
    meetings.confirm_slot(meeting=answered_meeting, slot=slots[0], by=kommun_coordinator, party=kommun)
    assert not OutboxMessage.objects.filter(kind=OutboxMessage.Kind.HOLDS_RELEASED).exists()


def test_holding_again_remembers_new_times_too(client, downloaded, meeting, kommun, kommun_coordinator, polis_member):
    meetings.propose_slots(meeting=meeting, party=kommun, by=kommun_coordinator, times=[future_time(35)])
    client.post(reverse("hold_times", args=[meeting.pk]))
    assert Hold.objects.get(user=polis_member).slots.count() == 3


def test_the_file_holds_only_the_times_remembered_and_still_open(
    client, downloaded, meeting, slots, kommun, kommun_coordinator
):
    meetings.propose_slots(meeting=meeting, party=kommun, by=kommun_coordinator, times=[future_time(35)])
    meetings.withdraw_slot(slot=slots[1], by=kommun_coordinator, party=kommun)
    events = icalendar.Calendar.from_ical(client.get(reverse("holds_ics", args=[meeting.pk])).content).walk("VEVENT")
    assert [event.decoded("DTSTART") for event in events] == [slots[0].start]


def table_rows():
    """Every row of every table of the app, by table."""
    models = apps.get_app_config("coordination").get_models(include_auto_created=True)
    return {model._meta.label: list(model.objects.order_by("pk").values()) for model in models}


def test_a_get_of_the_holds_writes_nothing(client, downloaded, meeting, polis_member):
    before = table_rows()
    assert client.get(reverse("holds_ics", args=[meeting.pk])).status_code == 200
    assert table_rows() == before


@pytest.mark.parametrize("fixture", ["draft_meeting", "scheduled_meeting"])
def test_holds_are_only_offered_while_the_parties_answer(client, request, fixture, kommun_coordinator):
    the_meeting = request.getfixturevalue(fixture)
    client.force_login(kommun_coordinator)
    assert client.get(reverse("holds_ics", args=[the_meeting.pk])).status_code == 403


def test_an_outsider_gets_no_holds(client, meeting, outsider):
    client.force_login(outsider)
    assert client.get(reverse("holds_ics", args=[meeting.pk])).status_code == 404
