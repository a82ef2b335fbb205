"""Tentative holds: the proposed times kept free in one's own calendar, each released once when no longer wanted."""

import email

import icalendar
import pytest
import vobject
from django.apps import apps
from django.core import mail
from django.urls import reverse

from coordination.models import Hold, OutboxMessage
from coordination.outbox import send_due
from coordination.services import holds, meetings
from coordination.services.base import RuleError

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


# What says whether a hold keeps the time tentative, free or busy, in Outlook and elsewhere.
PROPERTIES = ("STATUS", "TRANSP", "X-MICROSOFT-CDO-BUSYSTATUS", "X-MICROSOFT-CDO-INTENDEDSTATUS")


def read_both(body):
    """The calendar's METHOD and its events as (UID, SEQUENCE, property -> value), as icalendar reads them,
    after checking that vobject reads the same METHOD, UIDs, SEQUENCEs and PROPERTIES."""
    calendar = icalendar.Calendar.from_ical(body)
    by_icalendar = [
        (str(e["UID"]), int(e["SEQUENCE"]), {name: str(value) for name, value in e.property_items(recursive=False)})
        for e in calendar.walk("VEVENT")
    ]
    parsed = vobject.readOne(body.decode())
    by_vobject = [
        (
            e.uid.value,
            int(e.sequence.value),
            {name.upper(): lines[0].value for name, lines in e.contents.items() if name.upper() in PROPERTIES},
        )
        for e in parsed.contents.get("vevent", [])
    ]
    method = str(calendar.get("METHOD", ""))
    assert method == (parsed.method.value if "method" in parsed.contents else "")
    assert [(uid, seq, {k: props.get(k) for k in PROPERTIES}) for uid, seq, props in by_icalendar] == by_vobject
    return method, by_icalendar


def held_uids(response):
    """The UID and SEQUENCE of each hold in a downloaded file, by start."""
    _, events = read_both(response.content)
    return [(uid, sequence) for uid, sequence, _ in events]


def sent_releases():
    """Each hold release as it left: its recipient, and its inline calendar part read by both parsers.

    The attachment must be the same bytes, and the MIME method the METHOD inside.
    """
    send_due()
    releases = []
    for sent in mail.outbox:
        message = email.message_from_bytes(sent.message().as_bytes())
        inline = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
        if not inline:
            continue
        method, events = read_both(inline[0].get_payload(decode=True))
        if not all(uid.startswith("hold-") for uid, _, _ in events):
            continue
        [attached] = [p for p in message.walk() if p.get_filename() == "invite.ics"]
        assert attached.get_payload(decode=True) == inline[0].get_payload(decode=True)
        assert method == inline[0].get_param("method") == "CANCEL"
        releases.append((recipients_of(sent), events, sent.body))
    mail.outbox.clear()
    return releases


def test_holds_show_as_tentative_never_busy_in_both_parsers(downloaded):
    _, events = read_both(downloaded.content)
    for _uid, _sequence, properties in events:
        assert properties["STATUS"] == "TENTATIVE"
        # An OPAQUE event without Outlook's own busy status is Busy there (MS-OXCICAL).
        assert properties["TRANSP"] == "TRANSPARENT"
        assert properties["X-MICROSOFT-CDO-BUSYSTATUS"] == "TENTATIVE"
        assert properties["X-MICROSOFT-CDO-INTENDEDSTATUS"] == "TENTATIVE"


def test_confirming_releases_every_held_time_the_chosen_one_too_one_message_each(
    downloaded, answered_meeting, slots, kommun, kommun_coordinator, polis_member
):
    held = held_uids(downloaded)
    mail.outbox.clear()
    meetings.confirm_slot(meeting=answered_meeting, slot=slots[0], by=kommun_coordinator, party=kommun)
    releases = sent_releases()
    # One CANCEL per hold, each naming one UID: the chosen time's hold too, as the invitation replaces it.
    assert [to for to, _, _ in releases] == [[(polis_member.get_full_name(), polis_member.email)]] * 2
    assert [len(events) for _, events, _ in releases] == [1, 1]
    released = {uid: (sequence, props) for _, [(uid, sequence, props)], _ in releases}
    assert set(released) == {uid for uid, _ in held}
    for uid, sequence in held:
        assert released[uid][0] > sequence
        assert released[uid][1]["STATUS"] == "CANCELLED"
        assert released[uid][1]["X-MICROSOFT-CDO-BUSYSTATUS"] == "FREE"
    assert all("Inbjudan kommer i ett eget meddelande" in body for _, _, body in releases)
    assert not Hold.objects.get(user=polis_member).slots.exists()


def test_without_holds_nothing_is_released(answered_meeting, slots, kommun, kommun_coordinator):
    meetings.confirm_slot(meeting=answered_meeting, slot=slots[0], by=kommun_coordinator, party=kommun)
    assert not OutboxMessage.objects.filter(kind=OutboxMessage.Kind.HOLDS_RELEASED).exists()


def test_every_hold_is_released_exactly_once_over_the_meetings_life(
    downloaded, answered_meeting, slots, kommun, kommun_coordinator
):
    held = dict(held_uids(downloaded))
    mail.outbox.clear()
    meetings.withdraw_slot(slot=slots[1], by=kommun_coordinator, party=kommun)
    withdrawn = sent_releases()
    assert [uid for _, [(uid, _, _)], _ in withdrawn] == [list(held)[1]]
    assert "är inte längre föreslagen" in withdrawn[0][2]
    meetings.withdraw_slot(slot=slots[1], by=kommun_coordinator, party=kommun)
    meetings.confirm_slot(meeting=answered_meeting, slot=slots[0], by=kommun_coordinator, party=kommun)
    confirmed = sent_releases()
    assert [uid for _, [(uid, _, _)], _ in confirmed] == [list(held)[0]]
    meetings.cancel_meeting(meeting=answered_meeting, by=kommun_coordinator, party=kommun, reason="Inget behov")
    assert sent_releases() == []
    assert OutboxMessage.objects.filter(kind=OutboxMessage.Kind.HOLDS_RELEASED).count() == len(held)


def test_cancelling_while_the_parties_answer_releases_the_holds(downloaded, meeting, slots, kommun, kommun_coordinator):
    held = dict(held_uids(downloaded))
    mail.outbox.clear()
    meetings.cancel_meeting(meeting=meeting, by=kommun_coordinator, party=kommun, reason="Inget behov")
    releases = sent_releases()
    assert sorted(uid for _, [(uid, _, _)], _ in releases) == sorted(held)
    assert all("är inställt" in body for _, _, body in releases)


def test_a_time_held_again_after_back_to_polling_is_newer_than_its_release(
    client, downloaded, answered_meeting, slots, kommun, kommun_coordinator
):
    meetings.confirm_slot(meeting=answered_meeting, slot=slots[0], by=kommun_coordinator, party=kommun)
    released = {uid: sequence for _, [(uid, sequence, _)], _ in sent_releases()}
    meetings.reschedule(meeting=answered_meeting, by=kommun_coordinator, party=kommun, reason="Ny tid behövs")
    # Back to polling brings no hold back by itself: nothing is held, nothing more is released.
    assert sent_releases() == []
    assert held_uids(client.get(reverse("holds_ics", args=[answered_meeting.pk]))) == []
    again = held_uids(client.post(reverse("hold_times", args=[answered_meeting.pk]), follow=True))
    assert {uid for uid, _ in again} == set(released)
    assert all(sequence > released[uid] for uid, sequence in again)


def test_no_time_is_held_once_a_time_is_confirmed(scheduled_meeting, polis_member):
    with pytest.raises(RuleError):
        holds.hold_times(meeting=scheduled_meeting, user=polis_member)
    assert not Hold.objects.exists()


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
