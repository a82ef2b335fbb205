"""The outbox worker: send what is due, once or in a loop that survives outages (coordination.workers)."""

from coordination.outbox import send_due
from coordination.workers import WorkerCommand


class Command(WorkerCommand):
    help = "Send the mail waiting in the outbox; with --loop keep doing so every few seconds."
    what = "Sending the outbox"
    interval = 10.0

    def round(self):
        sent, failed = send_due()
        if sent or failed:
            self.stdout.write(f"sent {sent}, failed {failed}")
