"""Accept / Tentative / Decline from the attendees' calendars, read from the reply mailbox.

Calendar clients mail a METHOD:REPLY to the ORGANIZER, which is Samråd's own
mailbox. A reply is applied only when it names a meeting we sent (UID) that is
not cancelled, answers the latest calendar message that attendee got (SEQUENCE;
none counts as 0), comes from one of its attendees (ATTENDEE address) and was
sent by that attendee (the mail's From, or the ATTENDEE's SENT-BY, is the
attendee's address): a forwarded invitation answered by someone else changes
nothing. Everything else is kept unapplied with the reason, which the conveners
see on the meeting's page. A METHOD:COUNTER (Outlook's "propose new time")
passing the same checks is kept as a proposal the conveners may add as a time.

No message stops the reader: one that cannot be read at all (a From: the email
package chokes on, an oversized one, anything apply_reply raises on) is
recorded as UNREADABLE or TOO_LARGE and marked read like every other, so it is
not read again and the messages after it are. Only an outage (the database,
the mailbox) ends a read, leaving the message unread for the next round.
"""

import datetime
import email
import email.utils
import imaplib
import logging
import re
import uuid
from email import policy

import icalendar
from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from ..models import Attendee, CalendarReply, Event, Meeting, OutboxMessage
from .base import locked_meeting, log_event

logger = logging.getLogger(__name__)
Outcome = CalendarReply.Outcome
ANSWERS = {Attendee.Rsvp.ACCEPTED, Attendee.Rsvp.TENTATIVE, Attendee.Rsvp.DECLINED}
CALENDAR_TYPES = {"text/calendar", "application/ics"}
METHODS = {"REPLY", "COUNTER"}
MAX_COMMENT_CHARS = 2000
# A calendar reply is a few kilobytes; only this much of a message is fetched, a larger one is not read.
MAX_REPLY_BYTES = 2 * 1024 * 1024


def _header(message, name):
    """A header as text; one the email package cannot parse (``From: <"``), as it stands."""
    try:
        return str(message.get(name, "")).strip()
    except Exception:  # noqa: BLE001 - the parser raises IndexError, ValueError, ... on broken headers
        return next((str(value).strip() for key, value in message.raw_items() if key.lower() == name.lower()), "")


def _reply_event(message):
    """(METHOD, VEVENT) of the message's METHOD:REPLY or COUNTER calendar; None if none; ValueError if unreadable."""
    for part in message.walk():
        if part.get_content_type() not in CALENDAR_TYPES:
            continue
        calendar = icalendar.Calendar.from_ical(part.get_payload(decode=True))
        method = str(calendar.get("METHOD", "")).upper()
        if method not in METHODS:
            continue
        events = calendar.walk("VEVENT")
        if len(events) != 1:
            raise ValueError("a reply must hold exactly one VEVENT")
        return method, events[0]
    return None


def _proposed_time(event):
    """The (start, end) a COUNTER proposes, in UTC; ValueError if it is not a time with a time zone."""
    start, end = event.start, event.end
    if not all(isinstance(value, datetime.datetime) and value.tzinfo for value in (start, end)):
        raise ValueError("a proposed time needs a start and an end with a time zone")
    if end <= start:
        raise ValueError("a proposed time must end after it starts")
    return start.astimezone(datetime.UTC), end.astimezone(datetime.UTC)


def _comment(event):
    """What the attendee wrote (Outlook puts it in COMMENT), as plain text."""
    comments = event.get("COMMENT", [])
    comments = comments if isinstance(comments, list) else [comments]
    return "\n".join(str(comment).strip() for comment in comments).strip()[:MAX_COMMENT_CHARS]


def _meeting_for_uid(uid):
    local, _, domain = str(uid).partition("@")
    try:
        key = uuid.UUID(local)
    except ValueError:
        return None
    return Meeting.objects.filter(uid=key).first() if domain == "samrad" else None


def _address(value):
    return str(value).removeprefix("mailto:").removeprefix("MAILTO:").strip().lower()


def _sender_addresses(reply, attendee_line):
    """Who sent the reply: the addresses in its From, and the ATTENDEE's SENT-BY if it has one."""
    addresses = {address.lower() for _, address in email.utils.getaddresses([reply.sender]) if address}
    if sent_by := attendee_line.params.get("SENT-BY"):
        addresses.add(_address(sent_by))
    return addresses


@transaction.atomic
def apply_reply(raw):
    """Read one mail from the reply mailbox and record what it says. Returns its CalendarReply row."""
    message = email.message_from_bytes(raw, policy=policy.default)
    message_id = _header(message, "Message-ID")[:300]
    if message_id and (earlier := CalendarReply.objects.filter(message_id=message_id).first()):
        return earlier  # read twice (the mark as read was lost): nothing new to do
    reply = CalendarReply(message_id=message_id, sender=_header(message, "From")[:300])
    try:
        found = _reply_event(message)
        if found is not None:
            method, event = found
            sequence = int(event.get("SEQUENCE", 0))
            attendees = event.get("ATTENDEE")
            attendees = attendees if isinstance(attendees, list) else [attendees]
            if len(attendees) != 1 or attendees[0] is None:
                raise ValueError("a reply names exactly one attendee")
            partstat = str(attendees[0].params.get("PARTSTAT", "")).upper()
            if method == "REPLY" and partstat not in ANSWERS:
                raise ValueError(f"unexpected PARTSTAT {partstat!r}")
            if method == "COUNTER":
                reply.proposed_start, reply.proposed_end = _proposed_time(event)
            reply.comment = _comment(event)
    except (ValueError, KeyError, TypeError) as error:
        logger.warning("Unreadable calendar reply %s: %s", message_id, error)
        reply.outcome = Outcome.MALFORMED
        reply.save()
        return reply
    if found is None:
        reply.outcome = Outcome.NOT_A_REPLY
    else:
        reply.partstat = partstat[:20]
        reply.outcome = _apply(reply, event, sequence, attendees[0])
    if reply.outcome not in (Outcome.APPLIED, Outcome.UNCHANGED, Outcome.COUNTER):
        logger.warning("Calendar reply %s from %s not applied: %s", message_id, reply.sender, reply.outcome)
    reply.save()
    return reply


def _apply(reply, event, sequence, attendee_line):
    meeting = _meeting_for_uid(event.get("UID", ""))
    if meeting is None:
        return Outcome.UNKNOWN_MEETING
    # The meeting's lock first, as every service takes it, before the attendee's: the event written below
    # takes it anyway (eventchain.link), and taking it second could deadlock with a convener's change.
    meeting = locked_meeting(meeting)
    reply.meeting = meeting
    address = _address(attendee_line)
    attendee = meeting.attendees.select_for_update().filter(email__iexact=address).select_related("party").first()
    if attendee is None:
        return Outcome.UNKNOWN_ATTENDEE
    reply.attendee = attendee
    if attendee.email.lower() not in _sender_addresses(reply, attendee_line):
        return Outcome.WRONG_SENDER
    if meeting.status == Meeting.Status.CANCELLED:
        return Outcome.CANCELLED
    # The latest calendar message the attendee got: an invitation, an update, or the cancellation that took the
    # event out of their calendar when the meeting went back to polling.
    sent = OutboxMessage.objects.filter(meeting=meeting, recipient__iexact=address).exclude(method="")
    latest = sent.aggregate(latest=Max("sequence"), invited=Max("sequence", filter=Q(method="REQUEST")))
    if latest["invited"] is None or sequence < latest["latest"]:
        return Outcome.STALE
    if reply.proposed_start:
        return Outcome.COUNTER
    return _record_answer(attendee, reply.partstat, reply.comment)


def _record_answer(attendee, partstat, comment):
    if (attendee.rsvp, attendee.rsvp_comment) == (partstat, comment):
        return Outcome.UNCHANGED
    before = {"rsvp": attendee.rsvp}
    after = {"rsvp": partstat}
    if comment or attendee.rsvp_comment:
        before["comment"], after["comment"] = attendee.rsvp_comment, comment
    attendee.rsvp, attendee.rsvp_comment = partstat, comment
    attendee.rsvp_at = timezone.now()
    attendee.save(update_fields=["rsvp", "rsvp_comment", "rsvp_at"])
    log_event(
        meeting=attendee.meeting,
        by=None,
        actor_name=f"{attendee.name} <{attendee.email}>",
        party=attendee.party,
        action=Event.Action.CALENDAR_REPLY,
        subject=attendee.name,
        before=before,
        after=after,
    )
    return Outcome.APPLIED


def read_mailbox():
    """Apply every unread message in the reply mailbox and mark it read. Returns the replies recorded."""
    imap_class = imaplib.IMAP4_SSL if settings.REPLY_IMAP_SSL else imaplib.IMAP4
    replies = []
    with imap_class(settings.REPLY_IMAP_HOST, settings.REPLY_IMAP_PORT, timeout=settings.REPLY_IMAP_TIMEOUT) as imap:
        imap.login(settings.REPLY_IMAP_USER, settings.REPLY_IMAP_PASSWORD)
        imap.select("INBOX")
        _, found = imap.uid("SEARCH", None, "UNSEEN")
        for uid in found[0].split():
            # One byte more than allowed: a message that fills it is too large, and the rest is never fetched.
            _, data = imap.uid("FETCH", uid, f"(BODY.PEEK[]<0.{MAX_REPLY_BYTES + 1}>)")
            raw = next((item[1] for item in data if isinstance(item, tuple)), None)
            if raw is not None:  # None: gone meanwhile (another client expunged it)
                replies.append(_read_one(raw, uid))
            imap.uid("STORE", uid, "+FLAGS", "(\\Seen)")
    return replies


def _read_one(raw, uid):
    """apply_reply, but a message it cannot take is recorded with the reason instead of stopping the reader."""
    if len(raw) > MAX_REPLY_BYTES:
        logger.warning("Message %s in the reply mailbox is larger than %d bytes: not read", uid, MAX_REPLY_BYTES)
        return CalendarReply.objects.create(**_unparsed_headers(raw), outcome=Outcome.TOO_LARGE)
    try:
        return apply_reply(raw)
    except (OperationalError, InterfaceError):
        raise  # the database is away: the message stays unread for the next round
    except Exception:
        logger.exception("Message %s in the reply mailbox could not be read", uid)
        return CalendarReply.objects.create(**_unparsed_headers(raw), outcome=Outcome.UNREADABLE)


def _unparsed_headers(raw):
    """Message-ID and From of a message not parsed as a whole (too large, or the parser failed), as they stand."""
    headers = email.message_from_bytes(re.split(rb"\r?\n\r?\n", raw, maxsplit=1)[0], policy=policy.compat32)
    return {name: str(headers.get(header, "")).strip()[:300] for name, header in HEADERS.items()}


HEADERS = {"message_id": "Message-ID", "sender": "From"}


def for_conveners(meeting):
    """The replies about ``meeting`` that need the conveners' eyes: (times proposed instead, answers refused).

    Each proposal knows whether it is already among the meeting's times or has passed, so that the page can say
    why it is not offered to be added.
    """
    replies = list(
        CalendarReply.objects.filter(meeting=meeting)
        .exclude(outcome__in=[Outcome.APPLIED, Outcome.UNCHANGED])
        .select_related("attendee")
    )
    counters = [reply for reply in replies if reply.outcome == Outcome.COUNTER]
    proposed = set(meeting.proposed_times) if counters else set()
    now = timezone.now()
    for counter in counters:
        counter.already_proposed = (counter.proposed_start, counter.proposed_end) in proposed
        counter.has_passed = counter.proposed_start <= now
    return counters, [reply for reply in replies if reply.outcome != Outcome.COUNTER]
