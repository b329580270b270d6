from django.core.management.base import BaseCommand

from notifications.sender import send_due_nudges


class Command(BaseCommand):
    help = (
        "Send the off-track nudges that are due now (what the Celery task does every minute). "
        "Safe to run at any time, and beside running workers."
    )

    def handle(self, *args, **options):
        counts = send_due_nudges()
        summary = ", ".join(f"{status} {n}" for status, n in sorted(counts.items()))
        summary = summary or "nothing due"
        self.stdout.write(f"nudges: {summary}")
