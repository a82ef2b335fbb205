"""A mail the outbox gave up on, corrected and sent again."""

import icalendar
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Event, OutboxMessage
from .base import RuleError, locked_meeting, log_event


def must_wait_for_correction(message):
    """Only a mail the outbox gave up on is corrected; one sent, or corrected already (a double click), is not."""
    if not message.has_failed:
        raise RuleError(_("This mail is not waiting for a correction."))


@transaction.atomic
def correct_and_resend(*, message, email, by, party):
    """Send a given-up mail again, to ``email``. Returns the messages queued again.

    Side effects: every given-up message of the meeting to the same wrong address
    gets the new one and is due at once (the attempts count anew); an attendee of
    the meeting with the wrong address gets the new one too, so later mail and
    calendar replies use it; one event. The mail's content is kept as written,
    but for the address in its calendar part: the calendar answers from the one
    it finds there, which must be the attendee's.
    """
    meeting = locked_meeting(message.meeting)
    message = OutboxMessage.objects.select_for_update().get(pk=message.pk)
    must_wait_for_correction(message)
    wrong = message.recipient
    if meeting.attendees.filter(email__iexact=email).exclude(email__iexact=wrong).exists():
        raise RuleError(_("Another attendee already has this address."))
    failed = list(meeting.outbox.select_for_update().filter(recipient__iexact=wrong, failed_at__isnull=False))
    for each in failed:
        each.recipient = email
        each.calendar = readdressed(each.calendar, wrong, email)
        each.failed_at = None
        each.failure = each.last_error = ""
        each.attempts = 0
        each.next_attempt_at = timezone.now()
    OutboxMessage.objects.bulk_update(
        failed, ["recipient", "calendar", "failed_at", "failure", "last_error", "attempts", "next_attempt_at"]
    )
    meeting.attendees.filter(email__iexact=wrong).update(email=email)
    log_event(
        meeting=meeting,
        by=by,
        party=party,
        action=Event.Action.MAIL_RESENT,
        subject=message.recipient_name or email,
        before={"email": wrong},
        after={"email": email},
    )
    return failed


def readdressed(calendar, wrong, right):
    """The calendar text with every ATTENDEE at ``wrong`` moved to ``right``, its name and answer kept."""
    if not calendar:
        return calendar
    parsed = icalendar.Calendar.from_ical(calendar)
    for event in parsed.walk("VEVENT"):
        listed = event.get("ATTENDEE", [])
        listed = listed if isinstance(listed, list) else [listed]
        if any(_is(address, wrong) for address in listed):
            event["ATTENDEE"] = [_moved(address, right) if _is(address, wrong) else address for address in listed]
    return parsed.to_ical().decode()


def _is(address, email):
    return str(address).lower() == f"mailto:{email}".lower()


def _moved(address, email):
    moved = icalendar.vCalAddress(f"mailto:{email}")
    moved.params.update(address.params)
    return moved
