"""Accept / Tentative / Decline from the attendees' calendars, read from the reply mailbox.

Calendar clients mail a METHOD:REPLY to the ORGANIZER, which is Samråd's own
mailbox. A reply is applied only when it names a meeting we sent (UID), answers
the latest invitation that attendee got (SEQUENCE) and comes from one of its
attendees (ATTENDEE address). Everything else is kept unapplied with the reason.

No message stops the reader: one that cannot be read at all (a From: the email
package chokes on, an oversized one, anything apply_reply raises on) is
recorded as UNREADABLE or TOO_LARGE and marked read like every other, so it is
not read again and the messages after it are. Only an outage (the database,
the mailbox) ends a read, leaving the message unread for the next round.
"""

import email
import imaplib
import logging
import re
import uuid
from email import policy

import icalendar
from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Max
from django.utils import timezone

from ..models import Attendee, CalendarReply, Event, Meeting, OutboxMessage
from .base import log_event

logger = logging.getLogger(__name__)
Outcome = CalendarReply.Outcome
ANSWERS = {Attendee.Rsvp.ACCEPTED, Attendee.Rsvp.TENTATIVE, Attendee.Rsvp.DECLINED}
CALENDAR_TYPES = {"text/calendar", "application/ics"}
# A calendar reply is a few kilobytes; only this much of a message is fetched, a larger one is not read.
MAX_REPLY_BYTES = 2 * 1024 * 1024


def _header(message, name):
    """A header as text; one the email package cannot parse (``From: <"``), as it stands."""
    try:
        return str(message.get(name, "")).strip()
    except Exception:  # noqa: BLE001 - the parser raises IndexError, ValueError, ... on broken headers
        return next((str(value).strip() for key, value in message.raw_items() if key.lower() == name.lower()), "")


def _reply_event(message):
    """The VEVENT of the message's METHOD:REPLY calendar; None if there is none; ValueError if unreadable."""
    for part in message.walk():
        if part.get_content_type() not in CALENDAR_TYPES:
            continue
        calendar = icalendar.Calendar.from_ical(part.get_payload(decode=True))
        if str(calendar.get("METHOD", "")).upper() != "REPLY":
            continue
        events = calendar.walk("VEVENT")
        if len(events) != 1:
            raise ValueError("a reply must hold exactly one VEVENT")
        return events[0]
    return None


def _meeting_for_uid(uid):
    local, _, domain = str(uid).partition("@")
    try:
        key = uuid.UUID(local)
    except ValueError:
        return None
    return Meeting.objects.filter(uid=key).first() if domain == "samrad" else None


def _address(value):
    return str(value).removeprefix("mailto:").removeprefix("MAILTO:").strip().lower()


@transaction.atomic
def apply_reply(raw):
    """Read one mail from the reply mailbox and record what it says. Returns its CalendarReply row."""
    message = email.message_from_bytes(raw, policy=policy.default)
    message_id = _header(message, "Message-ID")[:300]
    if message_id and (earlier := CalendarReply.objects.filter(message_id=message_id).first()):
        return earlier  # read twice (the mark as read was lost): nothing new to do
    reply = CalendarReply(message_id=message_id, sender=_header(message, "From")[:300])
    try:
        event = _reply_event(message)
        if event is not None:
            sequence = int(event.get("SEQUENCE", 0))
            attendees = event.get("ATTENDEE")
            attendees = attendees if isinstance(attendees, list) else [attendees]
            if len(attendees) != 1 or attendees[0] is None:
                raise ValueError("a reply names exactly one attendee")
            address, partstat = _address(attendees[0]), str(attendees[0].params.get("PARTSTAT", "")).upper()
            if partstat not in ANSWERS:
                raise ValueError(f"unexpected PARTSTAT {partstat!r}")
    except (ValueError, KeyError, TypeError) as error:
        logger.warning("Unreadable calendar reply %s: %s", message_id, error)
        reply.outcome = Outcome.MALFORMED
        reply.save()
        return reply
    if event is None:
        reply.outcome = Outcome.NOT_A_REPLY
    else:
        reply.partstat = partstat
        reply.outcome = _apply(reply, event, sequence, address, partstat)
    if reply.outcome not in (Outcome.APPLIED, Outcome.UNCHANGED):
        logger.warning("Calendar reply %s from %s not applied: %s", message_id, reply.sender, reply.outcome)
    reply.save()
    return reply


def _apply(reply, event, sequence, address, partstat):
    meeting = _meeting_for_uid(event.get("UID", ""))
    if meeting is None:
        return Outcome.UNKNOWN_MEETING
    reply.meeting = meeting
    attendee = meeting.attendees.select_for_update().filter(email__iexact=address).select_related("party").first()
    if attendee is None:
        return Outcome.UNKNOWN_ATTENDEE
    reply.attendee = attendee
    latest = OutboxMessage.objects.filter(meeting=meeting, recipient__iexact=address, method="REQUEST").aggregate(
        latest=Max("sequence")
    )["latest"]
    if latest is None or sequence < latest:
        return Outcome.STALE
    if attendee.rsvp == partstat:
        return Outcome.UNCHANGED
    before = attendee.rsvp
    attendee.rsvp = partstat
    attendee.rsvp_at = timezone.now()
    attendee.save(update_fields=["rsvp", "rsvp_at"])
    log_event(
        meeting=meeting,
        by=None,
        actor_name=f"{attendee.name} <{attendee.email}>",
        party=attendee.party,
        action=Event.Action.CALENDAR_REPLY,
        subject=attendee.name,
        before={"rsvp": before},
        after={"rsvp": partstat},
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
