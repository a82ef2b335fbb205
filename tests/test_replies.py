"""Accept / Tentative / Decline coming back from the attendees' calendars.

The replies are built as a calendar client sends them (METHOD:REPLY, one
ATTENDEE with its PARTSTAT) and read from a real IMAP server on 127.0.0.1.
"""

import datetime
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import make_msgid

import icalendar
import pytest
from django.core.management import call_command
from django.utils import timezone

from coordination import ics
from coordination.models import Attendee, CalendarReply, Event, Meeting
from coordination.services import attendance, invites, meetings, replies

Outcome = CalendarReply.Outcome


@pytest.fixture
def invited(answered_meeting, slots, kommun, polisen, kommun_coordinator, polis_coordinator):
    """A scheduled meeting whose invitation went to the police chief (sequence 2)."""
    attendance.name_attendee(
        meeting=answered_meeting, party=polisen, by=polis_coordinator, name="Rikspolischef", email="rpc@polisen.example"
    )
    meetings.confirm_slot(meeting=answered_meeting, slot=slots[0], by=kommun_coordinator, party=kommun)
    return Meeting.objects.get(pk=answered_meeting.pk)


def reply_mail(meeting, *, address="rpc@polisen.example", partstat="ACCEPTED", sequence=None, uid=None, method="REPLY"):
    """A reply as Outlook sends it: text/calendar; method=REPLY, inside a multipart message."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = icalendar.Event()
    event.add("uid", uid or meeting.calendar_uid)
    event.add("sequence", meeting.sequence if sequence is None else sequence)
    event.add("dtstamp", timezone.now())
    attendee = icalendar.vCalAddress(f"mailto:{address}")
    attendee.params["partstat"] = partstat
    event.add("attendee", attendee)
    calendar.add_component(event)
    message = MIMEMultipart("alternative")
    message["From"] = address
    message["To"] = "svar@samrad.example"
    message["Subject"] = "Accepterat: Dialog om utökat samarbete"
    message["Message-ID"] = make_msgid(domain="polisen.example")
    message.attach(MIMEText("Rikspolischef har accepterat.", "plain", "utf-8"))
    part = MIMEText(calendar.to_ical().decode(), "calendar", "utf-8")
    part.set_param("method", method)
    message.attach(part)
    return message.as_bytes()


def chief(meeting):
    return meeting.attendees.get(email="rpc@polisen.example")


@pytest.mark.parametrize("partstat", ["ACCEPTED", "TENTATIVE", "DECLINED"])
def test_an_answer_from_the_calendar_is_recorded(invited, partstat):
    reply = replies.apply_reply(reply_mail(invited, partstat=partstat))
    assert reply.outcome == Outcome.APPLIED
    attendee = chief(invited)
    assert attendee.rsvp == partstat and attendee.rsvp_at is not None
    event = Event.objects.get(action=Event.Action.CALENDAR_REPLY)
    assert event.actor is None and event.actor_name == "Rikspolischef <rpc@polisen.example>"
    assert (event.before, event.after) == ({"rsvp": "NEEDS-ACTION"}, {"rsvp": partstat})


def test_the_answer_shows_in_the_next_calendar_file(invited):
    replies.apply_reply(reply_mail(invited, partstat="DECLINED"))
    entry = invites.calendar_entry(invited)
    [event] = icalendar.Calendar.from_ical(ics.build_calendar([ics.build_event(entry, now=timezone.now())])).walk(
        "VEVENT"
    )
    assert event["ATTENDEE"].params["PARTSTAT"] == "DECLINED"


def test_the_same_answer_twice_changes_nothing(invited):
    replies.apply_reply(reply_mail(invited))
    assert replies.apply_reply(reply_mail(invited)).outcome == Outcome.UNCHANGED
    assert Event.objects.filter(action=Event.Action.CALENDAR_REPLY).count() == 1


def test_the_same_message_read_twice_is_recorded_once(invited):
    raw = reply_mail(invited)
    first = replies.apply_reply(raw)
    assert replies.apply_reply(raw).pk == first.pk
    assert CalendarReply.objects.count() == 1


def test_an_answer_to_an_older_invitation_is_not_applied(invited, slots, kommun, kommun_coordinator):
    old_sequence = invited.sequence
    meetings.reschedule(meeting=invited, by=kommun_coordinator, party=kommun, reason="Krock", slot=slots[1])
    reply = replies.apply_reply(reply_mail(invited, sequence=old_sequence))
    assert reply.outcome == Outcome.STALE
    assert chief(invited).rsvp == Attendee.Rsvp.NEEDS_ACTION


def test_an_answer_to_the_new_invitation_is_applied(invited, slots, kommun, kommun_coordinator):
    meetings.reschedule(meeting=invited, by=kommun_coordinator, party=kommun, reason="Krock", slot=slots[1])
    meeting = Meeting.objects.get(pk=invited.pk)
    assert replies.apply_reply(reply_mail(meeting, sequence=meeting.sequence)).outcome == Outcome.APPLIED


def test_an_address_that_is_not_an_attendee_is_not_applied(invited):
    reply = replies.apply_reply(reply_mail(invited, address="someone@elsewhere.example"))
    assert reply.outcome == Outcome.UNKNOWN_ATTENDEE
    assert not Event.objects.filter(action=Event.Action.CALENDAR_REPLY).exists()


@pytest.mark.parametrize("uid", ["00000000-0000-0000-0000-000000000000@samrad", "not-a-uid@elsewhere", "x"])
def test_an_unknown_meeting_is_not_applied(invited, uid):
    assert replies.apply_reply(reply_mail(invited, uid=uid)).outcome == Outcome.UNKNOWN_MEETING


def test_a_request_is_not_a_reply(invited):
    assert replies.apply_reply(reply_mail(invited, method="REQUEST")).outcome == Outcome.NOT_A_REPLY


def test_a_mail_without_a_calendar_is_not_a_reply(db):
    raw = b"From: someone@example.com\r\nSubject: Hej\r\nMessage-ID: <a@b>\r\n\r\nBara text.\r\n"
    assert replies.apply_reply(raw).outcome == Outcome.NOT_A_REPLY


@pytest.mark.parametrize(
    "calendar", [b"BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nDTSTART:nonsense", b"\xff\xfe\x00"]
)
def test_a_malformed_calendar_is_not_applied(db, calendar):
    raw = (
        b"From: someone@example.com\r\nMessage-ID: <m@b>\r\nContent-Type: text/calendar; method=REPLY\r\n\r\n"
        + calendar
    )
    assert replies.apply_reply(raw).outcome == Outcome.MALFORMED


def test_an_unexpected_partstat_is_not_applied(invited):
    assert replies.apply_reply(reply_mail(invited, partstat="DELEGATED")).outcome == Outcome.MALFORMED


def test_a_reply_to_a_meeting_that_sent_no_invitation_is_stale(meeting, polisen, polis_coordinator):
    attendance.name_attendee(
        meeting=meeting, party=polisen, by=polis_coordinator, name="Rikspolischef", email="rpc@polisen.example"
    )
    assert replies.apply_reply(reply_mail(meeting)).outcome == Outcome.STALE


class TestTheReplyMailbox:
    """read_replies against a real IMAP server."""

    @pytest.fixture(autouse=True)
    def mailbox(self, imap_server, settings):
        imap_server.clear()
        settings.REPLY_IMAP_HOST = imap_server.host
        settings.REPLY_IMAP_PORT = imap_server.port
        settings.REPLY_IMAP_USER = imap_server.user
        settings.REPLY_IMAP_PASSWORD = imap_server.password
        settings.REPLY_IMAP_SSL = False
        return imap_server

    def test_replies_in_the_mailbox_are_applied_and_marked_read(self, mailbox, invited):
        first = mailbox.deliver(reply_mail(invited, partstat="TENTATIVE"))
        second = mailbox.deliver(
            b"From: spam@example.com\r\nSubject: Erbjudande\r\nMessage-ID: <s@x>\r\n\r\nKop nu\r\n"
        )

        call_command("read_replies")

        assert chief(invited).rsvp == Attendee.Rsvp.TENTATIVE
        assert sorted(CalendarReply.objects.values_list("outcome", flat=True)) == [Outcome.APPLIED, Outcome.NOT_A_REPLY]
        flags = mailbox.flags()
        assert "\\Seen" in flags[first] and "\\Seen" in flags[second]

    def test_read_messages_are_not_read_again(self, mailbox, invited):
        mailbox.deliver(reply_mail(invited))
        call_command("read_replies")
        call_command("read_replies")
        assert CalendarReply.objects.count() == 1

    def test_without_a_configured_mailbox_the_command_says_what_to_set(self, settings, db):
        settings.REPLY_IMAP_HOST = ""
        from django.core.management.base import CommandError

        with pytest.raises(CommandError, match="REPLY_IMAP_HOST"):
            call_command("read_replies")


def test_the_attendee_list_shows_the_calendar_answer(client, invited, kommun_coordinator):
    replies.apply_reply(reply_mail(invited, partstat="DECLINED"))
    client.force_login(kommun_coordinator)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert "Declined in the calendar" in client.get(f"/meetings/{invited.pk}/").content.decode()


def test_replies_leave_the_rest_of_the_meeting_alone(invited):
    before = Meeting.objects.filter(pk=invited.pk).values("sequence", "status", "updated_at").get()
    replies.apply_reply(reply_mail(invited))
    assert Meeting.objects.filter(pk=invited.pk).values("sequence", "status", "updated_at").get() == before
    assert datetime.timedelta(0) <= timezone.now() - chief(invited).rsvp_at < datetime.timedelta(minutes=1)
