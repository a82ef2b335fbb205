"""Sending the outbox: after commit, by a worker, with retries that back off.

What a message looks like when it leaves is ``mail.py``'s business.
"""

import datetime
import logging

from django.core.mail import get_connection
from django.db import transaction
from django.utils import timezone

from .mail import to_email
from .models import OutboxMessage

logger = logging.getLogger(__name__)

BATCH = 50
MAX_DELAY = datetime.timedelta(hours=6)


def next_delay(attempts):
    """One minute, then doubling, at most six hours."""
    return min(datetime.timedelta(minutes=2 ** (attempts - 1)), MAX_DELAY)


def send_due(*, now=None):
    """Send every message that is due, once. Returns (sent, failed).

    The rows are locked while they are sent (skipped by a second worker), and
    a message is marked sent in the same transaction, so a message goes out
    once even with several workers. A failure is kept with its error and tried
    again later.
    """
    now = now or timezone.now()
    sent = failed = 0
    with transaction.atomic():
        messages = list(OutboxMessage.objects.due(now).select_for_update(skip_locked=True)[:BATCH])
        if not messages:
            return 0, 0
        try:
            connection = get_connection()
            connection.open()
        except Exception as error:  # noqa: BLE001 - any fault of the mail server is retried later
            for message in messages:
                _failed(message, error, now)
            return 0, len(messages)
        try:
            for message in messages:
                try:
                    connection.send_messages([to_email(message)])
                except Exception as error:  # noqa: BLE001 - kept on the message and retried
                    _failed(message, error, now)
                    failed += 1
                else:
                    message.sent_at = timezone.now()
                    message.attempts += 1
                    message.last_error = ""
                    message.save(update_fields=["sent_at", "attempts", "last_error"])
                    sent += 1
        finally:
            connection.close()
    return sent, failed


def _failed(message, error, now):
    message.attempts += 1
    message.last_error = f"{type(error).__name__}: {error}"[:1000]
    message.next_attempt_at = now + next_delay(message.attempts)
    message.save(update_fields=["attempts", "last_error", "next_attempt_at"])
    logger.warning("Mail to %s not sent (attempt %d): %s", message.recipient, message.attempts, message.last_error)
