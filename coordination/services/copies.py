"""New drafts made from an earlier meeting: a cancelled meeting called again, with its parties, agenda and
documents; a held meeting followed up, with its parties, its unfinished items and its open actions."""

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from ..formatting import plain_date, stockholm_date
from ..models import Action, AgendaItem, Document, Event, Meeting, Minutes, Position, documents_storage
from . import agenda, meetings
from .base import RuleError, created_by_form, locked_meeting, log_event

logger = logging.getLogger(__name__)

# The answer deadline was the old meeting's; the new one gets its own when its times are proposed.
COPIED_FIELDS = ("title", "purpose", "location", "video_link", "duration_minutes")


@transaction.atomic
def copy_to_new_draft(*, meeting, by, party, form_token=None):
    """A new draft with the cancelled meeting's details, parties and roles, its agenda items (not the declined
    ones), ``party``'s own positions as drafts — never another party's — and the current documents of the
    items and of those positions, each file stored again under a new name.

    Side effects: the events of a created meeting and its invitations (meetings.save_meeting); a private event
    per copied position and per copied position document, as their party's own; an event per item document;
    "copied" on both meetings. The same form posted again returns the copy it made. If a file cannot be read
    or written, DocumentNotStored is raised and nothing is left: no row, no file.
    """
    meeting = locked_meeting(meeting)
    if meeting.status != Meeting.Status.CANCELLED:
        raise RuleError(_("Only a cancelled meeting can be copied to a new meeting."))
    created = created_by_form(Meeting, form_token)
    if created is not None:
        return created
    copy = _new_draft(meeting, by=by, party=party, form_token=form_token)
    stored = []
    try:
        titles = [_copy_item(item, copy, by=by, party=party, stored=stored) for item in _items_to_copy(meeting)]
        _log_on_both(
            meeting,
            {"copy": copy.pk},
            copy,
            {"copied_from": meeting.pk},
            Event.Action.MEETING_COPIED,
            by=by,
            party=party,
            titles=titles,
        )
    except Exception as error:
        # The rows roll back with the transaction; the files copied so far must go too.
        for name in stored:
            documents_storage().delete(name)
        if isinstance(error, OSError):
            logger.exception("A document could not be copied")
            raise agenda.DocumentNotStored(
                _(
                    "The meeting could not be copied, because one of its documents could not be copied; nothing "
                    "was saved. Try again later; if it happens again, tell the people who run Samråd."
                )
            ) from error
        raise
    return copy


def _new_draft(meeting, *, by, party, form_token, **details):
    """A draft with ``meeting``'s details (and ``details``), its parties and their roles."""
    invitations = list(meeting.invitations.select_related("party"))
    return meetings.save_meeting(
        by=by,
        party=party,
        details={**{name: getattr(meeting, name) for name in COPIED_FIELDS}, **details},
        convening={inv.party for inv in invitations if inv.is_convening},
        required={inv.party for inv in invitations if not inv.is_convening and inv.required},
        optional={inv.party for inv in invitations if not inv.is_convening and not inv.required},
        form_token=form_token,
    )


@dataclass
class CarriedOver:
    """What a follow-up of a held meeting takes onto its agenda."""

    items: list  # accepted items the minutes say nothing about
    actions: list  # open actions, once the minutes have left the draft
    minutes_are_draft: bool  # then the actions wait: a draft is seen by the conveners and the minute-taker only


def carried_over(meeting):
    """The unfinished items and open actions of a held ``meeting``, for its follow-up and the page that plans it."""
    minutes = Minutes.objects.filter(meeting=meeting).first()
    written = set()
    actions = []
    if minutes is not None:
        written = {entry.agenda_item_id for entry in minutes.entries.all() if entry.text.strip()}
        if not minutes.is_draft:
            actions = list(minutes.actions.filter(status=Action.Status.OPEN).select_related("owner_party"))
    items = [
        item
        for item in meeting.agenda_items.filter(status=AgendaItem.Status.ACCEPTED).select_related("presenting_party")
        if item.pk not in written
    ]
    return CarriedOver(items=items, actions=actions, minutes_are_draft=minutes is None or minutes.is_draft)


@transaction.atomic
def plan_follow_up(*, meeting, by, party, form_token=None):
    """A draft follow-up of the held ``meeting``: its parties and roles, and on its agenda, as ``party``'s own
    accepted items, what the meeting left unfinished and each open action, to be reported on (carried_over).

    Side effects: the events of a created meeting, its invitations and its items; "follow-up planned" on both
    meetings; both join the series of the earlier one. The same form posted again returns the draft it made.
    """
    meeting = locked_meeting(meeting)
    if meeting.status != Meeting.Status.HELD:
        raise RuleError(_("Only a held meeting can be followed up."))
    created = created_by_form(Meeting, form_token)
    if created is not None:
        return created
    series_start = meeting.series_start or meeting
    follow_up = _new_draft(
        meeting, by=by, party=party, form_token=form_token, follows=meeting, series_start=series_start
    )
    if meeting.series_start_id is None:
        Meeting.objects.filter(pk=meeting.pk).update(series_start=meeting)
    carried = carried_over(meeting)
    titles = []
    for item in carried.items:
        agenda.propose_agenda_item(
            meeting=follow_up,
            party=party,
            by=by,
            title=item.title,
            description=item.description,
            presenting_party=item.presenting_party,
            planned_minutes=item.planned_minutes,
            tell_conveners=False,
        )
        titles.append(item.title)
    for action in carried.actions:
        title = (_("Follow-up: %(action)s") % {"action": action.what})[: AgendaItem._meta.get_field("title").max_length]
        agenda.propose_agenda_item(
            meeting=follow_up,
            party=party,
            by=by,
            title=title,
            description=_action_description(action, meeting),
            presenting_party=action.owner_party,
            planned_minutes=ACTION_MINUTES,
            carried_action=action,
            tell_conveners=False,
        )
        titles.append(title)
    _log_on_both(
        meeting,
        {"follow_up": follow_up.pk},
        follow_up,
        {"follows": meeting.pk},
        Event.Action.FOLLOW_UP_PLANNED,
        by=by,
        party=party,
        titles=titles,
    )
    return follow_up


def _log_on_both(meeting, link_to_draft, draft, link_to_meeting, action, *, by, party, titles):
    """The same step in both logs, the new draft's first: each names the other meeting and the items carried."""
    for logged_on, after in ((draft, link_to_meeting), (meeting, link_to_draft)):
        log_event(
            meeting=logged_on,
            by=by,
            party=party,
            action=action,
            subject=meeting.title,
            after={**after, "agenda_items": titles},
        )


# Time on the follow-up's agenda for the owner of an action to report on it.
ACTION_MINUTES = 5


def _action_description(action, meeting):
    owner = action.owner_party.name + (f" ({action.person})" if action.person else "")
    return _("An action from the meeting of %(date)s: %(action)s\n\nResponsible: %(owner)s. Due: %(due)s.") % {
        "date": stockholm_date(meeting.confirmed_slot.start),
        "action": action.what,
        "owner": owner,
        "due": plain_date(action.due_on),
    }


def _items_to_copy(meeting):
    return (
        meeting.agenda_items.exclude(status=AgendaItem.Status.DECLINED)
        .select_related("proposed_by_party", "presenting_party")
        .prefetch_related("positions", "documents")
    )


def _copy_item(item, copy, *, by, party, stored):
    """One agenda item into the copy, with its documents and ``party``'s position; returns its title."""
    new_item = AgendaItem.objects.create(
        meeting=copy,
        title=item.title,
        description=item.description,
        proposed_by_party=item.proposed_by_party,
        proposed_by=item.proposed_by,
        presenting_party=item.presenting_party,
        planned_minutes=item.planned_minutes,
        status=item.status,
        order=item.order,
        updated_by=by,
        # The copy holds the same texts: what was marked for secrecy stays marked.
        **item.secrecy_values(),
    )
    positions = {}
    for position in item.positions.all():
        if position.party_id == party.pk:
            positions[position.pk] = _copy_position(position, new_item, copy, by=by)
    for document in item.documents.all():
        if document.replaced_at is None and (document.position_id is None or document.position_id in positions):
            _copy_document(document, new_item, positions.get(document.position_id), copy, by=by, stored=stored)
    return item.title


def _copy_position(position, new_item, copy, *, by):
    """A draft again, whatever it was: sharing it in the new meeting is the party's own choice."""
    new = Position.objects.create(
        agenda_item=new_item,
        party=position.party,
        text=position.text,
        html=position.html,
        updated_by=by,
        **position.secrecy_values(),
    )
    agenda.record_version(new, by)
    log_event(
        meeting=copy,
        by=by,
        party=position.party,
        action=Event.Action.POSITION_SAVED,
        subject=new_item.title,
        after={"text": new.text, "version": new.version, "state": new.state},
        private=True,
    )
    return new


def _copy_document(document, new_item, new_position, copy, *, by, stored):
    new = Document(
        agenda_item=new_item,
        position=new_position,
        party=document.party,
        uploaded_by=by,
        original_name=document.original_name,
        content_type=document.content_type,
        size=document.size,
        sha256=document.sha256,
        **document.secrecy_values(),
    )
    with document.file.open("rb") as source:
        new.file.save(document.original_name, source, save=False)
    stored.append(new.file.name)
    new.save()
    log_event(
        meeting=copy,
        by=by,
        party=document.party,
        action=Event.Action.DOCUMENT_ADDED,
        subject=new.original_name,
        after={"name": new.original_name, "sha256": new.sha256, "size": new.size},
        private=new_position is not None,
    )
