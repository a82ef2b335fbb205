"""Tentative holds: a polling meeting's proposed times kept free in a person's own calendar, and released
(cancelled there) once a time is confirmed."""

from django.db import transaction
from django.utils import timezone

from .. import ics, mail
from ..formatting import slot_label
from ..models import Hold, OutboxMessage
from .invites import calendar_entry


@transaction.atomic
def hold_times(*, meeting, user):
    """Remember that ``user`` keeps the meeting's open times free in their calendar, so they can be released.

    Asking again adds the times proposed since. Side effect: the user's Hold
    row; no event, since it changes nothing of the meeting and nobody else sees it.
    """
    hold, _ = Hold.objects.get_or_create(meeting=meeting, user=user)
    hold.slots.add(*meeting.slots.active())
    return hold


def hold_calendar(meeting, user, now):
    """The times ``user`` holds (hold_times) that are still open, as tentative events. Reads only."""
    hold = Hold.objects.filter(meeting=meeting, user=user).first()
    slots = hold.slots.active().order_by("start") if hold else []
    entry = calendar_entry(meeting)
    # A plain entry like the meeting's download: PUBLISH, nobody listed.
    return ics.build_calendar([ics.build_hold(entry, slot, None, now=now) for slot in slots], method=ics.PUBLISH)


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
        messages.append(
            mail.compose(
                OutboxMessage.Kind.HOLDS_RELEASED,
                mail.Recipient.user(hold.user),
                lambda released=released: {
                    "title": meeting.title,
                    "when": slot_label(chosen),
                    "released": [slot_label(slot) for slot in released],
                    "entry": entry,
                },
                meeting=meeting,
                calendar=calendar.decode(),
                method=ics.CANCEL,
            )
        )
    return OutboxMessage.objects.bulk_create(messages)
