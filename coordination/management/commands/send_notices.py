"""Collect the notices people chose to get as a digest into one mail per person and meeting, when due."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from coordination import workers
from coordination.services.notices import send_due_digests


class Command(BaseCommand):
    help = "Write the notice digests that are due to the outbox (safe to run often: each notice goes once)."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep running, writing digests as they become due")
        parser.add_argument("--interval", type=float, default=300.0, help="seconds between rounds (with --loop)")

    def handle(self, *args, loop, interval, **options):
        if loop:
            workers.run_forever(self.collect, what="Collecting the notice digests", interval=interval)
        else:
            workers.run_once(self.collect, what="Collecting the notice digests")

    def collect(self):
        written = send_due_digests(timezone.now())
        if written:
            self.stdout.write(f"{written} digest(s) queued")
