"""A meeting's life: its details and invited parties, proposed times, answers, confirmation, rescheduling,
cancellation and being held.

Each function checks its rule, writes the event log and, where calendars must
follow, raises the meeting's calendar sequence — all in one transaction. Views
and forms never change meeting state themselves.
"""

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import rules
from ..formatting import describe_slot, slot_label
from ..models import Answer, Event, Invitation, Meeting, OutboxMessage, Slot, default_contact
from . import attendance, holds, invites, notices
from .base import RuleError, created_by_form, event_row, locked_meeting, log_event


class MeetingChanged(RuleError):
    """Someone saved the meeting's details after the editor opened the form; saving would undo their change."""

    def __init__(self, current):
        super().__init__(
            _(
                "Someone else changed this meeting while you were editing it. Your values are kept below, next to "
                "what changed; save again to keep them."
            )
        )
        self.current = current


# Every time ever proposed stays with the meeting (withdrawn ones too, for the record) and is read
# with its page, so their number has a ceiling far above any real meeting's.
MAX_SLOTS = 200

# Fields of a meeting that calendars show: changing one of them is sent out.
CALENDAR_FIELDS = ("title", "purpose", "location", "video_link")
DETAIL_FIELDS = (
    "title",
    "purpose",
    "location",
    "video_link",
    "duration_minutes",
    "answer_deadline",
    "contact_name",
    "contact_email",
    "contact_phone",
)


def _slot_json(slot):
    return {"start": slot.start.isoformat(), "end": slot.end.isoformat()}


def _json_value(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


@transaction.atomic
def save_meeting(
    *, by, party, details, convening, required, optional, meeting=None, form_token=None, base_version=None
):
    """Create a meeting (as a draft) or edit one, with its invited parties.

    ``convening``, ``required`` and ``optional`` are sets of parties. Side
    effects: event rows for the creation or each changed field and each party
    invited or removed; a party removed takes its attendees off the meeting,
    each told by mail (attendance.remove_attendees_of); the calendar sequence rises when a scheduled meeting's
    calendar fields change. A creation form posted again returns the meeting
    it created and changes nothing. An edit from a form opened before the
    meeting last changed (``base_version``, see Meeting.edit_version) raises
    MeetingChanged rather than undo that change.
    """
    calendar_change = False
    if meeting is None:
        # No meeting to lock yet: the creator's row queues their own parallel posts.
        get_user_model().objects.select_for_update().get(pk=by.pk)
        created = created_by_form(Meeting, form_token)
        if created is not None:
            return created
        meeting = Meeting.objects.create(created_by=by, form_token=form_token, **{**default_contact(by), **details})
        log_event(meeting=meeting, by=by, party=party, action=Event.Action.MEETING_CREATED, subject=meeting.title)
    else:
        meeting = locked_meeting(meeting)
        if base_version and base_version != meeting.edit_version:
            raise MeetingChanged(meeting)
        before = {name: getattr(meeting, name) for name in DETAIL_FIELDS}
        # A detail not given stays as it is.
        details = {**before, **details}
        changed = [name for name in DETAIL_FIELDS if before[name] != details[name]]
        if changed:
            for name in changed:
                setattr(meeting, name, details[name])
            calendar_change = meeting.status == Meeting.Status.SCHEDULED and set(changed) & set(CALENDAR_FIELDS)
            if calendar_change:
                meeting.sequence += 1
            meeting.save()
            log_event(
                meeting=meeting,
                by=by,
                party=party,
                action=Event.Action.MEETING_EDITED,
                subject=meeting.title,
                before={name: _json_value(before[name]) for name in DETAIL_FIELDS},
                after={name: _json_value(details[name]) for name in DETAIL_FIELDS},
            )
    invitations_changed, newly_invited = _set_invitations(
        meeting=meeting, by=by, party=party, convening=convening, required=required, optional=optional
    )
    if calendar_change:
        # After the parties: the attendees of one no longer invited get their cancellation instead.
        invites.queue(meeting, kind=OutboxMessage.Kind.UPDATE)
    if invitations_changed:
        _parties_changed(meeting, newly_invited, by=by)
    return meeting


@transaction.atomic
def invite_party(*, meeting, by, party, invited, required=True):
    """Invite one more party (``invited``), the others staying as they are; ``party`` is the convener acting.

    The same invitation as the edit form's: its event, and the new party's people told if answers are open.
    """
    meeting = locked_meeting(meeting)
    current = list(meeting.invitations.select_related("party"))
    convening = {inv.party for inv in current if inv.is_convening}
    others = [inv for inv in current if not inv.is_convening]
    required_parties = {inv.party for inv in others if inv.required} | ({invited} if required else set())
    optional_parties = {inv.party for inv in others if not inv.required} | (set() if required else {invited})
    changed, newly_invited = _set_invitations(
        meeting=meeting, by=by, party=party, convening=convening, required=required_parties, optional=optional_parties
    )
    if changed:
        _parties_changed(meeting, newly_invited, by=by)
    return meeting


def _parties_changed(meeting, newly_invited, *, by):
    # The parties are part of what the edit form shows, so a change of them is a new edit version too.
    meeting.save(update_fields=["updated_at"])
    notices.open_for_answers(meeting, newly_invited, by=by)
    notices.check_all_answered(meeting)


def _set_invitations(*, meeting, by, party, convening, required, optional):
    """Invite and uninvite so that the meeting has exactly these parties.

    Returns whether any changed, and the parties invited that were not before.
    """
    changed = False
    newly_invited = []
    wanted = {p.pk: (p, Invitation.Role.CONVENING, True) for p in convening}
    wanted.update({p.pk: (p, Invitation.Role.INVITED, True) for p in required})
    wanted.update({p.pk: (p, Invitation.Role.INVITED, False) for p in optional})
    current = {inv.party_id: inv for inv in meeting.invitations.select_related("party")}
    for party_id, invitation in current.items():
        if party_id not in wanted:
            invitation.delete()
            changed = True
            log_event(
                meeting=meeting,
                by=by,
                party=party,
                action=Event.Action.PARTY_UNINVITED,
                subject=invitation.party.name,
                before={"role": invitation.role, "required": invitation.required},
            )
            attendance.remove_attendees_of(meeting, invitation.party, by=by, acting_party=party)
    for party_id, (invited, role, required_flag) in wanted.items():
        invitation = current.get(party_id)
        state = {"role": role, "required": required_flag}
        if invitation and (invitation.role, invitation.required) == (role, required_flag):
            continue
        before = {"role": invitation.role, "required": invitation.required} if invitation else None
        Invitation.objects.update_or_create(meeting=meeting, party=invited, defaults=state)
        changed = True
        if invitation is None:
            newly_invited.append(invited)
        log_event(
            meeting=meeting,
            by=by,
            party=party,
            action=Event.Action.PARTY_INVITED,
            subject=invited.name,
            before=before,
            after=state,
        )
    return changed, newly_invited


@transaction.atomic
def open_polling(*, meeting, by, party):
    """Open a draft for answers: the invited parties now see it, and go on seeing it whatever comes next.

    Side effects: opened_at set; one event; a notice to everyone who can answer for a party of the meeting, but the opener.
    """
    meeting = locked_meeting(meeting)
    if meeting.status != Meeting.Status.DRAFT:
        raise RuleError(_("The meeting is already open for answers."))
    if not meeting.slots.active().exists():
        raise RuleError(_("Propose at least one time before opening the meeting for answers."))
    meeting.status = Meeting.Status.POLLING
    meeting.opened_at = timezone.now()
    meeting.save(update_fields=["status", "opened_at", "updated_at"])
    log_event(meeting=meeting, by=by, party=party, action=Event.Action.POLLING_OPENED, subject=meeting.title)
    notices.open_for_answers(meeting, [inv.party for inv in meeting.invitations.select_related("party")], by=by)
    return meeting


@transaction.atomic
def propose_slots(*, meeting, party, by, times):
    """Add proposed times (pairs of aware start/end) for ``party``.

    A party proposes times it can attend, so its answer "yes" is recorded with
    each slot (it may change it like any answer). Side effects: one event per
    slot and one per answer. A time already proposed and not withdrawn is
    refused, even when two people propose it at the same moment (the
    database's unique constraint decides).
    """
    meeting = locked_meeting(meeting)
    if not meeting.is_open:
        raise RuleError(_("Times can only be proposed while the meeting is being planned."))
    _check_slot_limit(meeting, adding=len(times))
    slots = [_add_slot(meeting=meeting, party=party, by=by, start=start, end=end) for start, end in times]
    notices.check_all_answered(meeting)
    return slots


def _check_slot_limit(meeting, *, adding):
    if meeting.slots.count() + adding > MAX_SLOTS:
        raise RuleError(
            _("A meeting can have at most %(limit)d proposed times, withdrawn ones included.") % {"limit": MAX_SLOTS}
        )


def _add_slot(*, meeting, party, by, start, end):
    """One new time, with its event and the proposing party's "yes" (a party proposes what it can attend)."""
    try:
        with transaction.atomic():
            slot = Slot.objects.create(meeting=meeting, start=start, end=end, proposed_by_party=party, proposed_by=by)
    except IntegrityError:
        raise RuleError(_("This time has already been proposed.")) from None
    log_event(
        meeting=meeting,
        by=by,
        party=party,
        action=Event.Action.SLOT_PROPOSED,
        subject=describe_slot(slot),
        after=_slot_json(slot),
    )
    _record_answers(meeting=meeting, party=party, by=by, changes=[(slot, Answer.Value.YES, "", None)])
    return slot


@transaction.atomic
def withdraw_slot(*, slot, by, party):
    """Withdraw a proposed time. The row and its answers stay; the event log says who and when.

    Side effect besides: the tentative holds on the time are released.
    """
    meeting = locked_meeting(slot.meeting)
    slot = Slot.objects.select_for_update().get(pk=slot.pk)
    if slot.is_withdrawn:
        return slot
    if not meeting.is_open:
        raise RuleError(_("A time can only be withdrawn while the meeting is being planned."))
    slot.withdrawn_at = timezone.now()
    slot.save(update_fields=["withdrawn_at"])
    holds.release_holds(meeting, slots=[slot])
    log_event(
        meeting=meeting,
        by=by,
        party=party,
        action=Event.Action.SLOT_WITHDRAWN,
        subject=describe_slot(slot),
        before=_slot_json(slot),
    )
    notices.check_all_answered(meeting)
    return slot


@transaction.atomic
def answer_slots(*, meeting, party, by, answers, actor_name=None):
    """Record ``party``'s answers: a dict of slot id -> (value, comment).

    ``by`` is None for a guest answering for the party; ``actor_name`` then names them in the log.

    Unchanged answers are skipped; a replaced answer keeps its old value in the
    event log. Answering a withdrawn or unknown slot is refused.
    Returns the number of answers that changed.
    """
    meeting = locked_meeting(meeting)
    if meeting.status != Meeting.Status.POLLING:
        raise RuleError(_("The meeting no longer takes answers."))
    slots = {slot.pk: slot for slot in meeting.slots.filter(pk__in=answers)}
    if len(slots) != len(answers) or any(slot.is_withdrawn for slot in slots.values()):
        raise RuleError(_("One of the times has been withdrawn. Look at the times again and answer anew."))
    current = {a.slot_id: a for a in Answer.objects.select_for_update().filter(slot__in=slots.values(), party=party)}
    changes = []
    for slot_id, (value, comment) in answers.items():
        previous = current.get(slot_id)
        if previous and (previous.value, previous.comment) == (value, comment):
            continue
        changes.append((slots[slot_id], value, comment, previous))
    if changes:
        _record_answers(meeting=meeting, party=party, by=by, changes=changes, actor_name=actor_name)
        notices.check_all_answered(meeting)
    return len(changes)


def _record_answers(*, meeting, party, by, changes, actor_name=None):
    """Write the party's current answers and an event for each, in two queries however many they are.

    ``changes`` holds (slot, value, comment, the Answer it replaces or None);
    the replaced answer lives on in the event row.
    """
    Answer.objects.bulk_create(
        [
            Answer(slot=slot, party=party, value=value, comment=comment, answered_by=by)
            for slot, value, comment, _ in changes
        ],
        update_conflicts=True,
        unique_fields=["slot", "party"],
        update_fields=["value", "comment", "answered_by", "answered_at"],
    )
    Event.objects.bulk_create(
        [
            event_row(
                meeting=meeting,
                by=by,
                actor_name=actor_name,
                party=party,
                action=Event.Action.ANSWER_CHANGED if previous else Event.Action.ANSWER_GIVEN,
                subject=describe_slot(slot),
                before={"value": previous.value, "comment": previous.comment} if previous else None,
                after={"value": value, "comment": comment},
            )
            for slot, value, comment, previous in changes
        ]
    )


def required_party_ids(meeting):
    return [inv.party_id for inv in meeting.invitations.all() if inv.required]


def already_confirmed(meeting):
    """The refusal of a second confirmation: typically another convener chose a time a moment earlier."""
    return RuleError(
        _("Another time, %(slot)s, has just been confirmed. To change it, reschedule the meeting.")
        % {"slot": describe_slot(meeting.confirmed_slot)}
    )


@transaction.atomic
def confirm_slot(*, meeting, slot, by, party, reason=""):
    """Fix ``slot`` as the meeting's time; the meeting becomes scheduled.

    Idempotent: confirming the slot that is already confirmed changes nothing
    (a double click gives one event). Side effects: status, the reason shown to
    all, calendar sequence +1, the invitations, every tentative hold released,
    one event. Returns True if it changed anything.
    """
    meeting = locked_meeting(meeting)
    if meeting.status == Meeting.Status.SCHEDULED and meeting.confirmed_slot_id == slot.pk:
        return False
    if meeting.status == Meeting.Status.SCHEDULED:
        raise already_confirmed(meeting)
    if meeting.status != Meeting.Status.POLLING:
        raise RuleError(_("The meeting is not open for confirmation; it may already have a confirmed time."))
    slot = meeting.slots.prefetch_related("answers").get(pk=slot.pk)
    if slot.is_withdrawn:
        raise RuleError(_("This time has been withdrawn."))
    problem = rules.confirmation_problem(slot, required_party_ids(meeting), reason)
    if problem:
        raise RuleError(problem)
    meeting.status = Meeting.Status.SCHEDULED
    meeting.confirmed_slot = slot
    meeting.confirmation_reason = reason.strip()
    meeting.sequence += 1
    meeting.save(update_fields=["status", "confirmed_slot", "confirmation_reason", "sequence", "updated_at"])
    # After a move back to polling, a late answer to the old time may still have come in.
    attendance.clear_calendar_answers(meeting)
    invites.queue(meeting, kind=OutboxMessage.Kind.INVITATION)
    holds.release_holds(meeting)
    log_event(
        meeting=meeting,
        by=by,
        party=party,
        action=Event.Action.SLOT_CONFIRMED,
        subject=describe_slot(slot),
        after={**_slot_json(slot), "reason": meeting.confirmation_reason},
    )
    return True


@transaction.atomic
def reschedule(*, meeting, by, party, reason, slot=None, new_time=None):
    """Move a scheduled meeting: back to polling (the parties' answers kept), straight to another slot, or to
    a time typed in (``new_time``, aware start and end), which becomes a slot proposed by ``party``.

    Side effects: calendar sequence +1 so sent invites update, the update naming the old time; every
    attendee's calendar answer back to NEEDS-ACTION, since it was to the old time; the old time and the
    reason kept for the meeting page (moved_from, moved_reason); one event (and a new slot's own).
    """
    meeting = locked_meeting(meeting)
    if meeting.status != Meeting.Status.SCHEDULED:
        raise RuleError(_("Only a scheduled meeting can be rescheduled."))
    previous = meeting.confirmed_slot
    reason = reason.strip()
    if new_time is not None:
        _check_slot_limit(meeting, adding=1)
        slot = _add_slot(meeting=meeting, party=party, by=by, start=new_time[0], end=new_time[1])
    if slot is not None:
        slot = meeting.slots.get(pk=slot.pk)
        if slot.is_withdrawn or slot.pk == previous.pk:
            raise RuleError(_("Choose another proposed time."))
        meeting.confirmed_slot = slot
    else:
        # No hold comes back by itself: the confirmation released them all, and a hold is a file the person
        # chose to import, not a message to push. The meeting page offers "keep free" again; a time held
        # anew gets a SEQUENCE above the CANCEL that released it (ics.build_hold).
        meeting.status = Meeting.Status.POLLING
        meeting.confirmed_slot = None
    meeting.confirmation_reason = ""
    meeting.moved_from, meeting.moved_reason = previous, reason
    meeting.sequence += 1
    meeting.save()
    attendance.clear_calendar_answers(meeting)
    if slot is not None:
        invites.queue(meeting, kind=OutboxMessage.Kind.UPDATE, note=reason, moved_from=previous)
    else:
        # The old time no longer holds and the new one is not known: calendars drop the event until then.
        invites.queue(
            meeting,
            kind=OutboxMessage.Kind.CANCELLATION,
            slot=previous,
            note=_("A new time is being decided. You will get a new invitation. Reason: %(reason)s")
            % {"reason": reason},
        )
    log_event(
        meeting=meeting,
        by=by,
        party=party,
        action=Event.Action.MEETING_RESCHEDULED,
        subject=describe_slot(slot) if slot else describe_slot(previous),
        before=_slot_json(previous),
        after={**(_slot_json(slot) if slot else {"status": Meeting.Status.POLLING}), "reason": reason},
    )
    return meeting


@transaction.atomic
def cancel_meeting(*, meeting, by, party, reason):
    """Cancel the meeting at any point before it is held.

    Side effects: sequence +1, the cancellations of sent invitations, the tentative holds released, one event.
    """
    meeting = locked_meeting(meeting)
    if meeting.status in (Meeting.Status.CANCELLED, Meeting.Status.HELD):
        raise RuleError(_("The meeting is already cancelled or held."))
    before = meeting.status
    meeting.status = Meeting.Status.CANCELLED
    meeting.cancellation_reason = reason.strip()
    meeting.sequence += 1
    meeting.save()
    if before == Meeting.Status.SCHEDULED:
        invites.queue(meeting, kind=OutboxMessage.Kind.CANCELLATION, note=meeting.cancellation_reason)
    holds.release_holds(meeting)
    log_event(
        meeting=meeting,
        by=by,
        party=party,
        action=Event.Action.MEETING_CANCELLED,
        subject=meeting.title,
        before={"status": before},
        after={"status": meeting.status, "reason": meeting.cancellation_reason},
    )
    return meeting


@transaction.atomic
def mark_held(*, meeting, by, party):
    """Record that the meeting took place; refused before its confirmed time has begun (rules.has_begun)."""
    meeting = locked_meeting(meeting)
    if meeting.status != Meeting.Status.SCHEDULED:
        raise RuleError(_("Only a scheduled meeting can be marked as held."))
    if not rules.has_begun(meeting):
        raise RuleError(
            _("The meeting has not started yet. You can mark it as held once it has begun, %(slot)s.")
            % {"slot": slot_label(meeting.confirmed_slot)}
        )
    meeting.status = Meeting.Status.HELD
    meeting.save(update_fields=["status", "updated_at"])
    log_event(meeting=meeting, by=by, party=party, action=Event.Action.MEETING_HELD, subject=meeting.title)
    return meeting


@transaction.atomic
def set_registration_number(*, meeting, party, by, number):
    """Keep ``party``'s own diarienummer for the meeting; returns True if it changed (then one event)."""
    locked_meeting(meeting)
    invitation = Invitation.objects.select_for_update().get(meeting=meeting, party=party)
    number = number.strip()
    if invitation.registration_number == number:
        return False
    before = invitation.registration_number
    invitation.registration_number = number
    invitation.save(update_fields=["registration_number"])
    log_event(
        meeting=meeting,
        by=by,
        party=party,
        action=Event.Action.REGISTRATION_NUMBER_SET,
        subject=party.name,
        before={"registration_number": before},
        after={"registration_number": number},
    )
    return True
