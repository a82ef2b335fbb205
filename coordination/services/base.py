"""What every state change shares: the one refusal (RuleError), the one way to write the event log, the row lock."""

from ..models import Event, Meeting, person_name


class RuleError(Exception):
    """A change the rules refuse; the message is meant for the user."""


def log_event(**details):
    """Write one row of the event log (the arguments of event_row)."""
    event = event_row(**details)
    event.save()
    return event


def event_row(*, meeting, by, party, action, subject="", before=None, after=None, private=False, actor_name=None):
    """One unsaved row of the event log. ``by`` is None for what arrives from outside (a calendar reply).

    A key whose value is the same before and after is left out of both, so the
    row shows what changed and callers may pass whole states.
    """
    if before and after:
        unchanged = {key for key in before.keys() & after.keys() if before[key] == after[key]}
        before = {key: value for key, value in before.items() if key not in unchanged}
        after = {key: value for key, value in after.items() if key not in unchanged}
    return Event(
        meeting=meeting,
        actor=by,
        actor_name=actor_name or person_name(by),
        party=party,
        action=action,
        subject=subject[:300],
        before=before,
        after=after,
        private=private,
    )


def locked_meeting(meeting):
    """Re-read the meeting under a row lock so concurrent changes queue up behind each other."""
    return Meeting.objects.select_for_update().get(pk=meeting.pk)


# The same form posted twice — a double click, a reload, two tabs, even at the very same moment —
# creates one row. A form that creates a row with no natural key of its own (a meeting, an agenda
# item, an attendee, a document) carries a one-time token (forms.FormTokenField) that the row keeps
# under a unique constraint. The service first takes a row lock (the meeting's; for a new meeting,
# the creator's), so the second post waits for the first to commit and then finds its row here: it
# returns that row and writes nothing. The unique constraint is the database's guarantee should a
# path ever skip the lock. Rows with a natural key need no token: a slot is unique per time, an
# answer per slot and party, a position per item and party, with its version against stale edits.
def created_by_form(model, form_token):
    """The row a form with this one-time token has already created, or None."""
    if form_token is None:
        return None
    return model.objects.filter(form_token=form_token).first()


def bump_if_scheduled(meeting):
    """The attendee list and the agenda are part of the invite, so a sent invite must update.

    Returns whether the meeting is scheduled (and the sequence was raised).
    """
    if meeting.status != Meeting.Status.SCHEDULED:
        return False
    meeting.sequence += 1
    meeting.save(update_fields=["sequence", "updated_at"])
    return True
