"""Tentative holds: a polling meeting's proposed times kept free in a person's own calendar, and released
(cancelled there) once a time is confirmed."""

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from .. import ics
from ..formatting import slot_label
from ..models import Hold, OutboxMessage, person_name
from .invites import calendar_entry, user_language


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
            context = {
                "meeting": meeting,
                "when": when,
                "released": [slot_label(slot) for slot in released],
                "entry": entry,
            }
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
