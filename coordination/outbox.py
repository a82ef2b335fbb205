"""Sending the outbox: after commit, by a worker, with retries that back off.

A message leaves as Outlook and Gmail need it to show Accept/Decline buttons:

    multipart/mixed
      multipart/alternative
        text/plain; charset=utf-8
        text/html; charset=utf-8
        text/calendar; charset=utf-8; method=REQUEST|CANCEL   (the invitation itself)
      application/ics; name=invite.ics                        (the same bytes, as a file)

every part base64-encoded, the MIME method equal to the METHOD inside.
"""

import datetime
import logging
from email import encoders
from email.mime.base import MIMEBase
from email.mime.text import MIMEText

from django.core.mail import EmailMessage, get_connection
from django.core.mail.message import SafeMIMEMultipart
from django.db import transaction
from django.utils import timezone

from .models import OutboxMessage

logger = logging.getLogger(__name__)

BATCH = 50
MAX_DELAY = datetime.timedelta(hours=6)


class CalendarEmail(EmailMessage):
    """An EmailMessage whose body is built here, part by part.

    Django's attach_alternative with a method parameter writes the charset
    twice in the calendar part's Content-Type; building the parts with the
    standard library gives exactly one of each parameter.
    """

    def __init__(self, *, html, calendar, method, **kwargs):
        super().__init__(**kwargs)
        self.html = html
        self.calendar = calendar
        self.method = method

    def _create_message(self, msg):
        alternative = SafeMIMEMultipart(_subtype="alternative", encoding=self.encoding)
        alternative.attach(MIMEText(self.body, "plain", "utf-8"))
        alternative.attach(MIMEText(self.html, "html", "utf-8"))
        if self.calendar:
            inline = MIMEText(self.calendar, "calendar", "utf-8")
            inline.set_param("method", self.method)
            alternative.attach(inline)
        mixed = SafeMIMEMultipart(_subtype="mixed", encoding=self.encoding)
        mixed.attach(alternative)
        if self.calendar:
            attachment = MIMEBase("application", "ics", name="invite.ics")
            attachment.set_payload(self.calendar.encode())
            encoders.encode_base64(attachment)
            attachment.add_header("Content-Disposition", "attachment", filename="invite.ics")
            mixed.attach(attachment)
        return mixed


def email_for(message):
    return CalendarEmail(
        subject=message.subject,
        body=message.text,
        to=[f"{message.recipient_name} <{message.recipient}>" if message.recipient_name else message.recipient],
        html=message.html,
        calendar=message.calendar,
        method=message.method,
    )


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
                    connection.send_messages([email_for(message)])
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
