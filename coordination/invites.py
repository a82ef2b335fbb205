"""Invitations, updates and cancellations: what each attendee is sent, written to the outbox.

The services call these inside their own transaction, so a change and the
mail that tells of it are stored together or not at all; the outbox worker
sends after commit (``outbox.py``).
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from . import ics
from .formatting import slot_label, utc_offset
from .models import AgendaItem, Hold, Meeting, OutboxMessage, person_name


def meeting_url(meeting):
    return settings.SITE_URL + reverse("meeting_detail", args=[meeting.pk])


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
    return [item.title for item in agenda_items if item.status == AgendaItem.Status.ACCEPTED]


def user_language(user):
    """The language mail to ``user`` is written in: their own choice, else Swedish. None is someone without an account."""
    profile = getattr(user, "profile", None) if user is not None else None
    return profile.language if profile else settings.LANGUAGE_CODE


def recipient_language(attendee):
    return user_language(attendee.user if attendee.user_id else None)


SUBJECTS = {
    OutboxMessage.Kind.INVITATION: gettext_lazy("Invitation: %(title)s, %(when)s"),
    OutboxMessage.Kind.UPDATE: gettext_lazy("Updated: %(title)s, %(when)s"),
    OutboxMessage.Kind.CANCELLATION: gettext_lazy("Cancelled: %(title)s, %(when)s"),
}


def _message(entry, attendee, *, kind, method, calendar, note):
    with translation.override(recipient_language(attendee)):
        when = slot_label(entry.slot)
        context = {
            "entry": entry,
            "meeting": entry.meeting,
            "kind": kind,
            "when": when,
            "offset": utc_offset(entry.slot.start),
            "attendee": attendee,
            "note": note,
        }
        return OutboxMessage(
            meeting=entry.meeting,
            kind=kind,
            recipient=attendee.email,
            recipient_name=attendee.name,
            subject=(str(SUBJECTS[kind]) % {"title": entry.meeting.title, "when": when}).replace("\n", " ")[:300],
            text=render_to_string("coordination/email/invite.txt", context),
            html=render_to_string("coordination/email/invite.html", context),
            calendar=calendar.decode(),
            method=method,
            sequence=entry.meeting.sequence,
            next_attempt_at=timezone.now(),
        )


def queue(meeting, *, kind, only=None, slot=None, note=""):
    """Write one message per attendee with an address (or per attendee in ``only``).

    An invitation or update is METHOD:REQUEST listing every attendee; a
    cancellation is METHOD:CANCEL, listing only its recipients. ``slot`` is the
    time the message is about (for a cancellation after a move back to polling,
    the time that no longer holds). Returns the messages written.
    """
    entry = calendar_entry(meeting, slot=slot)
    recipients = [a for a in (entry.attendees if only is None else only) if a.email]
    if not recipients:
        return []
    now = timezone.now()
    cancelling = kind == OutboxMessage.Kind.CANCELLATION
    method = ics.CANCEL if cancelling else ics.REQUEST
    listed = recipients if cancelling else None
    calendar = ics.build_calendar([ics.build_event(entry, now=now, cancelled=cancelling, attendees=listed)], method=method)
    return OutboxMessage.objects.bulk_create(
        [_message(entry, attendee, kind=kind, method=method, calendar=calendar, note=note) for attendee in recipients]
    )


def hold_calendar(meeting, user, now):
    """The polling meeting's open times as tentative holds for ``user``, remembered so they can be released."""
    entry = calendar_entry(meeting)
    slots = list(meeting.slots.active())
    hold, _ = Hold.objects.get_or_create(meeting=meeting, user=user)
    hold.slots.add(*slots)
    return ics.build_calendar([ics.build_hold(entry, slot, user, now=now) for slot in slots])


def release_holds(meeting, chosen):
    """Cancel, in every calendar that took holds, the times that were not chosen. One message per person."""
    entry = calendar_entry(meeting)
    now = timezone.now()
    messages = []
    for hold in meeting.holds.select_related("user__profile").prefetch_related("slots"):
        released = [slot for slot in hold.slots.all() if slot.pk != chosen.pk]
        if not released or not hold.user.email:
            continue
        calendar = ics.build_calendar(
            [ics.build_hold(entry, slot, hold.user, now=now, cancelled=True) for slot in released], method=ics.CANCEL
        )
        with translation.override(user_language(hold.user)):
            when = slot_label(chosen)
            context = {"meeting": meeting, "when": when, "released": [slot_label(slot) for slot in released], "entry": entry}
            messages.append(
                OutboxMessage(
                    meeting=meeting,
                    kind=OutboxMessage.Kind.HOLDS_RELEASED,
                    recipient=hold.user.email,
                    recipient_name=person_name(hold.user),
                    subject=(str(HOLDS_SUBJECT) % {"title": meeting.title, "when": when}).replace("\n", " ")[:300],
                    text=render_to_string("coordination/email/holds_released.txt", context),
                    html=render_to_string("coordination/email/holds_released.html", context),
                    calendar=calendar.decode(),
                    method=ics.CANCEL,
                    next_attempt_at=now,
                )
            )
    return OutboxMessage.objects.bulk_create(messages)


HOLDS_SUBJECT = gettext_lazy("Time decided: %(title)s, %(when)s – your other tentative holds are released")
