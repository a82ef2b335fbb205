"""A cancelled meeting called again: copied to a new draft with its parties, agenda and documents."""

import logging

from django.db import transaction
from django.utils.translation import gettext as _

from ..models import AgendaItem, Document, Event, Meeting, Position, documents_storage
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
    invitations = list(meeting.invitations.select_related("party"))
    copy = meetings.save_meeting(
        by=by,
        party=party,
        details={name: getattr(meeting, name) for name in COPIED_FIELDS},
        convening={inv.party for inv in invitations if inv.is_convening},
        required={inv.party for inv in invitations if not inv.is_convening and inv.required},
        optional={inv.party for inv in invitations if not inv.is_convening and not inv.required},
        form_token=form_token,
    )
    stored = []
    try:
        titles = [_copy_item(item, copy, by=by, party=party, stored=stored) for item in _items_to_copy(meeting)]
        for logged_on, after in ((copy, {"copied_from": meeting.pk}), (meeting, {"copy": copy.pk})):
            log_event(
                meeting=logged_on,
                by=by,
                party=party,
                action=Event.Action.MEETING_COPIED,
                subject=meeting.title,
                after={**after, "agenda_items": titles},
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
