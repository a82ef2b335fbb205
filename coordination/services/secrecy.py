"""Secrecy marking of an agenda item, a position or a document (models.SecrecyMarked): the one state change.

A marked record stays in Samråd as it was, shown with its marking; what keeps it out of mail and calendar files
is that those carry titles only, each with its marking (SecrecyMarked.with_marking, services/invites.py,
services/notices.py), and never a description, a position's text or a document.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import AgendaItem, Document, Event, Position, Secrecy, person_name
from .base import RuleError, bump_if_scheduled, locked_meeting, log_event

# What the event log calls each kind of record (eventlog_text.secrecy_marked reads it back).
RECORD_KINDS = {AgendaItem: "agenda_item", Position: "position", Document: "document"}


class SecrecyConflict(RuleError):
    """Someone changed the marking after the form was opened; ``current`` is the record as it is now."""

    def __init__(self, message, current):
        super().__init__(message)
        self.current = current


def meeting_of(record):
    return record.meeting if isinstance(record, AgendaItem) else record.agenda_item.meeting


def is_private(record):
    """A draft position, and a document on one, are their party's own: so is the event of their marking."""
    position = record if isinstance(record, Position) else getattr(record, "position", None)
    return position is not None and not position.is_shared


def subject_of(record):
    """The event's subject: the item's title (a position's item's), or the document's file name."""
    if isinstance(record, Document):
        return record.original_name
    return record.title if isinstance(record, AgendaItem) else record.agenda_item.title


def _marking(record):
    return {"secrecy": record.secrecy, "provision": record.secrecy_provision}


@transaction.atomic
def mark_secrecy(*, record, party, by, secrecy, provision="", base_version=None):
    """Mark ``record`` "under secrecy review" or "covered by secrecy" under ``provision``, or unmark it ("").

    Whether ``by`` may is rules.can_mark_secrecy, asked by the view. Covered needs its provision. A change
    based on an older ``secrecy_version`` than the record's raises SecrecyConflict and writes nothing; the
    same marking again changes nothing (a double click). Side effects: the record's marking, who and when;
    one event (private for a draft position's record, in ``party``'s chain: for a position or a document it
    is the record's own party, whose people alone may mark it), and on a scheduled meeting an
    accepted item's marking raises the calendar SEQUENCE, as its title in the invitation's agenda changes.
    Returns whether the marking changed.
    """
    meeting = locked_meeting(meeting_of(record))
    record = type(record).objects.select_for_update().get(pk=record.pk)
    provision = " ".join(provision.split())
    if secrecy and secrecy not in Secrecy.values:
        raise RuleError(_("Choose a secrecy marking."))
    if secrecy == Secrecy.COVERED and not provision:
        raise RuleError(_("Say under which provision the record is covered by secrecy, e.g. OSL 18 kap. 1 §."))
    if not secrecy:
        provision = ""
    before = _marking(record)
    after = {"secrecy": secrecy, "provision": provision}
    if before == after:
        return False
    if base_version is not None and base_version != record.secrecy_version:
        raise SecrecyConflict(_("Someone else changed the secrecy marking while you were choosing."), record)
    record.secrecy, record.secrecy_provision = secrecy, provision
    record.secrecy_marked_by, record.secrecy_marked_by_name = by, person_name(by)
    record.secrecy_marked_at = timezone.now()
    record.secrecy_version += 1
    record.save(update_fields=[*record.SECRECY_FIELDS, "secrecy_version"])
    if isinstance(record, AgendaItem) and record.is_accepted:
        bump_if_scheduled(meeting)
    log_event(
        meeting=meeting,
        by=by,
        party=party,
        action=Event.Action.SECRECY_MARKED if secrecy else Event.Action.SECRECY_UNMARKED,
        subject=subject_of(record),
        # The marking as one value, so that a provision unchanged beside a changed marking stays in both.
        before={"marking": before},
        after={"marking": after, "record": RECORD_KINDS[type(record)]},
        private=is_private(record),
    )
    return True
