"""The outbox worker: send what is due, once or in a loop."""

import time

from django.core.management.base import BaseCommand

from coordination.outbox import send_due


class Command(BaseCommand):
    help = "Send the mail waiting in the outbox; with --loop keep doing so every few seconds."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep running, sending as mail becomes due")
        parser.add_argument("--interval", type=float, default=10.0, help="seconds between rounds (with --loop)")

    def handle(self, *args, loop, interval, **options):
        while True:
            sent, failed = send_due()
            if sent or failed:
                self.stdout.write(f"sent {sent}, failed {failed} (to be tried again)")
            if not loop:
                return
            time.sleep(interval)
