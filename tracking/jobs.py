"""
The daily evaluation: each company once per company-local day, after its local
PROGRESS_EVALUATION_HOUR, reading only the engagements that are due.

At-least-once delivery, exactly-once effect: tasks acknowledge late, so a worker killed
mid-run hands the task to another; the run's transaction then never committed, and the retry
starts from scratch. A run that did commit left its EvaluationRun row, which turns every
later attempt for that (company, day) into a no-op. A PostgreSQL advisory lock (not Python
memory) keeps two workers from evaluating the same company at the same time.
"""

import logging
import time

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Company
from optify import metrics
from tracking.evaluation import Cause, evaluate_many
from tracking.models import EvaluationRun
from tracking.signals import evaluation_committing

log = logging.getLogger("tracking.daily")

# First key of pg_try_advisory_xact_lock(int, int); the second is the company id.
LOCK_NAMESPACE = 0x0F71


def _try_lock(company_id):
    if connection.vendor != "postgresql":  # the embedded SQLite default: one process
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, company_id])
        return cursor.fetchone()[0]


def run_daily_evaluation(company, day, *, dry_run=False):
    """
    Evaluate `company`'s due engagements on its local date `day` and record the run. Returns
    the EvaluationRun, or None when another worker holds the company or `day` is done.

    One transaction: the run row, the status changes, their transitions and whatever the
    receivers of `evaluation_committing` write (the nudges' outbox) commit together. With
    `dry_run` everything is rolled back and no signal is sent.
    """
    started = time.monotonic()
    with transaction.atomic():
        if not _try_lock(company.pk):
            log.info("evaluation_skipped",
                     extra={"company": company.slug, "day": day, "reason": "locked"})
            return None
        if EvaluationRun.objects.filter(company=company, day=day).exists():
            log.info("evaluation_skipped",
                     extra={"company": company.slug, "day": day, "reason": "done"})
            return None
        run = EvaluationRun.objects.create(company=company, day=day, started_at=timezone.now())
        counts = evaluate_many({company.pk: day}, cause=Cause.DAILY, only_due=True, run=run)
        run.evaluated = counts.evaluated
        run.on_track = counts.on_track
        run.off_track = counts.off_track
        run.paused = counts.paused
        run.not_tracked = counts.not_tracked
        run.transitions_count = counts.transitions
        run.finished_at = timezone.now()
        run.duration_ms = round((time.monotonic() - started) * 1000)
        run.save()
        if dry_run:
            transaction.set_rollback(True)
        else:
            evaluation_committing.send(sender=EvaluationRun, run=run)
            metrics.evaluation_run_committed(run, company.plan)
    log.info("evaluation_run", extra={
        "company": company.slug, "day": day, "run": run.pk, "evaluated": run.evaluated,
        "on_track": run.on_track, "off_track": run.off_track, "not_tracked": run.not_tracked,
        "transitions": run.transitions_count, "duration_ms": run.duration_ms,
        "dry_run": dry_run,
    })
    return run


def companies_due(now=None):
    """
    [(company, local day)] of the companies whose local time at `now` is past
    PROGRESS_EVALUATION_HOUR and that have no EvaluationRun for that local day. Two queries.
    """
    now = now or timezone.now()
    candidates = []
    for company in Company.objects.only("pk", "slug", "timezone"):
        local = timezone.localtime(now, company.tzinfo)
        if local.hour >= settings.PROGRESS_EVALUATION_HOUR:
            candidates.append((company, local.date()))
    if not candidates:
        return []
    done = set(
        EvaluationRun.objects.filter(
            company_id__in=[c.pk for c, _ in candidates], day__in={d for _, d in candidates}
        ).values_list("company_id", "day")
    )
    return [(c, day) for c, day in candidates if (c.pk, day) not in done]

