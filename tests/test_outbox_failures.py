"""What the outbox does when mail cannot go out, against real SMTP servers on 127.0.0.1.

A refusal (5xx) is permanent: the message is given up on at once, with a reason
for people, and not tried again. A server that is away, hangs, or answers 4xx
is transient: tried again after the back-off, at most MAX_ATTEMPTS times.
"""

import datetime
import time

import pytest
from django.utils import timezone

from coordination import outbox
from coordination.models import OutboxMessage
from coordination.outbox import send_due

from .builders import queued_mail
from .smtp_server import TIMEOUT

Failure = OutboxMessage.Failure


def reread(message):
    return OutboxMessage.objects.get(pk=message.pk)


def later(**delta):
    return timezone.now() + datetime.timedelta(**delta)


def test_a_refused_recipient_is_given_up_on_at_once_and_the_others_go(smtp_server, meeting):
    refused = queued_mail(meeting, "finns.inte@polisen.example")
    other = queued_mail(meeting, "rpc@polisen.example")
    smtp_server.refuse["finns.inte@polisen.example"] = "550 5.1.1 User unknown"

    assert send_due() == (1, 1)

    refused = reread(refused)
    assert (refused.failure, refused.attempts) == (Failure.RECIPIENT_REFUSED, 1)
    assert refused.failed_at is not None and refused.sent_at is None
    assert "550" in refused.last_error and "User unknown" in refused.last_error
    assert reread(other).is_sent and smtp_server.recipients() == ["rpc@polisen.example"]
    assert send_due(now=later(days=10)) == (0, 0)  # never due again
    assert not OutboxMessage.objects.due(later(days=10)).exists()


def test_a_recipient_put_off_with_451_is_tried_again_later(smtp_server, meeting):
    message = queued_mail(meeting, "rpc@polisen.example")
    smtp_server.refuse["rpc@polisen.example"] = "451 4.7.1 Greylisted, try again later"

    assert send_due() == (0, 1)

    message = reread(message)
    assert (message.failure, message.failed_at) == (Failure.DEFERRED, None)
    assert message.next_attempt_at > timezone.now()
    del smtp_server.refuse["rpc@polisen.example"]
    assert send_due(now=later(minutes=2)) == (1, 0)
    message = reread(message)
    assert message.is_sent and (message.failure, message.last_error, message.attempts) == ("", "", 2)


@pytest.mark.parametrize(
    "reply, failure",
    [("553 5.7.1 Sender not allowed", Failure.MESSAGE_REFUSED), ("421 4.3.2 Busy", Failure.DEFERRED)],
)
def test_a_refused_sender_is_permanent_only_with_a_5xx(smtp_server, meeting, reply, failure):
    smtp_server.refuse_sender = reply
    message = queued_mail(meeting, "rpc@polisen.example")
    send_due()
    message = reread(message)
    assert message.failure == failure
    assert (message.failed_at is not None) == (failure == Failure.MESSAGE_REFUSED)


@pytest.mark.parametrize("address", ["rpc@pol isen.example", "rpc@" + "x" * 70 + ".example", "a@b@polisen.example"])
def test_an_address_that_cannot_be_written_into_a_mail_is_permanent(smtp_server, meeting, address):
    message = queued_mail(meeting, address)
    assert send_due() == (0, 1)
    message = reread(message)
    assert message.failure == Failure.BAD_ADDRESS and message.failed_at is not None
    assert smtp_server.received == []


def test_a_server_that_is_not_listening_is_transient(mail_settings, meeting):
    message = queued_mail(meeting, "rpc@polisen.example")
    assert send_due() == (0, 1)
    message = reread(message)
    assert (message.failure, message.failed_at) == (Failure.UNREACHABLE, None)
    assert "ConnectionRefusedError" in message.last_error


def test_a_server_that_hangs_ends_the_round_within_the_timeout_and_is_transient(silent_server, meeting):
    message = queued_mail(meeting, "rpc@polisen.example")
    started = time.monotonic()
    assert send_due() == (0, 1)
    took = time.monotonic() - started
    assert took < TIMEOUT + 2, took
    message = reread(message)
    assert (message.failure, message.failed_at) == (Failure.UNREACHABLE, None)


def test_a_message_the_server_never_takes_is_given_up_on_after_the_last_attempt_about_three_days_on(
    mail_settings, meeting
):
    message = queued_mail(meeting, "rpc@polisen.example")
    first = now = timezone.now()
    for _ in range(outbox.MAX_ATTEMPTS - 1):
        assert send_due(now=now) == (0, 1)
        now = reread(message).next_attempt_at
    assert reread(message).failed_at is None
    assert datetime.timedelta(days=2, hours=18) < now - first < datetime.timedelta(days=3)

    assert send_due(now=now) == (0, 1)

    message = reread(message)
    assert (message.failure, message.attempts, message.failed_at) == (Failure.GAVE_UP, outbox.MAX_ATTEMPTS, now)
    assert send_due(now=now + datetime.timedelta(days=30)) == (0, 0)
