import datetime as dt
import logging
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Company
from tracking.evaluation import Cause, evaluate_many
from tracking.jobs import run_daily_evaluation

log = logging.getLogger("tracking.daily")


class Command(BaseCommand):
    help = (
        "Run the daily progress evaluation now, per company, as of a date (default: each "
        "company's local today). Idempotent: a company already evaluated for that day is "
        "skipped. --all re-evaluates every engagement (a backfill) without recording a run "
        "or nudging anyone."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", type=dt.date.fromisoformat,
                            help="YYYY-MM-DD, the company-local day to evaluate on")
        parser.add_argument("--company", metavar="SLUG", help="only this company")
        parser.add_argument("--dry-run", action="store_true",
                            help="compute and print, then roll everything back")
        parser.add_argument("--all", action="store_true", dest="all_engagements",
                            help="every engagement, not only those due (backfill)")
        parser.add_argument("--progress-every", type=float, default=5.0, metavar="SECONDS",
                            help="print a progress line this often on long runs")

    def handle(self, *args, date=None, company=None, dry_run=False, all_engagements=False,
               progress_every=5.0, **options):
        companies = Company.objects.order_by("slug")
        if company:
            companies = companies.filter(slug=company)
            if not companies.exists():
                raise CommandError(f"No company with slug {company!r}.")
        companies = list(companies)
        started = last_report = time.monotonic()
        totals = {"evaluated": 0, "transitions": 0, "skipped": 0}
        for index, each in enumerate(companies, start=1):
            day = date or each.local_today()
            if all_engagements:
                counts = self._evaluate_all(each, day, dry_run)
                line = (f"evaluated={counts.evaluated} on_track={counts.on_track} "
                        f"off_track={counts.off_track} not_tracked={counts.not_tracked} "
                        f"transitions={counts.transitions}")
                totals["evaluated"] += counts.evaluated
                totals["transitions"] += counts.transitions
            else:
                run = run_daily_evaluation(each, day, dry_run=dry_run)
                if run is None:
                    totals["skipped"] += 1
                    line = "skipped (already evaluated for this day, or running elsewhere)"
                else:
                    line = (f"evaluated={run.evaluated} on_track={run.on_track} "
                            f"off_track={run.off_track} not_tracked={run.not_tracked} "
                            f"transitions={run.transitions_count} duration_ms={run.duration_ms}")
                    totals["evaluated"] += run.evaluated
                    totals["transitions"] += run.transitions_count
            self.stdout.write(f"{each.slug} {day}: {line}")
            if time.monotonic() - last_report >= progress_every and index < len(companies):
                last_report = time.monotonic()
                self.stderr.write(
                    f"... {index}/{len(companies)} companies, {totals['evaluated']} engagements "
                    f"evaluated, {last_report - started:.0f}s"
                )
        self.stdout.write(
            f"{'dry run: ' if dry_run else ''}{len(companies)} companies, "
            f"{totals['evaluated']} engagements evaluated, {totals['transitions']} transitions, "
            f"{totals['skipped']} skipped in {time.monotonic() - started:.1f}s"
        )

    def _evaluate_all(self, company, day, dry_run):
        with transaction.atomic():
            counts = evaluate_many({company.pk: day}, cause=Cause.MANUAL)
            if dry_run:
                transaction.set_rollback(True)
        log.info("evaluation_backfill", extra={
            "company": company.slug, "day": day, "evaluated": counts.evaluated,
            "transitions": counts.transitions, "dry_run": dry_run})
        return counts
