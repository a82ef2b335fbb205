"""The workers' loop survives outages: the database, the mail server or the mailbox going away.

Nothing sleeps for real: the loop's sleep is a recorder, and the loop is given a number of rounds.
"""

import imaplib
import logging
import smtplib

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError, connection, connections

from coordination import workers
from coordination.models import OutboxMessage
from coordination.outbox import send_due

from .builders import needs_postgresql, queued_mail


class Pauses(list):
    """The loop's sleep: remembers how long it would have slept."""

    def __call__(self, seconds):
        self.append(seconds)


def failing(times, error):
    """A round that raises ``error`` the first ``times`` calls, then counts the calls that went through."""
    calls = {"failed": 0, "ok": 0}

    def round():
        if calls["failed"] < times:
            calls["failed"] += 1
            raise error
        calls["ok"] += 1

    return round, calls


def test_the_loop_survives_the_database_going_away_and_sends_when_it_is_back(smtp_server, meeting, caplog):
    message = queued_mail(meeting, "rpc@polisen.example")
    gone = {"rounds": 1}

    def round():
        if gone["rounds"]:
            gone["rounds"] -= 1
            raise OperationalError("server closed the connection unexpectedly")
        send_due()

    pauses = Pauses()
    with caplog.at_level(logging.INFO, logger="coordination.workers"):
        workers.run_forever(round, what="Sending the outbox", interval=10, sleep=pauses, rounds=3)

    assert OutboxMessage.objects.get(pk=message.pk).is_sent
    assert smtp_server.recipients() == ["rpc@polisen.example"]
    assert pauses == [20, 10]  # backed off once, then the normal interval
    [failed, recovered] = [r for r in caplog.records if r.name == "coordination.workers"]
    assert "Sending the outbox failed (1 in a row)" in failed.getMessage() and failed.exc_info is None
    assert "server closed the connection unexpectedly" in failed.getMessage()
    assert "works again after 1 failed round" in recovered.getMessage()


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("gone"),
        ConnectionRefusedError(111, "Connection refused"),
        TimeoutError("timed out"),
        smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
        imaplib.IMAP4.error("LOGIN failed"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_every_kind_of_outage_is_waited_out_with_a_growing_capped_back_off(db, error):
    round, calls = failing(9, error)
    pauses = Pauses()
    workers.run_forever(round, what="Reading", interval=10, sleep=pauses, rounds=11)
    assert pauses == [20, 40, 80, 160, 300, 300, 300, 300, 300, 10]
    assert calls == {"failed": 9, "ok": 2}


def test_a_bug_is_not_an_outage_it_ends_the_loop(db):
    round, _ = failing(1, ZeroDivisionError("a bug"))
    with pytest.raises(ZeroDivisionError):
        workers.run_forever(round, what="Reading", interval=10, sleep=Pauses(), rounds=3)


def test_without_loop_an_outage_ends_the_command_with_one_clear_line(db, monkeypatch):
    monkeypatch.setattr(
        "coordination.management.commands.send_outbox.send_due", failing(1, OperationalError("no database"))[0]
    )
    with pytest.raises(CommandError, match=r"^Sending the outbox failed: OperationalError: no database$"):
        call_command("send_outbox")


def test_the_command_with_loop_uses_the_loop_and_carries_on_after_an_outage(mail_settings, meeting, monkeypatch):
    """The SMTP server is away for the first round and back for the second."""
    queued_mail(meeting, "rpc@polisen.example")
    pauses = Pauses()

    class Stop(Exception):
        pass

    def pause(seconds):
        pauses.append(seconds)
        if len(pauses) == 2:
            raise Stop

    monkeypatch.setattr(workers, "pause", pause)
    with pytest.raises(Stop):
        call_command("send_outbox", "--loop", "--interval", "5")
    assert pauses == [5, 5]  # a mail that fails is the outbox's business (retried later), not an outage


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_the_loop_survives_postgresql_ending_its_connection_and_sends_afterwards(smtp_server, meeting, caplog):
    """As a database restart does: the server ends the worker's connection between two rounds."""
    first = queued_mail(meeting, "rpc@polisen.example")
    second = None

    def round():
        nonlocal second
        send_due()
        if second is None:
            second = queued_mail(meeting, "stabschef@polisen.example")
            end_every_other_connection()

    pauses = Pauses()
    with caplog.at_level(logging.INFO, logger="coordination.workers"):
        workers.run_forever(round, what="Sending the outbox", interval=10, sleep=pauses, rounds=3)

    assert OutboxMessage.objects.get(pk=first.pk).is_sent and OutboxMessage.objects.get(pk=second.pk).is_sent
    assert smtp_server.recipients() == ["rpc@polisen.example", "stabschef@polisen.example"]
    assert pauses == [10, 20]  # the round after the restart failed once, then the loop carried on
    failed = [r.getMessage() for r in caplog.records if "failed (1 in a row)" in r.getMessage()]
    assert len(failed) == 1 and "OperationalError" in failed[0]


def end_every_other_connection():
    """From a connection of its own, what a restart does to the others: pg_terminate_backend."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        [own] = cursor.fetchone()
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid = %s",
                [own],
            )
    finally:
        other.close()
