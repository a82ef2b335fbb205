"""Collect the notices people chose to get as a digest into one mail per person and meeting, when due."""

from django.utils import timezone

from coordination.services.notices import send_due_digests
from coordination.workers import WorkerCommand


class Command(WorkerCommand):
    help = "Write the notice digests that are due to the outbox (safe to run often: each notice goes once)."
    what = "Collecting the notice digests"
    interval = 300.0

    def round(self):
        written = send_due_digests(timezone.now())
        if written:
            self.stdout.write(f"{written} digest(s) queued")
