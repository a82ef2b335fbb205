"""Sending the outbox: after commit, by a worker, with retries that back off.

What a message looks like when it leaves is ``mail.py``'s business.
"""

import datetime
import logging
import smtplib
from email.errors import MessageError

from django.core.mail import get_connection
from django.db import transaction
from django.utils import timezone

from .mail import to_email
from .models import OutboxMessage

logger = logging.getLogger(__name__)

BATCH = 50
MAX_DELAY = datetime.timedelta(hours=6)
# A transient failure is tried again, but not forever: the 20th failed attempt gives up. With the back-off
# (1, 2, 4 ... 256 minutes, then every 6 hours) that is about three days (68½ hours) after the first.
MAX_ATTEMPTS = 20
Failure = OutboxMessage.Failure
PERMANENT = {Failure.RECIPIENT_REFUSED, Failure.BAD_ADDRESS, Failure.MESSAGE_REFUSED}


def next_delay(attempts):
    """One minute, then doubling, at most six hours."""
    return min(datetime.timedelta(minutes=2 ** (attempts - 1)), MAX_DELAY)


def classify(error):
    """Why a send failed, as an OutboxMessage.Failure; the permanent ones (PERMANENT) are not tried again.

    SMTP says it in the reply code: 5xx is permanent, 4xx transient. A server that cannot be reached,
    hangs up or times out is transient; an address that cannot even be written into a mail is permanent.
    Anything else is taken as transient, so that the retry cap decides.
    """
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return Failure.RECIPIENT_REFUSED if codes and all(code >= 500 for code in codes) else Failure.DEFERRED
    if isinstance(error, smtplib.SMTPResponseException):  # sender refused, data refused, ...
        return Failure.MESSAGE_REFUSED if error.smtp_code >= 500 else Failure.DEFERRED
    if isinstance(error, ValueError | MessageError):  # an address or header that cannot be encoded
        return Failure.BAD_ADDRESS
    return Failure.UNREACHABLE  # OSError (refused, reset, timeout), SMTPServerDisconnected, and the unforeseen


def send_due(*, now=None):
    """Send every message that is due, once. Returns (sent, failed).

    The rows are locked while they are sent (skipped by a second worker), and
    a message is marked sent in the same transaction, so a message goes out
    once even with several workers. A failure is kept with its reason (see
    classify): a transient one is tried again later, a permanent one, or the
    MAX_ATTEMPTS-th transient one, is given up on (failed_at) until someone
    corrects the address (services.delivery.correct_and_resend).
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
        except Exception as error:  # noqa: BLE001 - the server, not a message: every message is retried later
            reason = Failure.DEFERRED if isinstance(error, smtplib.SMTPResponseException) else Failure.UNREACHABLE
            for message in messages:
                _failed(message, error, now, reason)
            return 0, len(messages)
        try:
            for message in messages:
                try:
                    connection.send_messages([to_email(message)])
                except Exception as error:  # noqa: BLE001 - kept on the message, retried if transient
                    _failed(message, error, now, classify(error))
                    failed += 1
                else:
                    message.sent_at = timezone.now()
                    message.attempts += 1
                    message.last_error = message.failure = ""
                    message.save(update_fields=["sent_at", "attempts", "last_error", "failure"])
                    sent += 1
        finally:
            connection.close()
    return sent, failed


def _failed(message, error, now, failure):
    message.attempts += 1
    message.last_error = f"{type(error).__name__}: {error}"[:1000]
    if failure not in PERMANENT and message.attempts >= MAX_ATTEMPTS:
        failure = Failure.GAVE_UP
    message.failure = failure
    if failure in PERMANENT or failure == Failure.GAVE_UP:
        message.failed_at = now
        logger.warning(
            "Mail to %s given up after %d attempt(s), %s: %s",
            message.recipient,
            message.attempts,
            failure,
            message.last_error,
        )
    else:
        message.next_attempt_at = now + next_delay(message.attempts)
        logger.warning("Mail to %s not sent (attempt %d): %s", message.recipient, message.attempts, message.last_error)
    message.save(update_fields=["attempts", "last_error", "failure", "failed_at", "next_attempt_at"])
