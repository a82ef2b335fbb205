"""Reminders of the answer deadline, to the required parties that have not answered every open time.

Automatically two days before the deadline and on the day, once per deadline
(a moved deadline gets its own reminders); by hand when the convener asks, but
not to a party reminded (either way) in the last ``BY_HAND_PAUSE``. They go to
everyone who can answer for the party (``rules.people_who_can_answer_for``).
"""

import datetime

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import mail, rules
from ..formatting import plain_date, stockholm_moment
from ..models import Event, Meeting, OutboxMessage, ReminderSent
from ..overview import build_grid
from .base import RuleError, locked_meeting, log_event

# A party reminded less than this long ago is not reminded again by hand.
BY_HAND_PAUSE = datetime.timedelta(hours=24)


def missing_parties(meeting):
    """The required parties with at least one open time unanswered. ``meeting`` as for_meeting_page()."""
    return build_grid(meeting).missing_required


def queue_reminders(meeting, parties):
    """Write one reminder per person who may answer for each party. Returns the number written."""
    messages = []
    for party in parties:
        url = mail.site_url(reverse("answer", args=[meeting.pk, party.pk]))

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
            for user in rules.people_who_can_answer_for(meeting, party)
        ]
    OutboxMessage.objects.bulk_create(messages)
    return len(messages)


def last_reminded(meeting):
    """party id -> when the party was last reminded of this meeting, by hand or automatically."""
    last = {}
    for party_id, sent_at in meeting.reminders.order_by("sent_at").values_list("party_id", "sent_at"):
        last[party_id] = sent_at
    return last


@transaction.atomic
def remind_by_hand(*, meeting, by, party):
    """The convener's reminder to every required party still missing answers.

    A party reminded within BY_HAND_PAUSE is left out; if that leaves none, a
    RuleError says when the reminder went. Side effects: a ReminderSent row per
    party reminded, one event. Returns the parties reminded and those left out.
    """
    locked_meeting(meeting)  # two conveners clicking at once: the second waits, then finds the first's reminders
    missing = missing_parties(meeting)
    last = last_reminded(meeting)
    since = timezone.now() - BY_HAND_PAUSE
    recent = [p for p in missing if p.pk in last and last[p.pk] > since]
    if missing and len(recent) == len(missing):
        latest = max(last[p.pk] for p in recent)
        raise RuleError(
            _(
                "%(parties)s got a reminder on %(when)s. A new reminder can be sent 24 hours after the last one, "
                "from %(again)s."
            )
            % {
                "parties": ", ".join(p.short_name for p in recent),
                "when": stockholm_moment(latest),
                "again": stockholm_moment(latest + BY_HAND_PAUSE),
            }
        )
    missing = [p for p in missing if p not in recent]
    ReminderSent.objects.bulk_create(
        [
            ReminderSent(
                meeting=meeting, party=p, deadline=meeting.answer_deadline, occasion=ReminderSent.Occasion.BY_HAND
            )
            for p in missing
        ]
    )
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
    return missing, recent


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
                    # No event records an automatic reminder, but the parties' part of the page shows it.
                    Meeting.objects.filter(pk=meeting.pk).raise_revision()
            except IntegrityError:
                continue  # already reminded for this deadline
    return written
