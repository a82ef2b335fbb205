"""The reply-mailbox reader: apply Accept/Tentative/Decline from the attendees' calendars."""

from django.conf import settings
from django.core.management.base import CommandError

from coordination.services.replies import read_mailbox
from coordination.workers import WorkerCommand


class Command(WorkerCommand):
    help = "Read the reply mailbox (REPLY_IMAP_*) and record the attendees' calendar answers; --loop to keep at it."
    what = "Reading the reply mailbox"
    interval = 60.0

    def check_configured(self):
        if not settings.REPLY_IMAP_HOST:
            raise CommandError(
                "Set REPLY_IMAP_HOST, REPLY_IMAP_USER and REPLY_IMAP_PASSWORD to read the reply mailbox."
            )

    def round(self):
        replies = read_mailbox()
        if replies:
            applied = sum(reply.outcome == "applied" for reply in replies)
            self.stdout.write(f"read {len(replies)}, applied {applied}")
