"""Accept / Tentative / Decline coming back from the attendees' calendars.

The replies are built as a calendar client sends them (METHOD:REPLY, one
ATTENDEE with its PARTSTAT) and read from a real IMAP server on 127.0.0.1.
"""

import datetime
import io
import socket

import icalendar
import pytest
from django.core.management import call_command
from django.utils import timezone

from coordination import ics, workers
from coordination.models import Attendee, CalendarReply, Event, Meeting
from coordination.services import attendance, invites, meetings, replies

from .builders import calendar_mail

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
    return calendar_mail(
        calendar, sender=address, to="svar@samrad.example", subject="Accepterat: Dialog om utökat samarbete"
    )


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


def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again when the probe is


def poison(name, headers, body=b"Hej"):
    return f"Message-ID: <{name}@poison.example>\r\n".encode() + headers + b"\r\n\r\n" + body + b"\r\n"


CALENDAR = b"Content-Type: text/calendar; method=REPLY; charset=utf-8"
# The worst a mailbox can hold, each before the valid replies: none may stop the reader.
POISON = {
    "broken-from": poison("broken-from", b'From: <"'),
    "comma-and-a-ring": poison("comma-and-a-ring", "From: Länsstyrelsen, Uppsala län <lst@lst.example>".encode()),
    "no-calendar": poison("no-calendar", b"From: someone@example.com\r\nSubject: Bara text"),
    "huge": poison("huge", b"From: someone@example.com", b"x" * (5 * 1024 * 1024)),
    "unknown-charset": poison(
        "unknown-charset",
        b"From: =?x-unknown?q?=E5?= <a@b.example>\r\n"
        b"Content-Type: text/calendar; method=REPLY; charset=x-unknown\r\nContent-Transfer-Encoding: 8bit",
        b"BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nSUMMARY:\xe5\xe4\xf6\xff\r\nEND:VCALENDAR",
    ),
    "calendar-garbage": poison(
        "calendar-garbage", b"From: someone@example.com\r\n" + CALENDAR, b"BEGIN:VCALENDAR\r\n\x00\xff garbage"
    ),
    "broken-base64": poison(
        "broken-base64",
        b"From: someone@example.com\r\n" + CALENDAR + b"\r\nContent-Transfer-Encoding: base64",
        b"!!!!not base64 at all",
    ),
}


class TestTheReplyMailbox:
    """read_replies against a real IMAP server."""

    @pytest.fixture(autouse=True)
    def mailbox(self, reply_mailbox):
        return reply_mailbox

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

    def test_messages_that_cannot_be_read_are_recorded_marked_read_and_never_stop_the_replies_after_them(
        self, mailbox, invited, polisen, polis_coordinator
    ):
        attendance.name_attendee(
            meeting=invited, party=polisen, by=polis_coordinator, name="Stabschef", email="stab@polisen.example"
        )
        meeting = Meeting.objects.get(pk=invited.pk)  # its invitation updated (a new sequence) for both
        poison = [mailbox.deliver(raw) for raw in POISON.values()]
        valid = [
            mailbox.deliver(reply_mail(meeting, partstat="ACCEPTED")),
            mailbox.deliver(reply_mail(meeting, address="stab@polisen.example", partstat="DECLINED")),
        ]

        call_command("read_replies", stdout=io.StringIO())

        assert chief(meeting).rsvp == Attendee.Rsvp.ACCEPTED
        assert meeting.attendees.get(email="stab@polisen.example").rsvp == Attendee.Rsvp.DECLINED
        outcomes = dict(CalendarReply.objects.values_list("message_id", "outcome"))
        assert {name: outcomes[f"<{name}@poison.example>"] for name in POISON} == {
            "broken-from": Outcome.NOT_A_REPLY,
            "comma-and-a-ring": Outcome.NOT_A_REPLY,
            "no-calendar": Outcome.NOT_A_REPLY,
            "huge": Outcome.TOO_LARGE,
            "unknown-charset": Outcome.MALFORMED,
            "calendar-garbage": Outcome.MALFORMED,
            "broken-base64": Outcome.MALFORMED,
        }
        assert CalendarReply.objects.get(message_id="<broken-from@poison.example>").sender == '<"'
        flags = mailbox.flags()
        assert all("\\Seen" in flags[uid] for uid in poison + valid)

        call_command("read_replies", stdout=io.StringIO())  # nothing is read twice
        assert CalendarReply.objects.count() == len(POISON) + len(valid)

    def test_a_message_the_reader_fails_on_in_a_way_not_foreseen_is_recorded_as_unreadable(
        self, mailbox, invited, monkeypatch
    ):
        def fails_on_the_first(raw, original=replies.apply_reply):
            if b"<first@poison.example>" in raw:
                raise RuntimeError("a bug met a strange message")
            return original(raw)

        monkeypatch.setattr(replies, "apply_reply", fails_on_the_first)
        mailbox.deliver(poison("first", b"From: someone@example.com"))
        mailbox.deliver(reply_mail(invited))

        [unreadable, applied] = replies.read_mailbox()

        assert (unreadable.outcome, unreadable.message_id) == (Outcome.UNREADABLE, "<first@poison.example>")
        assert applied.outcome == Outcome.APPLIED
        assert replies.read_mailbox() == []

    def test_the_reading_loop_waits_out_a_mailbox_that_refuses_connections_and_reads_once_it_is_back(
        self, mailbox, invited, settings
    ):
        mailbox.deliver(reply_mail(invited))
        settings.REPLY_IMAP_PORT = closed_port()
        pauses = []

        def pause(seconds):
            pauses.append(seconds)
            settings.REPLY_IMAP_PORT = mailbox.port  # the server is back

        workers.run_forever(replies.read_mailbox, what="Reading the reply mailbox", interval=60, sleep=pause, rounds=2)

        assert pauses == [120]
        assert chief(invited).rsvp == Attendee.Rsvp.ACCEPTED

    def test_without_the_loop_a_mailbox_that_is_away_ends_the_command_with_one_line(self, mailbox, db, settings):
        from django.core.management.base import CommandError

        settings.REPLY_IMAP_PORT = closed_port()
        with pytest.raises(CommandError, match="Reading the reply mailbox failed: ConnectionRefusedError"):
            call_command("read_replies")

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
