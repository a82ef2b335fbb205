"""The loop of the long-running workers (send_outbox --loop, read_replies --loop): an outage is waited out.

A round that fails because the database, the mail server or the mailbox is away
is logged in one line (no traceback), the broken database connections are
dropped, and the next round comes after a back-off that doubles, at most
MAX_BACKOFF. The first round that succeeds again goes back to the normal
interval. Any other exception is a bug: it ends the process, and systemd
starts it again (docs/operations.md).

Without --loop a failed round ends the command with CommandError: one clear
line and a non-zero exit status.
"""

import imaplib
import logging
import smtplib
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, InterfaceError, OperationalError, connections

logger = logging.getLogger(__name__)

# What an outage raises: the database gone (OperationalError, or InterfaceError for a connection it closed),
# a server refusing, resetting or not answering (OSError, which includes timeouts), the mailbox or the mail
# server answering with an error.
OUTAGES = (OperationalError, InterfaceError, OSError, imaplib.IMAP4.error, smtplib.SMTPException)
MAX_BACKOFF = 300.0  # seconds


def describe(error):
    return f"{type(error).__name__}: {error}".strip()


def backoff(interval, failures):
    """Seconds to wait after ``failures`` failed rounds in a row: twice the interval, doubling, at most MAX_BACKOFF."""
    return min(max(interval, 1.0) * 2**failures, max(MAX_BACKOFF, interval))


def drop_broken_connections():
    """Close database connections an outage broke, so the next round connects afresh (Django does this per request).

    A connection inside a transaction is left alone: it belongs to someone else (a test's transaction).
    """
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            try:
                connection.close_if_unusable_or_obsolete()
            except DatabaseError:
                connection.connection = None  # it could not even be closed; forget it


def run_once(round, *, what):
    """One round; an outage ends the command with one clear line and exit status 1."""
    try:
        return round()
    except OUTAGES as error:
        drop_broken_connections()
        raise CommandError(f"{what} failed: {describe(error)}") from error


def pause(seconds):
    time.sleep(seconds)


def run_forever(round, *, what, interval, sleep=None, rounds=None):
    """Call ``round`` every ``interval`` seconds, surviving outages; ``sleep`` and ``rounds`` are for tests."""
    sleep = pause if sleep is None else sleep
    failures = 0
    done = 0
    while rounds is None or done < rounds:
        done += 1
        try:
            round()
        except OUTAGES as error:
            failures += 1
            drop_broken_connections()
            delay = backoff(interval, failures)
            logger.warning(
                "%s failed (%d in a row), trying again in %.0f s: %s", what, failures, delay, describe(error)
            )
        else:
            if failures:
                logger.info("%s works again after %d failed round(s)", what, failures)
            failures = 0
            delay = interval
        if rounds is None or done < rounds:
            sleep(delay)


class WorkerCommand(BaseCommand):
    """A management command that does one round, or with --loop keeps doing rounds through outages.

    A subclass names the work (``what``), its pause between rounds
    (``interval``) and does one round in ``round()``.
    """

    what = ""
    interval = 10.0

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep running, a round every --interval seconds")
        parser.add_argument(
            "--interval", type=float, default=self.interval, help="seconds between rounds (with --loop)"
        )

    def handle(self, *args, loop, interval, **options):
        self.check_configured()
        if loop:
            run_forever(self.round, what=self.what, interval=interval)
        else:
            run_once(self.round, what=self.what)

    def check_configured(self):
        """Raise CommandError when the settings the work needs are missing."""

    def round(self):
        raise NotImplementedError
