"""
Prometheus metrics (the prometheus-client library; django-prometheus requires Django < 6.1).

The series, documented with their panels and alerts in docs/operations.md ("Metrics"):

    optify_evaluation_runs_total{plan}                      daily runs committed
    optify_evaluation_duration_seconds{plan}                 their duration (histogram)
    optify_engagements_evaluated_total{plan, progress}       engagements the runs evaluated
    optify_progress_transitions_total{from_status, to_status, cause}
    optify_nudges_total{role, outcome}                       queued | sent | retried | failed
                                                             | cancelled
    optify_celery_task_failures_total{task}                  and ..._retries_total{task}
    optify_http_request_duration_seconds{view, method}       request latency (histogram)
    optify_outbox_due_nudges, optify_outbox_oldest_due_age_seconds
    optify_health_problems{check}    these read from the database at scrape time, by /metrics
                                     (notifications/health.py, optify/health.py)

Processes: gunicorn runs several workers and Celery's prefork pool several children, each with
its own counters. With PROMETHEUS_MULTIPROC_DIR set (before the process starts) every process
writes its values to files there and a scrape sums them (prometheus-client's multiprocess
mode): /metrics reads the directory of the web processes and of any worker on the same host
sharing it; a worker elsewhere (its own container) serves its own on WORKER_METRICS_PORT.

Counters move when the work they count has committed: a rolled-back run or a dry run counts
nothing.
"""

import logging
import time

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    start_http_server,
)
from prometheus_client.multiprocess import MultiProcessCollector

log = logging.getLogger("optify.metrics")

EVALUATION_RUNS = Counter(
    "optify_evaluation_runs", "Daily evaluation runs committed, per company plan.", ["plan"])
EVALUATION_DURATION = Histogram(
    "optify_evaluation_duration_seconds", "Duration of a company's daily evaluation run.",
    ["plan"], buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300))
ENGAGEMENTS_EVALUATED = Counter(
    "optify_engagements_evaluated", "Engagements evaluated by daily runs, by resulting progress.",
    ["plan", "progress"])
TRANSITIONS = Counter(
    "optify_progress_transitions", "Progress status changes recorded.",
    ["from_status", "to_status", "cause"])
NUDGES = Counter(
    "optify_nudges", "Nudges queued in the outbox, and the outcome of each sending attempt "
    "(retried: a provider error, to be tried again; failed: given up).", ["role", "outcome"])
TASK_FAILURES = Counter(
    "optify_celery_task_failures", "Celery tasks that ended in an exception.", ["task"])
TASK_RETRIES = Counter(
    "optify_celery_task_retries", "Celery tasks that were retried.", ["task"])
REQUEST_DURATION = Histogram(
    "optify_http_request_duration_seconds", "Request latency, by view.", ["view", "method"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))

# What sender.send_due_nudges counts a nudge's attempt as, named for the operator.
OUTCOMES = {"sent": "sent", "pending": "retried", "failed": "failed", "cancelled": "cancelled"}


# --- what the code calls ----------------------------------------------------------------------

def evaluation_runs_committed(runs):
    """
    The daily EvaluationRuns of one transaction (not a dry run; each with its `company`):
    counted once it has committed.
    """

    def count():
        for run in runs:
            plan = run.company.plan
            EVALUATION_RUNS.labels(plan).inc()
            EVALUATION_DURATION.labels(plan).observe((run.duration_ms or 0) / 1000)
            for progress in ("on_track", "off_track", "not_tracked"):
                ENGAGEMENTS_EVALUATED.labels(plan, progress).inc(getattr(run, progress))
        changed = [run.pk for run in runs if run.transitions_count]
        if changed:
            # One query, after the commit: the runs' statement counts transitions, not kinds.
            from tracking.models import ProgressTransition

            changes = (ProgressTransition.objects.filter(run_id__in=changed).order_by()
                       .values_list("from_status", "to_status", "cause").annotate(n=Count("pk")))
            for from_status, to_status, cause, n in changes:
                TRANSITIONS.labels(from_status, to_status, cause).inc(n)

    transaction.on_commit(count, robust=True)


def transition_recorded(transition):
    """One ProgressTransition written outside a daily run (evaluation at once)."""
    labels = (transition.from_status, transition.to_status, transition.cause)
    transaction.on_commit(lambda: TRANSITIONS.labels(*labels).inc(), robust=True)


def nudges_queued(roles):
    """The roles of the nudges an outbox build inserted, counted once they commit."""

    def count():
        for role in roles:
            NUDGES.labels(role, "queued").inc()

    transaction.on_commit(count, robust=True)


def nudge_attempted(role, status):
    """The status a sending attempt left a nudge in (sender.send_due_nudges)."""
    NUDGES.labels(role, OUTCOMES.get(status, status)).inc()


# --- Celery ---------------------------------------------------------------------------------

def on_task_failure(sender=None, **kwargs):
    TASK_FAILURES.labels(getattr(sender, "name", "unknown")).inc()


def on_task_retry(sender=None, **kwargs):
    TASK_RETRIES.labels(getattr(sender, "name", "unknown")).inc()


def serve_worker_metrics(port):
    """A worker's own /metrics on `port` (its main process; children write to the files)."""
    start_http_server(port, registry=registry())
    log.info("worker_metrics_serving", extra={"port": port})


# --- requests -------------------------------------------------------------------------------

class RequestLatencyMiddleware:
    """Times each request and labels it with its URL pattern's name (bounded cardinality)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = match.view_name if match else "unresolved"
        REQUEST_DURATION.labels(view, request.method).observe(time.perf_counter() - started)
        return response


# --- exposition -----------------------------------------------------------------------------

class _ProcessRegistry:
    """This process's own metrics, when not in multiprocess mode."""

    def collect(self):
        return REGISTRY.collect()


def registry(*collectors):
    """Every process's metrics (see the module docstring), and `collectors` read at scrape."""
    collected = CollectorRegistry(auto_describe=False)
    if settings.PROMETHEUS_MULTIPROC_DIR:
        MultiProcessCollector(collected, path=settings.PROMETHEUS_MULTIPROC_DIR)
    else:
        collected.register(_ProcessRegistry())
    for collector in collectors:
        collected.register(collector)
    return collected


CONTENT_TYPE = CONTENT_TYPE_LATEST


def exposition(*collectors):
    """The text format of `registry(*collectors)`."""
    return generate_latest(registry(*collectors))
