"""State changes of the agenda, the positions and the documents.

Like ``meetings.py`` for scheduling: each function checks its rule, writes
the event log and keeps history, in one transaction. Views never do this work.
"""

import logging

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import markdown
from ..models import AgendaItem, Document, Event, Invitation, Position, PositionVersion, person_name
from . import notices
from .base import RuleError, bump_if_scheduled, created_by_form, locked_meeting, log_event

logger = logging.getLogger(__name__)

# Declined items stay on the meeting's page too; a ceiling far above any real agenda.
MAX_AGENDA_ITEMS = 100

ITEM_FIELDS = ("title", "description", "presenting_party", "planned_minutes")


def _item_json(item):
    return {
        "title": item.title,
        "description": item.description,
        "presenting_party": item.presenting_party.name if item.presenting_party else "",
        "planned_minutes": item.planned_minutes,
    }


class EditConflict(RuleError):
    """Someone saved the position or agenda item after the editor opened it; the editor must choose."""

    def __init__(self, message, current):
        super().__init__(message)
        self.current = current


def _require_active(meeting):
    if not meeting.is_active:
        raise RuleError(_("The meeting is cancelled or held; its agenda can no longer change."))


def _locked_item(item):
    """The item's meeting and the item itself under row locks, once the meeting is known to be active."""
    meeting = locked_meeting(item.meeting)
    _require_active(meeting)
    return meeting, AgendaItem.objects.select_for_update().get(pk=item.pk)


@transaction.atomic
def propose_agenda_item(
    *,
    meeting,
    party,
    by,
    title,
    description="",
    presenting_party=None,
    planned_minutes=15,
    form_token=None,
    carried_action=None,
    tell_conveners=True,
):
    """A party proposes a topic; it waits for the convener. Side effects: one event, a notice to the conveners
    (unless ``tell_conveners`` is False: the items a follow-up carries are told of by its one event).

    A convening party's own item needs no one's acceptance: it is put last on the agenda at once, with its
    own event. The same form posted again returns the item it proposed and changes nothing.
    """
    meeting = locked_meeting(meeting)
    _require_active(meeting)
    created = created_by_form(AgendaItem, form_token)
    if created is not None:
        return created
    if meeting.agenda_items.count() >= MAX_AGENDA_ITEMS:
        raise RuleError(
            _("A meeting can have at most %(limit)d agenda items, declined ones included.")
            % {"limit": MAX_AGENDA_ITEMS}
        )
    item = AgendaItem.objects.create(
        meeting=meeting,
        title=title,
        description=description,
        presenting_party=presenting_party,
        planned_minutes=planned_minutes,
        proposed_by_party=party,
        proposed_by=by,
        form_token=form_token,
        carried_action=carried_action,
    )
    log_event(
        meeting=meeting,
        by=by,
        party=party,
        action=Event.Action.AGENDA_ITEM_PROPOSED,
        subject=title,
        after=_item_json(item),
    )
    if meeting.invitations.filter(party=party, role=Invitation.Role.CONVENING).exists():
        _accept(meeting, item, party=party, by=by)
    if tell_conveners:
        notices.agenda_item_proposed(item, by=by)
    return item


@transaction.atomic
def edit_agenda_item(*, item, party, by, base_version=None, **fields):
    """Change an item's title, description, presenting party or minutes. Side effect: one event with both states.

    ``base_version`` is the item's version the editor started from. If another
    edit came in between, nothing is written and EditConflict carries the
    current item, so no text is ever lost. An edit without it is not checked,
    as before the form carried it.
    """
    meeting, item = _locked_item(item)
    before = _item_json(item)
    if all(getattr(item, name) == fields[name] for name in ITEM_FIELDS):
        # Nothing to lose, whichever version it was based on: the second post of a double click.
        return item
    if base_version is not None and base_version != item.version:
        raise EditConflict(_("Someone else saved this agenda item while you were editing it."), item)
    for name in ITEM_FIELDS:
        setattr(item, name, fields[name])
    item.version += 1
    item.updated_by = by
    item.save()
    if item.is_accepted:
        bump_if_scheduled(meeting)
    log_event(
        meeting=meeting,
        by=by,
        party=party,
        action=Event.Action.AGENDA_ITEM_EDITED,
        subject=item.title,
        before=before,
        after=_item_json(item),
    )
    return item


@transaction.atomic
def accept_agenda_item(*, item, party, by):
    """Put a proposed (or earlier declined) item last on the agenda. Idempotent; one event."""
    meeting, item = _locked_item(item)
    if item.is_accepted:
        return item
    return _accept(meeting, item, party=party, by=by)


def _accept(meeting, item, *, party, by):
    last = meeting.agenda_items.filter(status=AgendaItem.Status.ACCEPTED).aggregate(last=Max("order"))["last"]
    before = item.status
    item.status = AgendaItem.Status.ACCEPTED
    item.order = (last or 0) + 1
    item.decline_reason = ""
    item.save(update_fields=["status", "order", "decline_reason"])
    bump_if_scheduled(meeting)
    log_event(
        meeting=meeting,
        by=by,
        party=party,
        action=Event.Action.AGENDA_ITEM_ACCEPTED,
        subject=item.title,
        before={"status": before},
        after={"status": item.status, "order": item.order},
    )
    return item


@transaction.atomic
def decline_agenda_item(*, item, party, by, reason):
    """Take an item off the agenda with a reason shown to all. Side effect: one event."""
    meeting, item = _locked_item(item)
    before = item.status
    item.status = AgendaItem.Status.DECLINED
    item.decline_reason = reason.strip()
    item.order = 0
    item.save(update_fields=["status", "decline_reason", "order"])
    if before == AgendaItem.Status.ACCEPTED:
        _renumber(meeting)
        bump_if_scheduled(meeting)
    log_event(
        meeting=meeting,
        by=by,
        party=party,
        action=Event.Action.AGENDA_ITEM_DECLINED,
        subject=item.title,
        before={"status": before},
        after={"status": item.status, "reason": item.decline_reason},
    )
    return item


def _renumber(meeting):
    for number, item in enumerate(meeting.agenda_items.filter(status=AgendaItem.Status.ACCEPTED), start=1):
        if item.order != number:
            item.order = number
            item.save(update_fields=["order"])


@transaction.atomic
def move_agenda_item(*, item, party, by, step):
    """Move an accepted item one place up (step -1) or down (+1). At either end nothing changes."""
    meeting = locked_meeting(item.meeting)
    _require_active(meeting)
    agenda = list(meeting.agenda_items.filter(status=AgendaItem.Status.ACCEPTED))
    index = next((i for i, accepted in enumerate(agenda) if accepted.pk == item.pk), None)
    if index is None:
        raise RuleError(_("Only accepted items have a place on the agenda."))
    target = index + step
    if not 0 <= target < len(agenda):
        return item
    before = [accepted.title for accepted in agenda]
    agenda[index], agenda[target] = agenda[target], agenda[index]
    for number, accepted in enumerate(agenda, start=1):
        if accepted.order != number:
            accepted.order = number
            accepted.save(update_fields=["order"])
    bump_if_scheduled(meeting)
    log_event(
        meeting=meeting,
        by=by,
        party=party,
        action=Event.Action.AGENDA_REORDERED,
        subject=item.title,
        before={"order": before},
        after={"order": [accepted.title for accepted in agenda]},
    )
    return item


def record_version(position, by):
    """Keep the position's text as it is now, as its version ``position.version``."""
    return PositionVersion.objects.create(
        position=position,
        number=position.version,
        text=position.text,
        state=position.state,
        author=by,
        author_name=person_name(by),
    )


@transaction.atomic
def save_position(*, item, party, by, text, base_version):
    """Save ``party``'s position on ``item`` as a new version.

    ``base_version`` is the version the editor started from (0 for a new
    position). If another save came in between, nothing is written and
    EditConflict carries the current position, so no text is ever lost.
    Side effects: a kept version row and one event with the text before and after.
    """
    meeting = locked_meeting(item.meeting)
    _require_active(meeting)
    position = Position.objects.select_for_update().filter(agenda_item=item, party=party).first()
    if position is None and base_version != 0:
        raise RuleError(_("The position you edited no longer exists. Open the agenda item again."))
    if position is not None and position.text == text:
        # Nothing to lose, whichever version it was based on: the second post of a double click.
        return position
    if position is not None and position.version != base_version:
        raise EditConflict(_("Someone else saved this position while you were editing it."), position)
    if position is None:
        position = Position.objects.create(
            agenda_item=item, party=party, text=text, html=markdown.render(text), updated_by=by
        )
        before = None
    else:
        before = {"text": position.text, "version": position.version}
        position.text = text
        position.html = markdown.render(text)
        position.version += 1
        position.updated_by = by
        position.save()
    record_version(position, by)
    log_event(
        meeting=meeting,
        by=by,
        party=party,
        action=Event.Action.POSITION_SAVED,
        subject=item.title,
        before=before,
        after={"text": text, "version": position.version, "state": position.state},
        private=not position.is_shared,
    )
    return position


@transaction.atomic
def set_position_shared(*, position, by, shared):
    """Share a position with every party of the meeting, or withdraw it to the own party.

    The change is a version of its own, so the log and the version list keep
    that the text was shared and when. Idempotent. Side effects: one event; sharing
    is a notice to the conveners' coordinators of the other parties.
    """
    meeting = locked_meeting(position.agenda_item.meeting)
    _require_active(meeting)
    position = Position.objects.select_for_update().get(pk=position.pk)
    state = Position.State.SHARED if shared else Position.State.DRAFT
    if position.state == state:
        return position
    before = position.state
    position.state = state
    position.version += 1
    position.updated_by = by
    position.save()
    record_version(position, by)
    log_event(
        meeting=meeting,
        by=by,
        party=position.party,
        action=Event.Action.POSITION_SHARED if shared else Event.Action.POSITION_WITHDRAWN,
        subject=position.agenda_item.title,
        before={"state": before},
        after={"state": state, "version": position.version},
    )
    if shared:
        notices.position_shared(position, by=by)
    return position


class DocumentNotStored(RuleError):
    """The documents folder refused the file; nothing was saved. Not the user's fault: the form stays to try again."""


@transaction.atomic
def attach_document(*, item, party, by, upload, content_type, sha256, position=None, replaces=None, form_token=None):
    """Store an upload (already checked by the form) under a generated name.

    Replacing keeps the old document, marked as replaced; the new one takes over its secrecy marking. Side
    effect: one event.
    The same form posted again returns the document it stored and changes
    nothing. If the file cannot be written, DocumentNotStored is raised;
    whatever fails, nothing is left behind: no row, no file, no part of one.
    """
    meeting = locked_meeting(item.meeting)
    _require_active(meeting)
    created = created_by_form(Document, form_token)
    if created is not None:
        return created
    if replaces is not None:
        replaces = Document.objects.select_for_update().get(pk=replaces.pk)
        if replaces.replaced_at is not None:
            raise RuleError(_("This document has already been replaced by a newer version."))
        replaces.replaced_at = timezone.now()
        replaces.save(update_fields=["replaced_at"])
    document = Document(
        agenda_item=item,
        position=position,
        party=party,
        uploaded_by=by,
        original_name=upload.name,
        content_type=content_type,
        size=upload.size,
        sha256=sha256,
        replaces=replaces,
        form_token=form_token,
        # A new version of a marked document is the same record: it keeps the marking, and who set it when.
        **(replaces.secrecy_values() if replaces is not None else {}),
    )
    try:
        document.file.save(upload.name, upload, save=False)
    except OSError as error:
        # Full disk, a missing mount, no permission: the operators' problem, logged for them in full.
        logger.exception("The documents folder refused a file")
        raise DocumentNotStored(
            _(
                "The document could not be stored, and nothing was saved. Try again later; if it happens "
                "again, tell the people who run Samråd."
            )
        ) from error
    # A failed database write (the row or its event) rolls the transaction back: it must not leave an
    # orphan file behind either.
    try:
        document.save()
        log_event(
            meeting=meeting,
            by=by,
            party=party,
            action=Event.Action.DOCUMENT_REPLACED if replaces else Event.Action.DOCUMENT_ADDED,
            subject=document.original_name,
            before={"name": replaces.original_name, "sha256": replaces.sha256} if replaces else None,
            after={"name": document.original_name, "sha256": document.sha256, "size": document.size},
            private=position is not None and not position.is_shared,
        )
    except Exception:
        document.file.delete(save=False)
        raise
    return document
