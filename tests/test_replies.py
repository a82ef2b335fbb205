"""Accept / Tentative / Decline coming back from the attendees' calendars.

The replies are built as a calendar client sends them (METHOD:REPLY, one
ATTENDEE with its PARTSTAT) and read from a real IMAP server on 127.0.0.1.
"""

import datetime
import email
import email.policy
import io
import socket
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import make_msgid

import icalendar
import pytest
import vobject
from django.core.management import call_command
from django.utils import timezone, translation

from coordination import ics, workers
from coordination.formatting import stockholm_moment
from coordination.models import Attendee, CalendarReply, Event, Meeting, OutboxMessage, Slot
from coordination.services import attendance, invites, meetings, replies
from coordination.times import to_stockholm

from .builders import calendar_mail, future_time, in_english, in_language

Outcome = CalendarReply.Outcome


@pytest.fixture
def invited(answered_meeting, slots, kommun, polisen, kommun_coordinator, polis_coordinator):
    """A scheduled meeting whose invitation went to the police chief (sequence 2)."""
    attendance.name_attendee(
        meeting=answered_meeting, party=polisen, by=polis_coordinator, name="Rikspolischef", email="rpc@polisen.example"
    )
    meetings.confirm_slot(meeting=answered_meeting, slot=slots[0], by=kommun_coordinator, party=kommun)
    return Meeting.objects.get(pk=answered_meeting.pk)


def reply_mail(
    meeting,
    *,
    address="rpc@polisen.example",
    partstat="ACCEPTED",
    sequence=None,
    uid=None,
    method="REPLY",
    sender=None,
    sent_by=None,
    comment=None,
    with_sequence=True,
):
    """A reply as Outlook sends it: text/calendar; method=REPLY, inside a multipart message."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = icalendar.Event()
    event.add("uid", uid or meeting.calendar_uid)
    if with_sequence:
        event.add("sequence", meeting.sequence if sequence is None else sequence)
    event.add("dtstamp", timezone.now())
    attendee = icalendar.vCalAddress(f"mailto:{address}")
    attendee.params["partstat"] = partstat
    if sent_by:
        attendee.params["sent-by"] = f"mailto:{sent_by}"
    event.add("attendee", attendee)
    if comment is not None:
        event.add("comment", comment)
    calendar.add_component(event)
    return calendar_mail(
        calendar, sender=sender or address, to="svar@samrad.example", subject="Accepterat: Dialog om utökat samarbete"
    )


# Outlook's "propose new time" as Exchange sends it: the proposed time in a Windows time zone of its own, the
# user's text in COMMENT, and the PARTSTAT of "tentative" that goes with it.
OUTLOOK_COUNTER = r"""BEGIN:VCALENDAR
METHOD:COUNTER
PRODID:Microsoft Exchange Server 2010
VERSION:2.0
BEGIN:VTIMEZONE
TZID:W. Europe Standard Time
BEGIN:STANDARD
DTSTART:16010101T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
ORGANIZER:MAILTO:svar@samrad.example
ATTENDEE;PARTSTAT=TENTATIVE;CN=Rikspolischef:MAILTO:{address}
COMMENT;LANGUAGE=sv-SE:Jag sitter i riksdagen då\, men kan gärna en timme sen
 are <b>samma dag</b>.\n
SUMMARY;LANGUAGE=sv-SE:Ny tid har föreslagits: Dialog om utökat samarbete
DTSTART;TZID=W. Europe Standard Time:{start:%Y%m%dT%H%M%S}
DTEND;TZID=W. Europe Standard Time:{end:%Y%m%dT%H%M%S}
UID:{uid}
CLASS:PUBLIC
PRIORITY:5
DTSTAMP:20261110T083000Z
TRANSP:OPAQUE
STATUS:CONFIRMED
SEQUENCE:{sequence}
X-MICROSOFT-CDO-APPT-SEQUENCE:{sequence}
X-MICROSOFT-CDO-BUSYSTATUS:TENTATIVE
X-MICROSOFT-CDO-INTENDEDSTATUS:BUSY
X-MICROSOFT-CDO-ALLDAYEVENT:FALSE
END:VEVENT
END:VCALENDAR
"""


def counter_mail(meeting, start, end, *, address="rpc@polisen.example", floating=False):
    """Outlook's "propose new time": a multipart mail whose calendar part is base64, method=COUNTER.

    ``floating``: the times without their time zone, which no one can place.
    """
    local = {"start": to_stockholm(start), "end": to_stockholm(end)}
    text = OUTLOOK_COUNTER.format(address=address, uid=meeting.calendar_uid, sequence=meeting.sequence, **local)
    if floating:
        text = text.replace(";TZID=W. Europe Standard Time:", ":")
    message = MIMEMultipart("alternative")
    message["From"] = f"Rikspolischef <{address}>"
    message["To"] = "svar@samrad.example"
    message["Subject"] = "Ny tid har föreslagits: Dialog om utökat samarbete"
    message["Message-ID"] = make_msgid(domain="polisen.example")
    message.attach(MIMEText("Rikspolischef har föreslagit en ny tid.", "plain", "utf-8"))
    part = MIMEText(text.replace("\n", "\r\n"), "calendar", "utf-8")
    part.set_param("method", "COUNTER")
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

    def test_a_proposed_time_a_forwarded_answer_and_a_commented_one_read_from_the_mailbox_reach_the_conveners(
        self, mailbox, client, invited, kommun_coordinator
    ):
        start, end = future_time(30, hour=13)
        delivered = [
            mailbox.deliver(POISON["calendar-garbage"]),
            mailbox.deliver(counter_mail(invited, start, end)),
            mailbox.deliver(reply_mail(invited, partstat="DECLINED", sender="Kollega <kollega@polisen.example>")),
            mailbox.deliver(reply_mail(invited, partstat="TENTATIVE", comment="Kommer efter lunch")),
        ]

        call_command("read_replies", stdout=io.StringIO())

        assert list(CalendarReply.objects.order_by("pk").values_list("outcome", flat=True)) == [
            Outcome.MALFORMED,
            Outcome.COUNTER,
            Outcome.WRONG_SENDER,
            Outcome.APPLIED,
        ]
        assert (chief(invited).rsvp, chief(invited).rsvp_comment) == (Attendee.Rsvp.TENTATIVE, "Kommer efter lunch")
        assert all("\\Seen" in flags for flags in map(mailbox.flags().get, delivered))
        client.force_login(kommun_coordinator)
        in_language(client, "sv")
        page = client.get(f"/meetings/{invited.pk}/").content.decode()
        assert "Rikspolischef föreslår" in page and "Kommer efter lunch" in page
        assert "Kollega &lt;kollega@polisen.example&gt;" in page and "Svaret kom från en annan adress" in page
        assert "calendar-garbage" not in page  # a message that names no meeting is the admin's

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
    in_english(client)
    assert "Declined in the calendar" in client.get(f"/meetings/{invited.pk}/").content.decode()


def test_replies_leave_the_rest_of_the_meeting_alone(invited):
    before = Meeting.objects.filter(pk=invited.pk).values("sequence", "status", "updated_at").get()
    replies.apply_reply(reply_mail(invited))
    assert Meeting.objects.filter(pk=invited.pk).values("sequence", "status", "updated_at").get() == before
    assert datetime.timedelta(0) <= timezone.now() - chief(invited).rsvp_at < datetime.timedelta(minutes=1)


# Who may answer for an attendee, and to what.


def test_a_reply_sent_from_another_address_than_the_attendee_s_is_refused(invited):
    """A forwarded invitation answered by a colleague names the attendee, but comes from the colleague."""
    reply = replies.apply_reply(reply_mail(invited, sender="kollega@polisen.example"))
    assert (reply.outcome, reply.attendee) == (Outcome.WRONG_SENDER, chief(invited))
    assert chief(invited).rsvp == Attendee.Rsvp.NEEDS_ACTION
    assert not Event.objects.filter(action=Event.Action.CALENDAR_REPLY).exists()


@pytest.mark.parametrize(
    "sender, sent_by",
    [("Rikspolischef <RPC@Polisen.Example>", None), ("kalendern@polisen.example", "RPC@POLISEN.example")],
    ids=["from-in-other-case", "sent-by"],
)
def test_a_reply_from_the_attendee_s_address_in_any_case_or_sent_by_it_is_applied(invited, sender, sent_by):
    reply = replies.apply_reply(reply_mail(invited, sender=sender, sent_by=sent_by))
    assert reply.outcome == Outcome.APPLIED
    assert chief(invited).rsvp == Attendee.Rsvp.ACCEPTED


def test_a_reply_without_a_sequence_counts_as_sequence_0(invited):
    assert invited.sequence > 0
    assert replies.apply_reply(reply_mail(invited, with_sequence=False)).outcome == Outcome.STALE
    OutboxMessage.objects.filter(meeting=invited).update(sequence=0)  # as if the first invitation were the latest
    assert replies.apply_reply(reply_mail(invited, with_sequence=False)).outcome == Outcome.APPLIED


def test_an_accept_for_a_cancelled_meeting_is_not_applied(invited, kommun, kommun_coordinator):
    old_sequence = invited.sequence
    meetings.cancel_meeting(meeting=invited, by=kommun_coordinator, party=kommun, reason="Behövs inte")
    meeting = Meeting.objects.get(pk=invited.pk)
    for sequence in (old_sequence, meeting.sequence):
        assert replies.apply_reply(reply_mail(meeting, sequence=sequence)).outcome == Outcome.CANCELLED
    assert chief(meeting).rsvp == Attendee.Rsvp.NEEDS_ACTION


def test_an_accept_of_a_time_that_went_back_to_polling_is_stale(invited, kommun, kommun_coordinator):
    """The cancellation took the event out of the calendar: an accept of the invitation before it is too old."""
    old_sequence = invited.sequence
    meetings.reschedule(meeting=invited, by=kommun_coordinator, party=kommun, reason="Krock")
    assert replies.apply_reply(reply_mail(invited, sequence=old_sequence)).outcome == Outcome.STALE
    assert chief(invited).rsvp == Attendee.Rsvp.NEEDS_ACTION


# What the attendee wrote with the answer.


def test_the_comment_of_a_reply_shows_beside_the_calendar_answer_escaped(client, invited, kommun_coordinator):
    comment = "Kommer om <b>flyget</b> hinner fram"
    assert replies.apply_reply(reply_mail(invited, partstat="TENTATIVE", comment=comment)).outcome == Outcome.APPLIED
    assert chief(invited).rsvp_comment == comment
    event = Event.objects.get(action=Event.Action.CALENDAR_REPLY)
    assert event.after == {"rsvp": "TENTATIVE", "comment": comment}
    client.force_login(kommun_coordinator)
    in_english(client)
    page = client.get(f"/meetings/{invited.pk}/").content.decode()
    assert "Tentatively accepted in the calendar<br><q" in page
    assert "Kommer om &lt;b&gt;flyget&lt;/b&gt; hinner fram" in page and "<b>flyget" not in page


def test_a_new_comment_with_the_same_answer_is_recorded(invited):
    replies.apply_reply(reply_mail(invited, comment="Kommer"))
    assert replies.apply_reply(reply_mail(invited, comment="Kommer, med stabschefen")).outcome == Outcome.APPLIED
    assert chief(invited).rsvp_comment == "Kommer, med stabschefen"


# Outlook's "propose new time".


def calendar_part(raw):
    message = email.message_from_bytes(raw, policy=email.policy.default)
    return next(part for part in message.walk() if part.get_content_type() == "text/calendar").get_content()


def test_outlook_s_proposal_of_a_new_time_is_kept_with_its_comment_and_changes_no_answer(invited):
    start, end = future_time(30, hour=13)
    raw = counter_mail(invited, start, end)
    # The message of the test is a calendar both parsers read, with the time it proposes.
    [by_icalendar] = icalendar.Calendar.from_ical(calendar_part(raw)).walk("VEVENT")
    by_vobject = vobject.readOne(calendar_part(raw)).vevent
    assert by_icalendar.decoded("DTSTART") == by_vobject.dtstart.value == start
    assert by_vobject.dtend.value == end

    reply = replies.apply_reply(raw)

    assert (reply.outcome, reply.proposed_start, reply.proposed_end) == (Outcome.COUNTER, start, end)
    assert reply.comment == "Jag sitter i riksdagen då, men kan gärna en timme senare <b>samma dag</b>."
    assert chief(invited).rsvp == Attendee.Rsvp.NEEDS_ACTION


def test_a_proposal_in_floating_time_or_ending_before_it_starts_is_malformed(invited):
    start, end = future_time(30, hour=13)
    assert replies.apply_reply(counter_mail(invited, end, start)).outcome == Outcome.MALFORMED
    assert replies.apply_reply(counter_mail(invited, start, end, floating=True)).outcome == Outcome.MALFORMED


def add_button(meeting, counter):
    return f'action="/meetings/{meeting.pk}/proposed-times/{counter.pk}/add/"'


def test_a_proposed_time_is_added_with_one_click_only_while_the_parties_answer(
    client, invited, kommun, kommun_coordinator
):
    start, end = future_time(30, hour=13)
    counter = replies.apply_reply(counter_mail(invited, start, end))
    client.force_login(kommun_coordinator)
    in_english(client)

    page = client.get(f"/meetings/{invited.pk}/").content.decode()
    assert "Rikspolischef proposes" in page and "en timme senare &lt;b&gt;samma dag&lt;/b&gt;." in page
    assert add_button(invited, counter) not in page and "reschedule it first" in page
    response = client.post(f"/meetings/{invited.pk}/proposed-times/{counter.pk}/add/")
    assert response.status_code == 403
    assert not invited.slots.filter(start=start).exists()

    meetings.reschedule(meeting=invited, by=kommun_coordinator, party=kommun, reason="Rikspolischefen kan inte")
    page = client.get(f"/meetings/{invited.pk}/").content.decode()
    assert add_button(invited, counter) in page
    response = client.post(f"/meetings/{invited.pk}/proposed-times/{counter.pk}/add/", follow=True)

    slot = Slot.objects.get(meeting=invited, start=start, end=end)
    assert (slot.proposed_by_party, slot.proposed_by) == (kommun, kommun_coordinator)
    assert Event.objects.filter(action=Event.Action.SLOT_PROPOSED, meeting=invited).count() == 3
    page = response.content.decode()
    assert "was added to the proposed times" in page
    assert add_button(invited, counter) not in page and "already among the proposed times" in page
    # A second click (another tab) is refused by the slot form's own check and changes nothing.
    client.post(f"/meetings/{invited.pk}/proposed-times/{counter.pk}/add/")
    assert Slot.objects.filter(meeting=invited, start=start).count() == 1


def test_a_proposed_time_that_has_passed_is_refused_by_the_slot_form(client, invited, kommun, kommun_coordinator):
    past = timezone.now() - datetime.timedelta(hours=2)
    counter = replies.apply_reply(counter_mail(invited, past, past + datetime.timedelta(hours=1)))
    meetings.reschedule(meeting=invited, by=kommun_coordinator, party=kommun, reason="Krock")
    client.force_login(kommun_coordinator)
    in_english(client)
    assert "The time has already passed." in client.get(f"/meetings/{invited.pk}/").content.decode()
    response = client.post(f"/meetings/{invited.pk}/proposed-times/{counter.pk}/add/", follow=True)
    assert "The time has already passed. Propose a time in the future." in response.content.decode()
    assert not invited.slots.filter(start__lt=timezone.now()).exists()


# The refused ones, to the conveners.


def test_refused_replies_show_to_the_conveners_with_the_reason_in_swedish(
    client, invited, slots, kommun, kommun_coordinator, polis_coordinator
):
    old_sequence = invited.sequence
    forwarded = replies.apply_reply(reply_mail(invited, sender="kollega@polisen.example"))
    meetings.reschedule(meeting=invited, by=kommun_coordinator, party=kommun, reason="Krock", slot=slots[1])
    replies.apply_reply(reply_mail(invited, sequence=old_sequence, partstat="DECLINED"))
    in_language(client, "sv")

    client.force_login(kommun_coordinator)
    page = client.get(f"/meetings/{invited.pk}/").content.decode()
    assert "Svar som inte registrerades" in page
    assert "Svaret kom från en annan adress än deltagarens." in page and "kollega@polisen.example" in page
    assert "Svaret gällde en äldre version av inbjudan." in page and "Avböjt i kalendern" in page
    with translation.override("sv"):
        assert stockholm_moment(forwarded.received_at) in page  # when it came

    client.force_login(polis_coordinator)
    page = client.get(f"/meetings/{invited.pk}/").content.decode()
    assert "Svar som inte registrerades" not in page and "kollega@polisen.example" not in page


def test_a_reply_to_a_cancelled_meeting_shows_why_to_the_conveners(client, invited, kommun, kommun_coordinator):
    meetings.cancel_meeting(meeting=invited, by=kommun_coordinator, party=kommun, reason="Behövs inte")
    replies.apply_reply(reply_mail(Meeting.objects.get(pk=invited.pk)))
    client.force_login(kommun_coordinator)
    in_language(client, "sv")
    assert "Mötet är inställt. Inget behöver göras." in client.get(f"/meetings/{invited.pk}/").content.decode()
