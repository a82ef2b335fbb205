"""Daily: remind the required parties that have not answered, two days before the deadline and on the day."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from coordination.services.reminders import send_due_reminders


class Command(BaseCommand):
    help = "Queue the answer-deadline reminders due today (safe to run often: each goes once)."

    def handle(self, *args, **options):
        written = send_due_reminders(timezone.localdate())
        self.stdout.write(f"{written} reminder(s) queued")
