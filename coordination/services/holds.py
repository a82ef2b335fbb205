"""Tentative holds: a polling meeting's proposed times kept free in a person's own calendar, and released
(cancelled there) when they no longer are to be kept free.

A hold on a time lives from the person's "keep free" until the first of: a time is confirmed (every held
time is released, the chosen one too: the invitation, an event of its own, takes its place), the time is
withdrawn, or the meeting is cancelled. Releasing removes the time from the person's Hold in the same
transaction, under the meeting's lock, so a second trigger finds nothing left to release.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import ics, mail
from ..formatting import slot_label
from ..models import Hold, Meeting, OutboxMessage
from .base import RuleError, locked_meeting
from .invites import calendar_entry

HeldSlot = Hold.slots.through


@transaction.atomic
def hold_times(*, meeting, user):
    """Remember that ``user`` keeps the meeting's open times free in their calendar, so they can be released.

    Asking again adds the times proposed since (and, after a move back to polling, the times released at the
    confirmation). Side effect: the user's Hold row; no event, since it changes nothing of the meeting and
    nobody else sees it. Under the meeting's lock, so a confirmation or cancellation at the same moment
    either releases these times or comes first and leaves nothing to hold.
    """
    meeting = locked_meeting(meeting)
    if meeting.status != Meeting.Status.POLLING:
        raise RuleError(_("Times can only be kept free while the parties answer."))
    hold, _created = Hold.objects.get_or_create(meeting=meeting, user=user)
    hold.slots.add(*meeting.slots.active())
    return hold


def hold_calendar(meeting, user, now):
    """The times ``user`` holds (hold_times) and that are not released, as tentative events. Reads only."""
    hold = Hold.objects.filter(meeting=meeting, user=user).first()
    slots = hold.slots.active().order_by("start") if hold else []
    entry = calendar_entry(meeting)
    # A plain entry like the meeting's download: PUBLISH, nobody listed.
    return ics.build_calendar([ics.build_hold(entry, slot, None, now=now) for slot in slots], method=ics.PUBLISH)


def release_holds(meeting, *, slots=None):
    """Cancel the held times (only those of ``slots``, if given) in every calendar that took them.

    Called by the service that changed the meeting, in its transaction and after its change: the mail says
    why from the meeting's state (confirmed, cancelled, else a time withdrawn). One message per held time:
    a METHOD:CANCEL naming several UIDs is one Outlook takes for one event, so each hold gets its own, and
    a person gets as many as the times they held. Returns the messages written.
    """
    held = HeldSlot.objects.filter(hold__meeting=meeting).select_related("hold__user__profile", "slot")
    if slots is not None:
        held = held.filter(slot__in=slots)
    held = list(held.order_by("hold__user_id", "slot__start"))
    if not held:
        return []
    HeldSlot.objects.filter(pk__in=[link.pk for link in held]).delete()
    entry = calendar_entry(meeting)
    now = timezone.now()
    messages = []
    for link in held:
        user, slot = link.hold.user, link.slot
        if not user.email:
            continue
        calendar = ics.build_calendar([ics.build_hold(entry, slot, user, now=now, cancelled=True)], method=ics.CANCEL)
        messages.append(
            mail.compose(
                OutboxMessage.Kind.HOLDS_RELEASED,
                mail.Recipient.user(user),
                lambda slot=slot: {
                    "title": meeting.title,
                    "when": slot_label(slot),
                    "decided": slot_label(entry.slot) if entry.slot else "",
                    "cancelled": entry.cancelled,
                    "entry": entry,
                },
                meeting=meeting,
                calendar=calendar.decode(),
                method=ics.CANCEL,
            )
        )
    return OutboxMessage.objects.bulk_create(messages)
