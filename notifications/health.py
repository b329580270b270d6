"""
The outbox watched from outside: nudges due but not sent (no sender is draining it) and nudges
given up on; webhook deliveries due but not sent, and webhook endpoints that keep failing.
Reported by /healthz and `manage.py check_health` (optify/health.py); the nudges' backlog is
also a metric (optify/metrics.py), and every check a gauge.
"""

import datetime as dt

from django.db.models import Count, Min, Q
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from notifications import webhooks
from notifications.models import Nudge, WebhookDelivery, WebhookEndpoint
from notifications.sender import LEASE

STUCK_AFTER = dt.timedelta(minutes=30)
FAILED_WITHIN = dt.timedelta(days=1)
LISTED = 20
# A receiver that is down for a deploy is retried within minutes; an hour without one success
# is worth a look (its administrators are told only when it is disabled, after 3 days).
WEBHOOK_FAILING_AFTER = dt.timedelta(hours=1)


def outbox_backlog(now, older_than=dt.timedelta(0)):
    """
    (count, oldest due moment or None) of the nudges that have been due for longer than
    `older_than` and are not sent: pending rows past their next attempt, and rows "sending"
    whose lease ran out (their sender died; they are due again from then). A row waiting for
    its backoff after a provider error is not due yet. One query, on the partial index
    `nudge_due`.
    """
    cutoff = now - older_than
    pending = Q(status=Nudge.Status.PENDING, next_attempt_at__lte=cutoff)
    orphaned = Q(status=Nudge.Status.SENDING, claimed_at__lte=cutoff - LEASE)
    row = Nudge.objects.filter(pending | orphaned).aggregate(
        count=Count("pk"),
        oldest_pending=Min("next_attempt_at", filter=Q(status=Nudge.Status.PENDING)),
        oldest_claim=Min("claimed_at", filter=Q(status=Nudge.Status.SENDING)),
    )
    candidates = [row["oldest_pending"]]
    if row["oldest_claim"] is not None:
        candidates.append(row["oldest_claim"] + LEASE)
    oldest = min((moment for moment in candidates if moment is not None), default=None)
    return row["count"], oldest


def stuck_outbox(now):
    """None, or {"count", "oldest_due_at", "oldest_minutes"} of nudges due for over 30 min."""
    count, oldest = outbox_backlog(now, older_than=STUCK_AFTER)
    if not count:
        return None
    return {
        "count": count,
        "oldest_due_at": oldest.astimezone(dt.UTC).isoformat(),
        "oldest_minutes": int((now - oldest).total_seconds() // 60),
    }


def failed_nudges(now):
    """
    None, or {"count", "companies"} of the nudges given up on in the last day. A failed row's
    last attempt was claimed just before it was marked failed, so `claimed_at` dates it.
    """
    failed = Nudge.objects.filter(status=Nudge.Status.FAILED, claimed_at__gte=now - FAILED_WITHIN)
    count = failed.count()
    if not count:
        return None
    companies = (failed.order_by("company__slug").values_list("company__slug", flat=True)
                 .distinct())
    return {"count": count, "companies": list(companies[:LISTED])}


def stuck_webhooks(now):
    """
    None, or {"count", "oldest_due_at", "oldest_minutes"} of webhook deliveries to enabled
    endpoints due for over 30 minutes and not sent: pending past their next attempt, or
    claimed by a worker that died (due again when their lease ran out). Our side, not the
    receivers': nobody is delivering. One query, on the partial index `webhook_delivery_due`.
    """
    cutoff = now - STUCK_AFTER
    Status = WebhookDelivery.Status
    pending = Q(status=Status.PENDING, next_attempt_at__lte=cutoff)
    orphaned = Q(status=Status.SENDING, claimed_at__lte=cutoff - webhooks.LEASE)
    row = WebhookDelivery.objects.filter(pending | orphaned, endpoint__is_enabled=True).aggregate(
        count=Count("pk"),
        oldest_pending=Min("next_attempt_at", filter=Q(status=Status.PENDING)),
        oldest_claim=Min("claimed_at", filter=Q(status=Status.SENDING)),
    )
    if not row["count"]:
        return None
    candidates = [row["oldest_pending"]]
    if row["oldest_claim"] is not None:
        candidates.append(row["oldest_claim"] + webhooks.LEASE)
    oldest = min(moment for moment in candidates if moment is not None)
    return {
        "count": row["count"],
        "oldest_due_at": oldest.astimezone(dt.UTC).isoformat(),
        "oldest_minutes": int((now - oldest).total_seconds() // 60),
    }


def failing_webhooks(now):
    """
    None, or {"count", "failing", "disabled", "companies"}: endpoints whose deliveries have
    failed without a success for over an hour (still retried), and endpoints disabled in the
    last day after failing for 3 days; up to 20 companies' slugs. The receivers' side: the
    companies' administrators fix them, but many at once points at our outbound network.
    """
    failing = Q(is_enabled=True, failing_since__lte=now - WEBHOOK_FAILING_AFTER)
    disabled = Q(is_enabled=False, disabled_at__gte=now - FAILED_WITHIN)
    endpoints = WebhookEndpoint.objects.filter(failing | disabled)
    row = endpoints.aggregate(failing=Count("pk", filter=failing),
                              disabled=Count("pk", filter=disabled))
    if not (row["failing"] or row["disabled"]):
        return None
    companies = (endpoints.order_by("company__slug").values_list("company__slug", flat=True)
                 .distinct())
    return {"count": row["failing"] + row["disabled"], **row,
            "companies": list(companies[:LISTED])}


class OutboxCollector:
    """Prometheus gauges read at scrape time (optify/metrics.py): how far behind the sender is."""

    def collect(self):
        now = timezone.now()
        count, oldest = outbox_backlog(now)
        due = GaugeMetricFamily(
            "optify_outbox_due_nudges", "Nudges due and not sent (pending past their next "
            "attempt, or orphaned by a sender that died).")
        due.add_metric([], count)
        age = GaugeMetricFamily(
            "optify_outbox_oldest_due_age_seconds",
            "How long the oldest unsent due nudge has been due (0 when none is).")
        age.add_metric([], (now - oldest).total_seconds() if oldest else 0)
        return [due, age]
