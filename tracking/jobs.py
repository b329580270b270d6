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
the companies whose lock (one per bucket of company ids) it can take and leaves the others to
whoever holds them.
"""

import logging
import time

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Company
from optify import metrics
from optify.sql import pg_array
from tracking.evaluation import (
    Cause,
    Counts,
    evaluate_due_recording_runs,
    evaluate_many_by_company,
)
from tracking.models import EvaluationRun
from tracking.signals import evaluation_committing

log = logging.getLogger("tracking.daily")

# Keys of pg_try_advisory_xact_lock(int, int): this namespace, and the company's bucket (its id
# modulo LOCK_BUCKETS). Bounded: a lock per company would hold one lock per company due in one
# transaction, and PostgreSQL's shared lock table has room for max_locks_per_transaction (64) x
# max_connections for the whole server; a few thousand companies due at the same hour would
# fill it ("out of shared memory"). Two companies of a bucket are held together: one that
# another worker holds is left to the next attempt, as before.
LOCK_NAMESPACE = 0x0F71
LOCK_BUCKETS = 256
RUN_COUNTS = ("evaluated", "on_track", "off_track", "paused", "not_tracked",
              "transitions_count", "finished_at", "duration_ms")


def _lock(due):
    """
    Of `due` [(company, day)], the company ids whose advisory lock this transaction took, and
    the (company id, day) among them already done: one query, at most LOCK_BUCKETS locks.
    """
    days = {company.pk: day for company, day in due}
    if connection.vendor != "postgresql":  # the embedded SQLite default: one process
        done = set(EvaluationRun.objects.filter(
            company_id__in=days, day__in=set(days.values())).values_list("company_id", "day"))
        return set(days), done
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH c (id, day) AS (
                SELECT * FROM unnest(CAST(%(ids)s AS bigint[]), CAST(%(days)s AS date[]))
            ), locked AS MATERIALIZED (
                SELECT b.bucket FROM (SELECT DISTINCT id %% %(buckets)s AS bucket FROM c) b
                WHERE pg_try_advisory_xact_lock(%(namespace)s, b.bucket::int)
            )
            SELECT c.id, EXISTS (SELECT 1 FROM {EvaluationRun._meta.db_table} r
                                  WHERE r.company_id = c.id AND r.day = c.day)
            FROM c JOIN locked l ON l.bucket = c.id %% %(buckets)s
            """,
            {"ids": pg_array(days), "days": pg_array(days.values()),
             "buckets": LOCK_BUCKETS, "namespace": LOCK_NAMESPACE},
        )
        rows = cursor.fetchall()
    return {pk for pk, _ in rows}, {(pk, days[pk]) for pk, done in rows if done}


def _evaluate_one_by_one(todo, now, started):
    """The embedded SQLite default (a demo's few rows): runs saved, then filled in."""
    runs = EvaluationRun.objects.bulk_create(
        [EvaluationRun(company=company, day=day, started_at=now) for company, day in todo])
    for run in runs:
        counts = evaluate_many_by_company({run.company_id: run.day}, cause=Cause.DAILY,
                                          only_due=True, run=run).get(run.company_id, Counts())
        run.evaluated, run.transitions_count = counts.evaluated, counts.transitions
        run.on_track, run.off_track = counts.on_track, counts.off_track
        run.paused, run.not_tracked = counts.paused, counts.not_tracked
        run.finished_at = timezone.now()
        run.duration_ms = round((time.monotonic() - started) * 1000)
    EvaluationRun.objects.bulk_update(runs, RUN_COUNTS)
    return runs


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

    Queries: the advisory locks and the runs already done; the evaluation's settings; the
    evaluation statement, which also records the runs with their counts: three, however many
    companies and rows are due.
    """
    started = time.monotonic()
    due = list(due)
    runs = []
    with transaction.atomic():
        locked, done = _lock(due)
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
        if connection.vendor == "postgresql":
            runs = evaluate_due_recording_runs({c.pk: day for c, day in todo}, started_at=now)
        else:
            runs = _evaluate_one_by_one(todo, now, started)
        companies = {company.pk: company for company, _ in todo}
        order = {company.pk: n for n, (company, _) in enumerate(todo)}
        runs.sort(key=lambda run: order[run.company_id])
        for run in runs:
            run.company = companies[run.company_id]
        if dry_run:
            transaction.set_rollback(True)
        else:
            # Once for all the runs: what the receivers write (the nudges' outbox, webhooks'
            # events) costs a fixed number of statements, whatever the number of companies.
            evaluation_committing.send(sender=EvaluationRun, runs=runs)
            metrics.evaluation_runs_committed(runs)
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

