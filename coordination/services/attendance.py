"""Attendees: the named people who attend for a party, and the secretary's confirmation of them."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Attendee, Event, OutboxMessage
from . import invites
from .base import RuleError, bump_if_scheduled, created_by_form, locked_meeting, log_event


class AlreadyAttending(RuleError):
    """The address is already an attendee's: the form that named them again stays, to correct it."""


def _attendee_json(attendee):
    return {
        "name": attendee.name,
        "email": attendee.email,
        "title": attendee.title,
        "kind": attendee.kind,
        "status": attendee.status,
    }


@transaction.atomic
def name_attendee(
    *, meeting, party, by, name, email="", title="", kind=Attendee.Kind.PRINCIPAL, user=None, form_token=None
):
    """Name a person who attends for ``party``. Side effects: one event; calendar sequence +1 once scheduled.

    The same form posted again returns the attendee it named and changes nothing.
    """
    meeting = locked_meeting(meeting)
    created = created_by_form(Attendee, form_token)
    if created is not None:
        return created
    if email and meeting.attendees.filter(email__iexact=email).exists():
        raise AlreadyAttending(_("This person is already an attendee."))
    attendee = Attendee.objects.create(
        meeting=meeting, party=party, user=user, name=name, email=email, title=title, kind=kind, form_token=form_token
    )
    if bump_if_scheduled(meeting):
        invites.queue(meeting, kind=OutboxMessage.Kind.INVITATION, only=[attendee])
    log_event(
        meeting=meeting,
        by=by,
        party=party,
        action=Event.Action.ATTENDEE_NAMED,
        subject=name,
        after=_attendee_json(attendee),
    )
    return attendee


@transaction.atomic
def remove_attendee(*, attendee, by):
    """Take one person off the meeting; they are told as every removed attendee is (_remove), the others nothing."""
    meeting = locked_meeting(attendee.meeting)
    _remove(meeting, [attendee], by=by, acting_party=attendee.party)


def remove_attendees_of(meeting, party, *, by, acting_party):
    """Remove every attendee of ``party``, which is no longer one of the meeting's; called with the meeting locked."""
    _remove(meeting, list(meeting.attendees.filter(party=party)), by=by, acting_party=acting_party)


def _remove(meeting, attendees, *, by, acting_party):
    """Side effects: one event per attendee; calendar sequence +1 once scheduled; each with an address is told
    they are no longer called (not that the meeting is cancelled), with a calendar CANCEL listing only them once
    the meeting has a time (invites.queue). The attendees who stay are sent nothing: for them nothing changed.
    """
    for attendee in attendees:
        before = _attendee_json(attendee)
        attendee.delete()
        log_event(
            meeting=meeting,
            by=by,
            party=acting_party,
            action=Event.Action.ATTENDEE_REMOVED,
            subject=before["name"],
            before=before,
        )
    if attendees:
        bump_if_scheduled(meeting)
        invites.queue(meeting, kind=OutboxMessage.Kind.NO_LONGER_CALLED, only=attendees)


def clear_calendar_answers(meeting):
    """A new time asks every attendee again: an answer from their calendar, and its comment, was to the old time.

    Called with the meeting locked, before the update that asks them is queued.
    """
    answered = meeting.attendees.exclude(rsvp=Attendee.Rsvp.NEEDS_ACTION, rsvp_comment="")
    answered.update(rsvp=Attendee.Rsvp.NEEDS_ACTION, rsvp_at=None, rsvp_comment="")


@transaction.atomic
def confirm_attendance(*, attendee, by, party):
    """The secretary's confirmation that a named person attends. Idempotent; one event."""
    meeting = locked_meeting(attendee.meeting)
    attendee = Attendee.objects.select_for_update().get(pk=attendee.pk)
    if not attendee.is_confirmed:
        _set_confirmed(meeting, [attendee], True, by=by, party=party)
    return attendee


@transaction.atomic
def confirm_attendance_of_party(*, meeting, of_party, by, party):
    """The secretary confirms every named, not yet confirmed attendee of ``of_party`` in one step.

    One event per attendee, as if confirmed one by one; returns those it confirmed (none: nothing changed).
    """
    meeting = locked_meeting(meeting)
    named = list(
        Attendee.objects.select_for_update().filter(meeting=meeting, party=of_party, status=Attendee.Status.NAMED)
    )
    _set_confirmed(meeting, named, True, by=by, party=party)
    return named


@transaction.atomic
def undo_confirmation(*, attendee, by, party):
    """Take back a confirmation given by mistake: the person is named again, not confirmed. Idempotent; one event."""
    meeting = locked_meeting(attendee.meeting)
    attendee = Attendee.objects.select_for_update().get(pk=attendee.pk)
    if attendee.is_confirmed:
        _set_confirmed(meeting, [attendee], False, by=by, party=party)
    return attendee


def _set_confirmed(meeting, attendees, confirmed, *, by, party):
    """Side effects: one event per attendee; calendar sequence +1 once scheduled, once for them all."""
    for attendee in attendees:
        before = _attendee_json(attendee)
        attendee.status = Attendee.Status.CONFIRMED if confirmed else Attendee.Status.NAMED
        attendee.confirmed_by = by if confirmed else None
        attendee.confirmed_at = timezone.now() if confirmed else None
        attendee.save(update_fields=["status", "confirmed_by", "confirmed_at"])
        log_event(
            meeting=meeting,
            by=by,
            party=party,
            action=Event.Action.ATTENDANCE_CONFIRMED if confirmed else Event.Action.ATTENDANCE_UNCONFIRMED,
            subject=attendee.name,
            before=before,
            after=_attendee_json(attendee),
        )
    if attendees:
        bump_if_scheduled(meeting)
