"""After the meeting: the minutes per agenda item, who was present, agreements, decisions and actions.

Like ``agenda.py``: each function checks the state it needs, writes the event
log and keeps history, in one transaction; the rights are checked by the view
(rules.can_write_minutes and its neighbours). Until the minutes are approved,
their events are private to the party that wrote them: the log, too, must not
show another party what a draft or a version under review says.
"""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import mail, markdown, rules
from ..formatting import plain_date
from ..models import (
    Action,
    Agreement,
    Attendee,
    DecisionReference,
    Event,
    Minutes,
    MinutesEntry,
    OutboxMessage,
    Presence,
    person_name,
)
from .agenda import EditConflict
from .base import RuleError, created_by_form, locked_meeting, log_event

# Far above any real meeting; a ceiling so that a loop of posts cannot grow a page without end.
MAX_AGREEMENTS_PER_ITEM = 50
MAX_ACTIONS_PER_ITEM = 50
MAX_ADDED_PEOPLE = 200


def locked_minutes(meeting):
    """The meeting under a row lock, and its minutes (begun on first use), once minutes are due."""
    meeting = locked_meeting(meeting)
    if not rules.minutes_are_due(meeting):
        raise RuleError(_("Minutes can be written once the meeting has started."))
    minutes, _created = Minutes.objects.get_or_create(meeting=meeting)
    return meeting, minutes


def _locked_minutes(meeting):
    """As locked_minutes, while the minutes are a draft: only then are they written."""
    meeting, minutes = locked_minutes(meeting)
    if not minutes.is_draft:
        raise RuleError(_("The minutes are no longer a draft and cannot be changed here."))
    return meeting, minutes


def _log(meeting, minutes, **details):
    # Until every party has approved them, what the minutes say is not every party's to read (see review.py):
    # the event is the acting party's own.
    log_event(meeting=meeting, private=not minutes.is_approved, **details)


@transaction.atomic
def name_minute_taker(*, meeting, party, by, user):
    """The conveners name who takes the minutes (None: the convening secretaries). Side effect: one event."""
    meeting, minutes = _locked_minutes(meeting)
    if minutes.minute_taker_id == (user.pk if user else None):
        return minutes
    before = person_name(minutes.minute_taker) if minutes.minute_taker else ""
    minutes.minute_taker = user
    minutes.save(update_fields=["minute_taker"])
    after = person_name(user) if user else ""
    _log(
        meeting,
        minutes,
        by=by,
        party=party,
        action=Event.Action.MINUTE_TAKER_NAMED,
        subject=after,
        before={"minute_taker": before},
        after={"minute_taker": after},
    )
    return minutes


@transaction.atomic
def save_entry(*, meeting, item, party, by, text, base_version):
    """Save the minutes of one agenda item as a new version.

    ``base_version`` is the version the writer started from (0 for none yet).
    If another save came in between, nothing is written and EditConflict
    carries the current entry, as for a position. Side effect: one event.
    """
    meeting, minutes = _locked_minutes(meeting)
    entry = MinutesEntry.objects.select_for_update().filter(minutes=minutes, agenda_item=item).first()
    if entry is None and base_version != 0:
        raise RuleError(_("The minutes you edited no longer exist. Open the minutes again."))
    if entry is not None and entry.text == text:
        return entry
    if entry is not None and entry.version != base_version:
        raise EditConflict(_("Someone else saved the minutes of this item while you were editing them."), entry)
    if entry is None:
        entry = MinutesEntry(minutes=minutes, agenda_item=item, version=1)
        before = None
    else:
        before = {"text": entry.text, "version": entry.version}
        entry.version += 1
    entry.text = text
    entry.html = markdown.render(text)
    entry.updated_by = by
    entry.save()
    _log(
        meeting,
        minutes,
        by=by,
        party=party,
        action=Event.Action.MINUTES_SAVED,
        subject=item.title,
        before=before,
        after={"text": text, "version": entry.version},
    )
    return entry


@transaction.atomic
def record_presence(*, meeting, party, by, present_ids):
    """Mark each confirmed attendee present (their id in ``present_ids``) or absent. Side effect: one event."""
    meeting, minutes = _locked_minutes(meeting)
    confirmed = list(meeting.attendees.filter(status=Attendee.Status.CONFIRMED).select_related("presence"))
    present_ids = set(present_ids)
    before, after = {}, {}
    for attendee in confirmed:
        present = attendee.pk in present_ids
        row = getattr(attendee, "presence", None)
        before[attendee.name] = row.present if row else None
        after[attendee.name] = present
        if row is None:
            Presence.objects.create(
                minutes=minutes, attendee=attendee, name=attendee.name, party_id=attendee.party_id, present=present
            )
        elif row.present != present:
            row.present = present
            row.save(update_fields=["present"])
    if before != after:
        _log(
            meeting,
            minutes,
            by=by,
            party=party,
            action=Event.Action.PRESENCE_RECORDED,
            before=before,
            after=after,
        )
    return minutes


@transaction.atomic
def add_present_person(*, meeting, party, by, name, person_party, form_token=None):
    """Someone who came without being a confirmed attendee, for one of the meeting's parties. One event."""
    meeting, minutes = _locked_minutes(meeting)
    created = created_by_form(Presence, form_token)
    if created is not None:
        return created
    if minutes.presences.filter(attendee__isnull=True).count() >= MAX_ADDED_PEOPLE:
        raise RuleError(_("At most %(limit)d people can be added to the minutes.") % {"limit": MAX_ADDED_PEOPLE})
    row = Presence.objects.create(minutes=minutes, name=name, party=person_party, present=True, form_token=form_token)
    _log(
        meeting,
        minutes,
        by=by,
        party=party,
        action=Event.Action.PRESENCE_RECORDED,
        subject=name,
        after={"name": name, "party": person_party.name, "present": True},
    )
    return row


@transaction.atomic
def add_agreement(*, meeting, item, party, by, text, parties, form_token=None):
    """Record what was agreed on ``item`` and which parties stand behind it. Side effect: one event."""
    meeting, minutes = _locked_minutes(meeting)
    created = created_by_form(Agreement, form_token)
    if created is not None:
        return created
    if minutes.agreements.filter(agenda_item=item).count() >= MAX_AGREEMENTS_PER_ITEM:
        raise RuleError(_("An agenda item can have at most %(limit)d agreements.") % {"limit": MAX_AGREEMENTS_PER_ITEM})
    agreement = Agreement.objects.create(
        minutes=minutes, agenda_item=item, text=text, created_by=by, form_token=form_token
    )
    agreement.parties.set(parties)
    _log(
        meeting,
        minutes,
        by=by,
        party=party,
        action=Event.Action.AGREEMENT_ADDED,
        subject=item.title,
        after={"text": text, "parties": sorted(p.name for p in parties)},
    )
    return agreement


@transaction.atomic
def record_decision(*, agreement, party, by, body, decided_on, registration_number=""):
    """``party``'s own decision on an agreement: body, date, its diarienummer. A second record replaces the
    first; the log keeps both. Side effect: one event, unless nothing changed."""
    meeting = locked_meeting(agreement.minutes.meeting)
    minutes = agreement.minutes
    values = {"body": body, "decided_on": decided_on, "registration_number": registration_number.strip()}
    decision = DecisionReference.objects.select_for_update().filter(agreement=agreement, party=party).first()
    before = _decision_json(decision) if decision else None
    if decision is None:
        decision = DecisionReference(agreement=agreement, party=party)
    elif all(getattr(decision, name) == value for name, value in values.items()):
        return decision
    for name, value in values.items():
        setattr(decision, name, value)
    decision.recorded_by = by
    decision.save()
    _log(
        meeting,
        minutes,
        by=by,
        party=party,
        action=Event.Action.DECISION_RECORDED,
        subject=agreement.text[:300],
        before=before,
        after=_decision_json(decision),
    )
    return decision


def _decision_json(decision):
    return {
        "body": decision.body,
        "decided_on": decision.decided_on.isoformat(),
        "registration_number": decision.registration_number,
    }


@transaction.atomic
def add_action(*, meeting, item, party, by, what, owner_party, due_on, person="", form_token=None):
    """Record something ``owner_party`` undertook on ``item``, by ``due_on``. Side effect: one event."""
    meeting, minutes = _locked_minutes(meeting)
    created = created_by_form(Action, form_token)
    if created is not None:
        return created
    if minutes.actions.filter(agenda_item=item).count() >= MAX_ACTIONS_PER_ITEM:
        raise RuleError(_("An agenda item can have at most %(limit)d actions.") % {"limit": MAX_ACTIONS_PER_ITEM})
    action = Action.objects.create(
        minutes=minutes,
        agenda_item=item,
        what=what,
        owner_party=owner_party,
        person=person,
        due_on=due_on,
        created_by=by,
        form_token=form_token,
    )
    _log(
        meeting,
        minutes,
        by=by,
        party=party,
        action=Event.Action.ACTION_ADDED,
        subject=item.title,
        after={"what": what, "owner": owner_party.name, "person": person, "due_on": due_on.isoformat()},
    )
    return action


@transaction.atomic
def set_action_status(*, action, party, by, status, reason=""):
    """Mark an action done, dropped (a reason is needed) or open again. Side effect: one event if it changed."""
    meeting = locked_meeting(action.minutes.meeting)
    action = Action.objects.select_for_update().select_related("minutes").get(pk=action.pk)
    reason = reason.strip() if status == Action.Status.DROPPED else ""
    if status == Action.Status.DROPPED and not reason:
        raise RuleError(_("Say why the action is dropped."))
    if action.status == status and action.drop_reason == reason:
        return action
    before = {"status": action.status, "reason": action.drop_reason}
    action.status = status
    action.drop_reason = reason
    action.save(update_fields=["status", "drop_reason"])
    _log(
        meeting,
        action.minutes,
        by=by,
        party=party,
        action=Event.Action.ACTION_STATUS_CHANGED,
        subject=action.what[:300],
        before=before,
        after={"status": action.status, "reason": action.drop_reason},
    )
    return action


def send_overdue_action_reminders(today):
    """Tell the owner party of each open action past its due date, once: never a second time.

    Only people who may see the minutes hear of it, so a draft reaches no other party; an action nobody of
    its party may see yet stays unmarked, to be reminded once they may. The mark is set by a conditional
    update, so two workers at once still send one reminder. Returns the mails written.
    """
    written = 0
    overdue = Action.objects.filter(
        status=Action.Status.OPEN, due_on__lt=today, overdue_reminded_at__isnull=True
    ).select_related("minutes__meeting", "owner_party", "agenda_item")
    for action in overdue:
        people = _told_of(action)
        if not people:
            continue
        with transaction.atomic():
            claimed = Action.objects.filter(pk=action.pk, overdue_reminded_at__isnull=True).update(
                overdue_reminded_at=timezone.now()
            )
            if claimed:
                written += _queue_overdue(action, people)
    return written


def _told_of(action):
    """The owner party's people who may see the action's minutes."""
    minutes, party = action.minutes, action.owner_party
    return rules.people_with_right(
        minutes.meeting,
        lambda access: party.pk in access.roles and rules.can_see_minutes(access, minutes),
        party_ids=[party.pk],
    )


def _queue_overdue(action, people):
    meeting, party = action.minutes.meeting, action.owner_party
    url = mail.site_url(reverse("minutes", args=[meeting.pk]) + f"#action-{action.pk}")

    def context():
        return {
            "title": meeting.title,
            "party": party,
            "party_name": party.short_name,
            "action": action,
            # What was said on an item marked for secrecy stays in Samråd: the mail names the item and its marking.
            "secret_item": action.agenda_item if action.agenda_item.secrecy else None,
            "due": plain_date(action.due_on),
            "url": url,
        }

    messages = [
        mail.compose(OutboxMessage.Kind.ACTION_OVERDUE, mail.Recipient.user(user), context, meeting=meeting)
        for user in people
    ]
    OutboxMessage.objects.bulk_create(messages)
    return len(messages)
