import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from notifications.models import Nudge
from notifications.outbox import hand_over_flips
from notifications.sender import resend, send_due_nudges


class Command(BaseCommand):
    help = (
        "Send the off-track nudges that are due now (what the Celery task does every minute). "
        "Safe to run at any time, and beside running workers. --resend-failed first puts the "
        "failed nudges (of a day, of a company) back in the outbox with fresh attempts, as the "
        "admin's \"Re-send\" action does."
    )

    def add_arguments(self, parser):
        parser.add_argument("--resend-failed", action="store_true",
                            help="re-send the nudges marked failed (all, or as narrowed below)")
        parser.add_argument("--day", type=dt.date.fromisoformat, metavar="YYYY-MM-DD",
                            help="with --resend-failed: only the nudges of this company day")
        parser.add_argument("--company", metavar="SLUG",
                            help="with --resend-failed: only this company's nudges")

    def handle(self, *args, resend_failed=False, day=None, company=None, **options):
        if (day or company) and not resend_failed:
            raise CommandError("--day and --company narrow --resend-failed.")
        if resend_failed:
            failed = Nudge.objects.filter(status=Nudge.Status.FAILED)
            if day:
                failed = failed.filter(day=day)
            if company:
                failed = failed.filter(company__slug=company)
            self.stdout.write(f"re-sending: {resend(failed)} failed nudge(s) back in the outbox")
        hand_over_flips()
        counts = send_due_nudges()
        summary = ", ".join(f"{status} {n}" for status, n in sorted(counts.items()))
        summary = summary or "nothing due"
        self.stdout.write(f"nudges: {summary}")
