"""Reminders of the answer deadline, to the required parties that have not answered every open time.

Automatically two days before the deadline and on the day, once per deadline
(a moved deadline gets its own reminders); by hand whenever the convener asks.
"""

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse

from .. import mail
from ..formatting import plain_date
from ..models import Event, Meeting, Membership, OutboxMessage, ReminderSent
from ..overview import build_grid
from .base import log_event


def missing_parties(meeting):
    """The required parties with at least one open time unanswered. ``meeting`` as for_meeting_page()."""
    return build_grid(meeting).missing_required


def _recipients(party):
    """The party's coordinators and members with an address: they may answer for it."""
    memberships = Membership.objects.filter(
        party=party, role__in=[Membership.Role.COORDINATOR, Membership.Role.MEMBER], user__is_active=True
    ).select_related("user__profile")
    return [m.user for m in memberships if m.user.email]


def queue_reminders(meeting, parties):
    """Write one reminder per person who may answer for each party. Returns the number written."""
    messages = []
    for party in parties:
        url = settings.SITE_URL + reverse("answer", args=[meeting.pk, party.pk])

        def context(party=party, url=url):
            deadline = plain_date(meeting.answer_deadline)
            return {
                "title": meeting.title,
                "party": party,
                "party_name": party.short_name,
                "url": url,
                "deadline": deadline,
                "answer_by": deadline or "–",
            }

        messages += [
            mail.compose(OutboxMessage.Kind.REMINDER, mail.Recipient.user(user), context, meeting=meeting)
            for user in _recipients(party)
        ]
    OutboxMessage.objects.bulk_create(messages)
    return len(messages)


@transaction.atomic
def remind_by_hand(*, meeting, by, party):
    """The convener's reminder to every required party still missing answers. Side effect: one event."""
    missing = missing_parties(meeting)
    count = queue_reminders(meeting, missing)
    if missing:
        log_event(
            meeting=meeting,
            by=by,
            party=party,
            action=Event.Action.REMINDER_SENT,
            subject=", ".join(p.short_name for p in missing),
            after={"parties": [p.name for p in missing], "messages": count},
        )
    return missing


OCCASIONS = {
    datetime.timedelta(days=2): ReminderSent.Occasion.TWO_DAYS_BEFORE,
    datetime.timedelta(days=0): ReminderSent.Occasion.ON_THE_DAY,
}


def send_due_reminders(today):
    """The automatic reminders due ``today``; each (meeting, party, deadline, occasion) at most once."""
    written = 0
    deadlines = [today + offset for offset in OCCASIONS]
    meetings = Meeting.objects.for_meeting_page().filter(status=Meeting.Status.POLLING, answer_deadline__in=deadlines)
    for meeting in meetings:
        occasion = OCCASIONS[meeting.answer_deadline - today]
        for party in missing_parties(meeting):
            try:
                with transaction.atomic():
                    ReminderSent.objects.create(
                        meeting=meeting, party=party, deadline=meeting.answer_deadline, occasion=occasion
                    )
                    written += queue_reminders(meeting, [party])
            except IntegrityError:
                continue  # already reminded for this deadline
    return written
