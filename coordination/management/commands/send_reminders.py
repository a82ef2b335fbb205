"""Daily: remind the required parties that have not answered, two days before the deadline and on the day;
and the owner parties of actions past their due date, once."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from coordination.services.minutes import send_overdue_action_reminders
from coordination.services.reminders import send_due_reminders


class Command(BaseCommand):
    help = "Queue the answer-deadline reminders due today (safe to run often: each goes once)."

    def handle(self, *args, **options):
        today = timezone.localdate()
        written = send_due_reminders(today)
        self.stdout.write(f"{written} reminder(s) queued")
        overdue = send_overdue_action_reminders(today)
        self.stdout.write(f"{overdue} overdue action reminder(s) queued")
