"""The reply-mailbox reader: apply Accept/Tentative/Decline from the attendees' calendars."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from coordination import workers
from coordination.services.replies import read_mailbox


class Command(BaseCommand):
    help = "Read the reply mailbox (REPLY_IMAP_*) and record the attendees' calendar answers; --loop to keep at it."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep reading as mail arrives")
        parser.add_argument("--interval", type=float, default=60.0, help="seconds between reads (with --loop)")

    def handle(self, *args, loop, interval, **options):
        if not settings.REPLY_IMAP_HOST:
            raise CommandError(
                "Set REPLY_IMAP_HOST, REPLY_IMAP_USER and REPLY_IMAP_PASSWORD to read the reply mailbox."
            )
        if loop:
            workers.run_forever(self.read, what="Reading the reply mailbox", interval=interval)
        else:
            workers.run_once(self.read, what="Reading the reply mailbox")

    def read(self):
        replies = read_mailbox()
        if replies:
            applied = sum(reply.outcome == "applied" for reply in replies)
            self.stdout.write(f"read {len(replies)}, applied {applied}")
