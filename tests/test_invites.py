"""Invitations by e-mail through a real SMTP server on 127.0.0.1, read back as bytes.

The server is aiosmtpd in this process; the app talks to it with Django's
SMTP backend, exactly as it would to the municipality's mail relay.
"""

import datetime
import email
import io

import icalendar
import pytest
import vobject
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from coordination import mail
from coordination.models import Attendee, CalendarReply, Event, Meeting, OutboxMessage, Profile
from coordination.outbox import send_due
from coordination.services import attendance, meetings, replies

from .builders import calendar_of, calendar_reply, calendar_state, edit_data, in_english, recipients_of
from .smtp_server import start_smtp_server

UTC = datetime.UTC


@pytest.fixture(autouse=True)
def organizer(settings):
    settings.CALENDAR_ORGANIZER_EMAIL = "svar@samrad.example"


@pytest.fixture
def attendees(answered_meeting, kommun, polisen, kommun_coordinator, polis_coordinator, kommun_member):
    """Named before the time is confirmed: they get the invitation when it is."""
    attendance.name_attendee(
        meeting=answered_meeting,
        party=kommun,
        by=kommun_coordinator,
        user=kommun_member,
        name="Kommunstyrelsens ordförande",
        email="kso@uppsala.example",
    )
    attendance.name_attendee(
        meeting=answered_meeting, party=polisen, by=polis_coordinator, name="Rikspolischef", email="rpc@polisen.example"
    )
    attendance.name_attendee(meeting=answered_meeting, party=polisen, by=polis_coordinator, name="Utan adress")
    # The notices of opening and answering are not what these tests follow: only the invitations.
    OutboxMessage.objects.all().delete()
    return answered_meeting


def confirm(meeting, slots, kommun, kommun_coordinator):
    meetings.confirm_slot(meeting=meeting, slot=slots[0], by=kommun_coordinator, party=kommun)
    return Meeting.objects.get(pk=meeting.pk)


def calendar_parts(message):
    """The inline text/calendar part and the invite.ics attachment of a message."""
    inline = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
    attached = [part for part in message.walk() if part.get_filename() == "invite.ics"]
    return inline, attached


def test_confirming_sends_every_attendee_with_an_address_one_invitation(
    smtp_server, attendees, slots, kommun, kommun_coordinator
):
    confirm(attendees, slots, kommun, kommun_coordinator)

    assert send_due() == (2, 0)

    assert sorted(smtp_server.recipients()) == [
        "kso@uppsala.example",
        "rpc@polisen.example",
    ]
    assert send_due() == (0, 0)  # nothing goes twice
    assert len(smtp_server.received) == 2


def test_the_message_has_the_structure_outlook_and_gmail_need(
    smtp_server, attendees, slots, kommun, kommun_coordinator
):
    confirm(attendees, slots, kommun, kommun_coordinator)
    send_due()
    [(_, message)] = [m for m in smtp_server.messages() if m[0] == ["rpc@polisen.example"]]

    assert message.get_content_type() == "multipart/mixed"
    alternative, attachment = message.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in alternative.get_payload()] == [
        "text/plain",
        "text/html",
        "text/calendar",
    ]
    inline = alternative.get_payload()[2]
    assert inline.get_params() == [("text/calendar", ""), ("charset", "utf-8"), ("method", "REQUEST")]
    for part in [*alternative.get_payload(), attachment]:
        assert part["Content-Transfer-Encoding"] == "base64"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_payload(decode=True) == inline.get_payload(decode=True)
    calendar = icalendar.Calendar.from_ical(inline.get_payload(decode=True))
    assert calendar["METHOD"] == "REQUEST"


def test_the_raw_calendar_header_names_each_parameter_once(smtp_server, attendees, slots, kommun, kommun_coordinator):
    confirm(attendees, slots, kommun, kommun_coordinator)
    send_due()
    raw = smtp_server.received[0].raw.decode()
    [header] = [line for line in raw.splitlines() if line.startswith("Content-Type: text/calendar")]
    assert header.lower().count("charset") == 1
    assert header.count("method") == 1


def test_the_invitation_parses_the_same_in_icalendar_and_vobject(
    smtp_server, attendees, slots, kommun, kommun_coordinator
):
    meeting = confirm(attendees, slots, kommun, kommun_coordinator)
    send_due()
    inline, _ = calendar_parts(smtp_server.messages()[0][1])
    body = inline[0].get_payload(decode=True)

    [event] = icalendar.Calendar.from_ical(body).walk("VEVENT")
    parsed = vobject.readOne(body.decode())
    assert str(event["UID"]) == parsed.vevent.uid.value == meeting.calendar_uid
    assert event["SEQUENCE"] == int(parsed.vevent.sequence.value) == meeting.sequence
    assert event.decoded("DTSTART") == parsed.vevent.dtstart.value == slots[0].start
    assert parsed.vevent.dtstart.value.astimezone(UTC) == slots[0].start.astimezone(UTC)
    assert parsed.vevent.organizer.value == "mailto:svar@samrad.example"
    assert sorted(a.value for a in parsed.vevent.attendee_list) == [
        "mailto:kso@uppsala.example",
        "mailto:rpc@polisen.example",
    ]


def test_the_text_stands_on_its_own_in_swedish(smtp_server, attendees, slots, kommun, kommun_coordinator):
    confirm(attendees, slots, kommun, kommun_coordinator)
    send_due()
    [(_, message)] = [m for m in smtp_server.messages() if m[0] == ["rpc@polisen.example"]]
    text = message.get_payload()[0].get_payload()[0].get_payload(decode=True).decode()
    assert "Dialog om utökat samarbete" in text
    assert " kl. 10.00–12.00 (svensk tid, Europe/Stockholm, UTC+" in text
    assert "Stadshuset, Uppsala" in text
    assert f"/meetings/{attendees.pk}/" in text
    # Django folds a long encoded subject onto the next line; the folding space is no part of the subject.
    assert message["Subject"].lstrip().startswith("Inbjudan: Dialog om utökat samarbete, ")


def test_an_attendee_who_chose_english_gets_english(
    smtp_server, attendees, slots, kommun, kommun_coordinator, kommun_member
):
    Profile.objects.create(user=kommun_member, language="en")
    confirm(attendees, slots, kommun, kommun_coordinator)
    send_due()
    [(_, message)] = [m for m in smtp_server.messages() if m[0] == ["kso@uppsala.example"]]
    text = message.get_payload()[0].get_payload()[0].get_payload(decode=True).decode()
    assert "You are invited to the meeting" in text
    assert " at 10:00–12:00 (Swedish time, Europe/Stockholm, UTC+" in text


def test_the_meeting_is_confirmed_while_the_mail_server_is_down_and_mail_goes_out_once_when_it_is_back(
    mail_settings, attendees, slots, kommun, kommun_coordinator
):
    meeting = confirm(attendees, slots, kommun, kommun_coordinator)  # nothing listens on the port yet
    assert meeting.status == Meeting.Status.SCHEDULED

    assert send_due() == (0, 2)
    waiting = list(OutboxMessage.objects.all())
    assert all(m.attempts == 1 and m.sent_at is None and m.last_error for m in waiting)
    assert all(m.next_attempt_at > timezone.now() for m in waiting)
    assert send_due() == (0, 0)  # not due again before the back-off

    with start_smtp_server(mail_settings.EMAIL_PORT) as server:
        later = timezone.now() + datetime.timedelta(minutes=2)
        assert send_due(now=later) == (2, 0)
        assert send_due(now=later + datetime.timedelta(hours=1)) == (0, 0)
    assert len(server.received) == 2
    assert all(m.sent_at and m.attempts == 2 for m in OutboxMessage.objects.all())


def test_the_back_off_doubles_up_to_six_hours(mail_settings, attendees, slots, kommun, kommun_coordinator):
    confirm(attendees, slots, kommun, kommun_coordinator)
    now = timezone.now()
    delays = []
    for _ in range(12):
        send_due(now=now)
        message = OutboxMessage.objects.order_by("pk").first()
        delays.append(message.next_attempt_at - now)
        now = message.next_attempt_at
    assert delays[:4] == [datetime.timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert delays[-1] == datetime.timedelta(hours=6)


def sent_calendars(inbox):
    result = []
    for rcpts, message in inbox.messages():
        inline, _ = calendar_parts(message)
        calendar = icalendar.Calendar.from_ical(inline[0].get_payload(decode=True))
        [event] = calendar.walk("VEVENT")
        result.append((rcpts, calendar["METHOD"], event))
    return result


def test_rescheduling_sends_a_request_with_the_same_uid_and_a_higher_sequence(
    smtp_server, attendees, slots, kommun, kommun_coordinator
):
    meeting = confirm(attendees, slots, kommun, kommun_coordinator)
    send_due()
    meetings.reschedule(meeting=meeting, by=kommun_coordinator, party=kommun, reason="Krock", slot=slots[1])
    send_due()
    first, second = sent_calendars(smtp_server)[0], sent_calendars(smtp_server)[-1]
    assert second[1] == "REQUEST"
    assert str(second[2]["UID"]) == str(first[2]["UID"])
    assert second[2]["SEQUENCE"] > first[2]["SEQUENCE"]
    assert second[2].decoded("DTSTART") == slots[1].start


def test_cancelling_sends_cancel_with_the_same_uid_to_everyone(
    smtp_server, attendees, slots, kommun, kommun_coordinator
):
    meeting = confirm(attendees, slots, kommun, kommun_coordinator)
    send_due()
    smtp_server.received.clear()
    meetings.cancel_meeting(meeting=meeting, by=kommun_coordinator, party=kommun, reason="Inställt")
    assert send_due() == (2, 0)
    for _, method, event in sent_calendars(smtp_server):
        assert method == "CANCEL"
        assert str(event["STATUS"]) == "CANCELLED"
        assert str(event["UID"]) == meeting.calendar_uid
        assert event["SEQUENCE"] == Meeting.objects.get(pk=meeting.pk).sequence
    inline, _ = calendar_parts(smtp_server.messages()[0][1])
    assert inline[0].get_param("method") == "CANCEL"


def test_back_to_polling_cancels_the_old_time_in_calendars(smtp_server, attendees, slots, kommun, kommun_coordinator):
    meeting = confirm(attendees, slots, kommun, kommun_coordinator)
    send_due()
    smtp_server.received.clear()
    meetings.reschedule(meeting=meeting, by=kommun_coordinator, party=kommun, reason="Ny tid behövs")
    send_due()
    for _, method, event in sent_calendars(smtp_server):
        assert method == "CANCEL"
        assert event.decoded("DTSTART") == slots[0].start


def test_a_removed_attendee_is_told_they_are_no_longer_called_and_no_one_else_hears_anything(
    smtp_server, attendees, slots, kommun, kommun_coordinator, polis_coordinator
):
    meeting = confirm(attendees, slots, kommun, kommun_coordinator)
    send_due()
    smtp_server.received.clear()
    sent_before = OutboxMessage.objects.count()
    chief = meeting.attendees.get(email="rpc@polisen.example")
    attendance.remove_attendee(attendee=chief, by=polis_coordinator)
    [message] = OutboxMessage.objects.order_by("pk")[sent_before:]
    assert (message.kind, message.method) == (OutboxMessage.Kind.NO_LONGER_CALLED, "CANCEL")
    assert message.subject == "Inte längre kallad: Dialog om utökat samarbete"
    assert (
        "Du är inte längre kallad till mötet ”Dialog om utökat samarbete”, eftersom Polisen har tagit bort "
        "dig som deltagare. Själva mötet är inte inställt." in message.text
    )
    assert "vid den här tiden är inställt" not in message.text  # what a cancelled meeting's mail says
    send_due()
    [(rcpts, method, event)] = sent_calendars(smtp_server)
    assert rcpts == ["rpc@polisen.example"] and method == "CANCEL"
    assert str(event["ATTENDEE"]) == "mailto:rpc@polisen.example"


def test_an_attendee_removed_before_any_time_is_told_without_a_calendar(meeting, polisen, polis_coordinator):
    """The same message as once the meeting has a time, without the calendar it has not yet sent."""
    chief = attendance.name_attendee(
        meeting=meeting, party=polisen, by=polis_coordinator, name="Rikspolischef", email="rpc@polisen.example"
    )
    OutboxMessage.objects.all().delete()
    attendance.remove_attendee(attendee=chief, by=polis_coordinator)
    [message] = OutboxMessage.objects.all()
    assert (message.kind, message.recipient, message.calendar) == ("no_longer_called", "rpc@polisen.example", "")
    assert "eftersom Polisen har tagit bort dig som deltagare" in message.text


# A new time asks every attendee again: an answer from their calendar was to the old time.


@pytest.mark.parametrize("back_to_polling", [False, True], ids=["straight to another time", "through polling"])
def test_a_new_time_sets_every_calendar_answer_back_to_awaiting_in_the_update_and_the_page(
    client, smtp_server, attendees, slots, kommun, kommun_coordinator, back_to_polling
):
    meeting = confirm(attendees, slots, kommun, kommun_coordinator)
    send_due()
    [(_, invitation)] = [m for m in smtp_server.messages() if m[0] == ["rpc@polisen.example"]]
    reply = replies.apply_reply(calendar_reply(invitation, "rpc@polisen.example", "ACCEPTED", "Jag kommer"))
    assert reply.outcome == CalendarReply.Outcome.APPLIED
    smtp_server.received.clear()

    if back_to_polling:
        meetings.reschedule(meeting=meeting, by=kommun_coordinator, party=kommun, reason="Krock")
        meetings.confirm_slot(meeting=meeting, slot=slots[1], by=kommun_coordinator, party=kommun)
    else:
        meetings.reschedule(meeting=meeting, by=kommun_coordinator, party=kommun, reason="Krock", slot=slots[1])
    send_due()

    sent = [calendar_of(message) for _, message in smtp_server.messages()]
    asking = [calendar_state(body) for body, method in sent if method == "REQUEST"]
    assert len(asking) == 2  # the chief's and the chair's
    awaiting = ("NEEDS-ACTION", "TRUE")
    for method, sequence, listed in asking:
        assert (method, sequence) == ("REQUEST", Meeting.objects.get(pk=meeting.pk).sequence)
        assert listed == {"rpc@polisen.example": awaiting, "kso@uppsala.example": awaiting}
    chief = meeting.attendees.get(email="rpc@polisen.example")
    assert (chief.rsvp, chief.rsvp_at, chief.rsvp_comment) == (Attendee.Rsvp.NEEDS_ACTION, None, "")
    client.force_login(kommun_coordinator)
    page = client.get(reverse("meeting_detail", args=[meeting.pk])).content.decode()
    listed = page[page.index('id="attendees"') : page.index('id="delivery"')]
    assert "Accepterat i kalendern" not in listed and "Inget svar från kalendern ännu" in listed
    assert "Jag kommer" not in listed


def test_adding_an_attendee_to_a_scheduled_meeting_invites_that_person(
    smtp_server, attendees, slots, kommun, kommun_coordinator, lansstyrelsen, lansstyrelsen_secretary
):
    meeting = confirm(attendees, slots, kommun, kommun_coordinator)
    send_due()
    smtp_server.received.clear()
    attendance.name_attendee(
        meeting=meeting,
        party=lansstyrelsen,
        by=lansstyrelsen_secretary,
        name="Landshövding",
        email="lh@lansstyrelsen.example",
    )
    send_due()
    [(rcpts, method, event)] = sent_calendars(smtp_server)
    assert rcpts == ["lh@lansstyrelsen.example"] and method == "REQUEST"
    assert "mailto:lh@lansstyrelsen.example" in [str(a) for a in event["ATTENDEE"]]


def test_a_new_place_sends_an_update(smtp_server, attendees, slots, kommun, lansstyrelsen, polisen, kommun_coordinator):
    meeting = confirm(attendees, slots, kommun, kommun_coordinator)
    send_due()
    smtp_server.received.clear()
    details = {name: getattr(meeting, name) for name in meetings.DETAIL_FIELDS}
    meetings.save_meeting(
        meeting=meeting,
        by=kommun_coordinator,
        party=kommun,
        details={**details, "location": "Länsstyrelsen, Hamnesplanaden 3"},
        convening={kommun, lansstyrelsen},
        required={polisen},
        optional=set(),
    )
    send_due()
    calendars = sent_calendars(smtp_server)
    assert len(calendars) == 2
    assert all(str(event["LOCATION"]) == "Länsstyrelsen, Hamnesplanaden 3" for _, _, event in calendars)


def test_nothing_is_written_for_a_meeting_that_never_had_a_time(
    meeting, kommun, kommun_coordinator, polisen, polis_coordinator
):
    attendance.name_attendee(
        meeting=meeting, party=polisen, by=polis_coordinator, name="Rikspolischef", email="rpc@polisen.example"
    )
    meetings.cancel_meeting(meeting=meeting, by=kommun_coordinator, party=kommun, reason="Inget möte")
    assert not OutboxMessage.objects.exists()


def test_the_convener_sees_what_was_delivered_and_what_waits(
    client, mail_settings, attendees, slots, kommun, kommun_coordinator, polis_coordinator
):
    confirm(attendees, slots, kommun, kommun_coordinator)
    send_due()  # the server is down: both wait for another attempt
    in_english(client)
    client.force_login(kommun_coordinator)
    page = client.get(f"/meetings/{attendees.pk}/").content.decode()
    assert "Not delivered after 1 attempt; trying again at" in page
    assert "rpc@polisen.example" in page
    client.force_login(polis_coordinator)
    assert "rpc@polisen.example" not in client.get(f"/meetings/{attendees.pk}/").content.decode()


def test_confirming_the_demo_dialogue_leaves_an_eml_with_the_invitation_structure(db, client, settings, tmp_path):
    """What a developer sees after `make run`: mail written as files, each a complete message."""
    settings.EMAIL_BACKEND = "coordination.mail_backends.EmlFileBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "sent-mail"
    call_command("load_demo", stdout=io.StringIO())
    dialogue = Meeting.objects.get(title="Dialog om utökat samarbete")
    best = next(
        slot
        for slot in dialogue.slots.order_by("start")
        if not slot.answers.filter(value="no").exists()
        and slot.answers.count() == 3
        and not slot.answers.exclude(value="yes").exists()
    )
    # Through the login page, as a person logs in (axes needs the request that client.login() does not pass).
    assert client.post("/login/", {"username": "kommun.samordnare", "password": "samrad-demo-2026"}).status_code == 302
    assert client.post(f"/meetings/{dialogue.pk}/slots/{best.pk}/confirm/", {"reason": ""}).status_code == 302

    invitations = OutboxMessage.objects.filter(meeting=dialogue, kind=OutboxMessage.Kind.INVITATION)
    assert invitations.count() == 1  # the chief of police, the one with an address
    sent, failed = send_due()  # with the earlier demo meeting's invitations
    assert failed == 0

    raws = [eml.read_bytes() for eml in (tmp_path / "sent-mail").glob("*.eml")]
    assert len(raws) == sent
    [message] = [
        m
        for m in map(email.message_from_bytes, raws)
        if str(email.header.make_header(email.header.decode_header(m["Subject"]))).startswith(
            "Inbjudan: " + dialogue.title
        )
    ]
    assert message.get_content_type() == "multipart/mixed"
    alternative, attachment = message.get_payload()
    assert [p.get_content_type() for p in alternative.get_payload()] == ["text/plain", "text/html", "text/calendar"]
    assert alternative.get_payload()[2].get_param("method") == "REQUEST"
    assert attachment.get_filename() == "invite.ics"
    calendar = icalendar.Calendar.from_ical(attachment.get_payload(decode=True))
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == dialogue.calendar_uid
    assert "Lokalt poliskontor i Gottsunda" in str(event["DESCRIPTION"])


# A party no longer invited takes its attendees off the meeting, and each is told.


def test_uninviting_a_party_removes_its_attendees_and_cancels_the_invitation_it_sent_them(
    client, smtp_server, attendees, slots, kommun, lansstyrelsen, kommun_coordinator
):
    """The police had two attendees: one with an address, sent the calendar invitation, one without."""
    meeting = confirm(attendees, slots, kommun, kommun_coordinator)
    send_due()
    smtp_server.received.clear()
    sequence = meeting.sequence
    sent_before = OutboxMessage.objects.count()
    client.force_login(kommun_coordinator)

    response = client.post(reverse("meeting_edit", args=[meeting.pk]), edit_data(meeting, required_parties=[]))

    assert response.status_code == 302
    assert list(meeting.attendees.values_list("name", flat=True)) == ["Kommunstyrelsens ordförande"]
    removed = Event.objects.filter(meeting=meeting, action=Event.Action.ATTENDEE_REMOVED).order_by("pk")
    assert [(e.subject, e.party, e.actor) for e in removed] == [
        ("Rikspolischef", kommun, kommun_coordinator),
        ("Utan adress", kommun, kommun_coordinator),
    ]
    # One new message, and only to the removed attendee with an address: the other parties hear nothing.
    [message] = OutboxMessage.objects.order_by("pk")[sent_before:]
    assert (message.kind, message.recipient, message.method) == ("no_longer_called", "rpc@polisen.example", "CANCEL")
    assert recipients_of(mail.to_email(message)) == [("Rikspolischef", "rpc@polisen.example")]
    assert message.sequence == sequence + 1  # above the invitation's, so calendars take the CANCEL
    send_due()
    [(rcpts, method, event)] = sent_calendars(smtp_server)
    assert rcpts == ["rpc@polisen.example"] and method == "CANCEL"
    assert str(event["ATTENDEE"]) == "mailto:rpc@polisen.example"
    assert str(event["STATUS"]) == "CANCELLED"
    assert "Du är inte längre kallad till mötet ”Dialog om utökat samarbete”, eftersom Polisen" in message.text
    assert "Din kalender tar bort mötet" in message.text and " kl. 10.00–12.00 (svensk tid" in message.text
    assert message.subject == "Inte längre kallad: Dialog om utökat samarbete"
    page = client.get(reverse("meeting_detail", args=[meeting.pk])).content.decode()
    listed = page[page.index('id="attendees"') : page.index('id="delivery"')]
    assert "Kommunstyrelsens ordförande" in listed
    assert "Rikspolischef" not in listed and "Utan adress" not in listed
    assert "Polismyndigheten" not in page[page.index('id="parties-heading"') : page.index('id="slots"')]


def test_an_attendee_of_an_uninvited_party_before_any_time_is_told_without_a_calendar(
    meeting, kommun, lansstyrelsen, polisen, kommun_coordinator, polis_coordinator
):
    attendance.name_attendee(
        meeting=meeting, party=polisen, by=polis_coordinator, name="Rikspolischef", email="rpc@polisen.example"
    )
    attendance.name_attendee(
        meeting=meeting, party=kommun, by=kommun_coordinator, name="Ordföranden", email="ks@uppsala.example"
    )
    OutboxMessage.objects.all().delete()
    details = {name: getattr(meeting, name) for name in meetings.DETAIL_FIELDS}

    meetings.save_meeting(
        meeting=meeting,
        by=kommun_coordinator,
        party=kommun,
        details=details,
        convening={kommun, lansstyrelsen},
        required=set(),
        optional=set(),
    )

    assert list(meeting.attendees.values_list("name", flat=True)) == ["Ordföranden"]
    [message] = OutboxMessage.objects.all()
    assert (message.kind, message.recipient, message.calendar, message.method) == (
        "no_longer_called",
        "rpc@polisen.example",
        "",
        "",
    )
    assert "Du är inte längre kallad till mötet ”Dialog om utökat samarbete”" in message.text
    assert "kalender" not in message.text and "När" not in message.text
    assert not any(part.get_content_type() == "text/calendar" for part in mail.to_email(message).message().walk())
