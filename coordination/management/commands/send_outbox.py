"""The outbox worker: send what is due, once or in a loop that survives outages (coordination.workers)."""

from django.core.management.base import BaseCommand

from coordination import workers
from coordination.outbox import send_due


class Command(BaseCommand):
    help = "Send the mail waiting in the outbox; with --loop keep doing so every few seconds."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep running, sending as mail becomes due")
        parser.add_argument("--interval", type=float, default=10.0, help="seconds between rounds (with --loop)")

    def handle(self, *args, loop, interval, **options):
        if loop:
            workers.run_forever(self.send, what="Sending the outbox", interval=interval)
        else:
            workers.run_once(self.send, what="Sending the outbox")

    def send(self):
        sent, failed = send_due()
        if sent or failed:
            self.stdout.write(f"sent {sent}, failed {failed}")
