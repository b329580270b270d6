"""
What /healthz and `manage.py check_health` report: one JSON body, documented in
docs/operations.md ("Health").

    {"status": "ok" | "degraded" | "error",
     "database": "ok" | "error: <ExceptionClass>",
     "broker": "ok" | "error: <ExceptionClass>",           # only when REDIS_URL is set
     "late_evaluations": {...}, "stuck_outbox": {...}, "failed_nudges": {...},
     "stuck_webhooks": {...}, "failing_webhooks": {...},
     "failing_calendar_feeds": {...}, "unread_calendar_feeds": {...}}

The keys after "broker" are the findings of CHECKS, each present only when its check found
something (a healthy body is just status, database and broker), under the check's own name.
"error" (HTTP 503) only when the database does not answer: nothing works then. Everything
else is "degraded" (HTTP 200): pages keep working, so taking every web server out of the load
balancer would turn a background problem into an outage.
"""

import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.module_loading import import_string
from prometheus_client.core import GaugeMetricFamily

# Each is a function of `now` returning None when all is well, or a JSON-able finding (a dict
# with a "count", which the gauges read) reported under the function's name. The extension
# point: add "<app>.health.<check>" here, its key to docs/operations.md ("Health").
CHECKS = [
    "tracking.health.late_evaluations",
    "notifications.health.stuck_outbox",
    "notifications.health.failed_nudges",
    "notifications.health.stuck_webhooks",
    "notifications.health.failing_webhooks",
    "engagements.health.failing_calendar_feeds",
    "engagements.health.unread_calendar_feeds",
]


def _error(error):
    return f"error: {error.__class__.__name__}"


def check_database():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception as error:  # noqa: BLE001 - any failure means unhealthy
        return _error(error)


def check_broker():
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1).ping()
        return "ok"
    except Exception as error:  # noqa: BLE001
        return _error(error)


def report(now=None):
    """The health body (see the module docstring). Returns (body, http_status)."""
    now = now or timezone.now()
    body = {"status": "ok", "database": check_database()}
    if settings.REDIS_URL:
        body["broker"] = check_broker()
    if body["database"] != "ok":
        body["status"] = "error"
        return body, 503
    findings = {}
    for path in CHECKS:
        check = import_string(path) if isinstance(path, str) else path
        try:
            finding = check(now)
        except Exception as error:  # noqa: BLE001 - a failing check is itself a finding
            finding = _error(error)
        if finding is not None:
            findings[check.__name__] = finding
    if findings or body.get("broker", "ok") != "ok":
        body["status"] = "degraded"
    return {**body, **findings}, 200


def _count(finding):
    if finding is None:
        return 0
    return finding.get("count", 1) if isinstance(finding, dict) else 1


class HealthCollector:
    """
    The same checks as gauges, read at scrape time (optify/metrics.py):
    optify_health_problems{check} — companies late, nudges stuck or failed, webhook deliveries
    stuck, endpoints failing, calendars failing or unread (0 when fine; 1 when the check itself
    failed) — so that alert rules need not poll /healthz.
    """

    def collect(self):
        now = timezone.now()
        problems = GaugeMetricFamily(
            "optify_health_problems", "What each /healthz check finds now (a count; 0 is well).",
            labels=["check"])
        for path in CHECKS:
            check = import_string(path) if isinstance(path, str) else path
            try:
                finding = check(now)
            except Exception:  # noqa: BLE001 - reported as a problem, not a failed scrape
                finding = "error"
            problems.add_metric([check.__name__], _count(finding))
        return [problems]
