"""
The daily evaluation: each company once per company-local day, after its local
PROGRESS_EVALUATION_HOUR, reading only the engagements that are due.

All the companies whose local day has come are evaluated together, in one transaction and a
fixed number of statements (lock, runs, the evaluation, the runs' counts), whatever their
number: the evaluation statement reads the due rows of all of them at once through the due
index, so the run costs what is due, not a fixed price per company.

At-least-once delivery, exactly-once effect: tasks acknowledge late, so a worker killed
mid-run hands the task to another; the run's transaction then never committed, and the retry
starts from scratch. A run that did commit left an EvaluationRun row per company, which turns
every later attempt for that (company, day) into a no-op. PostgreSQL advisory locks (not
Python memory) keep two workers from evaluating the same company at the same time: each takes
the companies it can lock and leaves the others to whoever holds them.
"""

import logging
import time

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Company
from optify import metrics
from tracking.evaluation import Cause, Counts, evaluate_many_by_company
from tracking.models import EvaluationRun
from tracking.signals import evaluation_committing

log = logging.getLogger("tracking.daily")

# First key of pg_try_advisory_xact_lock(int, int); the second is the company id.
LOCK_NAMESPACE = 0x0F71
RUN_COUNTS = ("evaluated", "on_track", "off_track", "paused", "not_tracked",
              "transitions_count", "finished_at", "duration_ms")


def _try_locks(company_ids):
    """The ids among `company_ids` whose advisory lock this transaction took: one query."""
    if connection.vendor != "postgresql":  # the embedded SQLite default: one process
        return set(company_ids)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM unnest(%s::bigint[]) AS id"
            " WHERE pg_try_advisory_xact_lock(%s, id::int)",
            [list(company_ids), LOCK_NAMESPACE],
        )
        return {pk for (pk,) in cursor.fetchall()}


def run_daily_evaluation(company, day, *, dry_run=False):
    """
    Evaluate `company`'s due engagements on its local date `day` and record the run. Returns
    the EvaluationRun, or None when another worker holds the company or `day` is done.
    """
    runs = run_daily_evaluations([(company, day)], dry_run=dry_run)
    return runs[0] if runs else None


def run_daily_evaluations(due, *, dry_run=False):
    """
    The daily run of every (company, company-local day) in `due`: their due engagements
    evaluated in one statement and one EvaluationRun recorded per company. Returns the runs;
    a company another worker holds, or whose day is done, is skipped (and logged).

    One transaction: the run rows, the status changes, their transitions and whatever the
    receivers of `evaluation_committing` write (the nudges' outbox) commit together. With
    `dry_run` everything is rolled back and no signal is sent.

    Queries: the advisory locks, the runs already done, INSERT of the runs, the evaluation
    statement, UPDATE of the runs' counts: five, however many companies and rows are due.
    """
    started = time.monotonic()
    due = list(due)
    runs = []
    with transaction.atomic():
        locked = _try_locks([company.pk for company, _ in due])
        done = set()
        if locked:
            done = set(EvaluationRun.objects.filter(
                company_id__in=locked, day__in={day for _, day in due},
            ).values_list("company_id", "day"))
        todo = []
        for company, day in due:
            if company.pk not in locked or (company.pk, day) in done:
                reason = "locked" if company.pk not in locked else "done"
                log.info("evaluation_skipped",
                         extra={"company": company.slug, "day": day, "reason": reason})
            else:
                todo.append((company, day))
        if not todo:
            return []
        now = timezone.now()
        runs = EvaluationRun.objects.bulk_create(
            [EvaluationRun(company=company, day=day, started_at=now) for company, day in todo]
        )
        counts = evaluate_many_by_company(
            {run.company_id: run.day for run in runs}, cause=Cause.DAILY, only_due=True,
            runs={run.company_id: run for run in runs},
        )
        finished = timezone.now()
        duration_ms = round((time.monotonic() - started) * 1000)
        for run in runs:
            found = counts.get(run.company_id, Counts())
            run.evaluated = found.evaluated
            run.on_track = found.on_track
            run.off_track = found.off_track
            run.paused = found.paused
            run.not_tracked = found.not_tracked
            run.transitions_count = found.transitions
            run.finished_at = finished
            run.duration_ms = duration_ms
        EvaluationRun.objects.bulk_update(runs, RUN_COUNTS)
        if dry_run:
            transaction.set_rollback(True)
        else:
            for run in runs:
                evaluation_committing.send(sender=EvaluationRun, run=run)
                metrics.evaluation_run_committed(run, run.company.plan)
    for run in runs:
        log.info("evaluation_run", extra={
            "company": run.company.slug, "day": run.day, "run": run.pk,
            "evaluated": run.evaluated, "on_track": run.on_track, "off_track": run.off_track,
            "not_tracked": run.not_tracked, "transitions": run.transitions_count,
            "duration_ms": run.duration_ms, "dry_run": dry_run,
        })
    return runs


def companies_due(now=None):
    """
    [(company, local day)] of the companies whose local time at `now` is past
    PROGRESS_EVALUATION_HOUR and that have no EvaluationRun for that local day. Two queries.
    """
    now = now or timezone.now()
    candidates = []
    for company in Company.objects.only("pk", "slug", "timezone", "plan"):
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

