"""Invitations, updates and cancellations: what each attendee is sent, written to the outbox.

The services call these inside their own transaction, so a change and the
mail that tells of it are stored together or not at all; the outbox worker
sends after commit (``outbox.py``).
"""

from django.urls import reverse
from django.utils import timezone

from .. import ics, mail
from ..formatting import slot_label, utc_offset
from ..models import AgendaItem, Meeting, OutboxMessage


def meeting_url(meeting):
    return mail.site_url(reverse("meeting_detail", args=[meeting.pk]))


def calendar_entry(meeting, *, slot=None):
    """The meeting as its calendar event shows it, read fresh (with what a change just wrote)."""
    return entry_for(Meeting.objects.for_calendar().get(pk=meeting.pk), slot=slot)


def entry_for(meeting, *, slot=None):
    """The calendar event of a meeting fetched with Meeting.objects.for_calendar()."""
    return ics.Entry(
        meeting=meeting,
        slot=slot or meeting.confirmed_slot,
        url=meeting_url(meeting),
        invitations=list(meeting.invitations.all()),
        attendees=list(meeting.attendees.all()),
        agenda_titles=accepted_titles(meeting.agenda_items.all()),
    )


def accepted_titles(agenda_items):
    """The accepted agenda as it leaves Samråd in mail and calendar files: titles only, each with its secrecy
    marking; never a description, a position or a document."""
    return [item.with_marking(item.title) for item in agenda_items if item.status == AgendaItem.Status.ACCEPTED]


def _message(entry, attendee, *, kind, method, calendar, note, moved_from=None):
    def context():
        return {
            "entry": entry,
            "title": entry.meeting.title,
            "when": slot_label(entry.slot) if entry.slot else "",
            "offset": utc_offset(entry.slot.start) if entry.slot else "",
            "attendee": attendee,
            # A person no longer called is told why: their party took them off, or left the meeting itself.
            "party_invited": any(inv.party_id == attendee.party_id for inv in entry.invitations),
            "note": note,
            # Formatted here, in the recipient's language, as "when" is.
            "moved_from": slot_label(moved_from) if moved_from else "",
        }

    return mail.compose(
        kind,
        mail.Recipient.attendee(attendee),
        context,
        meeting=entry.meeting,
        calendar=calendar,
        method=method,
        sequence=entry.meeting.sequence,
    )


# The kinds that take the event out of the recipient's calendar: a METHOD:CANCEL listing only them.
CANCELLING = {OutboxMessage.Kind.CANCELLATION, OutboxMessage.Kind.NO_LONGER_CALLED}


def queue(meeting, *, kind, only=None, slot=None, note="", moved_from=None):
    """Write one message per attendee with an address (or per attendee in ``only``).

    An invitation or update is METHOD:REQUEST listing every attendee; a
    cancellation is METHOD:CANCEL, listing only its recipients. ``slot`` is the
    time the message is about (for a cancellation after a move back to polling,
    the time that no longer holds); ``moved_from`` the time an update moves the
    meeting from. A meeting without a time has put nothing in
    any calendar: its message is the mail alone. Returns the messages written.
    """
    entry = calendar_entry(meeting, slot=slot)
    recipients = [a for a in (entry.attendees if only is None else only) if a.email]
    if not recipients:
        return []
    cancelling = kind in CANCELLING
    method, calendar = "", ""
    if entry.slot is not None:
        method = ics.CANCEL if cancelling else ics.REQUEST
        listed = recipients if cancelling else None
        event = ics.build_event(entry, now=timezone.now(), cancelled=cancelling, attendees=listed)
        calendar = ics.build_calendar([event], method=method).decode()
    return OutboxMessage.objects.bulk_create(
        [
            _message(entry, attendee, kind=kind, method=method, calendar=calendar, note=note, moved_from=moved_from)
            for attendee in recipients
        ]
    )
