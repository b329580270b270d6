"""
Webhooks: a company's endpoints get its engagements' events, signed per Standard Webhooks
(https://www.standardwebhooks.com: `webhook-id`, `webhook-timestamp`, `webhook-signature`).

The outbox. Events are written as `WebhookMessage` rows, with one `WebhookDelivery` per
endpoint listening, IN THE TRANSACTION OF THE CHANGE, so an event exists exactly when its
change committed:
  - the actions (engagements/actions.py) send `engagement_changed` inside their transaction;
    `on_engagement_changed` writes the events of that change (at most a few rows; those of
    an action changing many engagements at once, a bulk ending, in two INSERTs for all);
  - the daily evaluation sends `evaluation_committing` inside its transaction;
    `on_evaluation_committing` writes the events of all the runs' transitions with two
    INSERT ... SELECT statements, whatever their number, as the nudges' outbox does.
A company with no endpoint listening to a type gets no row for it.

Delivery (`deliver_due`, Celery: notifications.deliver_webhooks, enqueued after commit and
every minute by beat) is AT-LEAST-ONCE, like the nudges: a delivery is claimed ("sending",
SKIP LOCKED, committed) before the POST and its outcome recorded after, conditional on the
claim. Two workers never POST the same delivery; a delivered one is never sent again (its
status is final) — exactly one delivery per event id and endpoint, except when a worker dies
between the receiver's answer and our UPDATE: the lease (`LEASE`) runs out and it is sent
again with the same `webhook-id`, which receivers de-duplicate on (the specification says so).

Failures (no answer, or any status but 2xx) are retried with exponential backoff: 30 s, 1, 2,
4 ... minutes, capped at 6 hours, `MAX_ATTEMPTS` in all (about four days). An endpoint whose
deliveries have failed without one success for `FAILING_DAYS` days is disabled, its
remaining deliveries marked failed, and the company's global administrators are emailed.
Re-enabling it and "resend" put deliveries back in the queue.
"""

import base64
import datetime as dt
import json
import logging
import secrets

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from standardwebhooks import Webhook

from accounts.models import User
from engagements.models import AuditEvent, Pause, Progress
from engagements.reasons import progress_reason
from notifications.emails import send_email
from notifications.models import (
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEventType,
    WebhookMessage,
)
from notifications.outbox import runs_step
from optify.outbound import OutboundError, OutboundRefused, fetch
from optify.sql import rowcount
from tracking.models import ProgressTransition

logger = logging.getLogger("notifications.webhooks")

Type = WebhookEventType
Action = AuditEvent.Action

MAX_ATTEMPTS = 25
BACKOFF_BASE = dt.timedelta(seconds=30)
BACKOFF_MAX = dt.timedelta(hours=6)
LEASE = dt.timedelta(minutes=5)
FAILING_DAYS = 3
TIMEOUT = 10.0

# What an action of engagements/actions.py means for webhooks (besides its progress flip).
ACTION_TYPES = {
    Action.SESSION_SCHEDULED: Type.SESSION_SCHEDULED,
    Action.SESSION_MOVED: Type.SESSION_MOVED,
    Action.SESSION_CANCELLED: Type.SESSION_CANCELLED,
    Action.SESSION_COMPLETED: Type.SESSION_COMPLETED,
    Action.ENDED_EARLY: Type.ENDED,
    Action.COMPLETED: Type.COMPLETED,
}


def new_secret():
    """A Standard Webhooks secret: "whsec_" and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def new_msg_id():
    return "msg_" + secrets.token_hex(16)


def backoff(attempts):
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


def transition_types(from_status, to_status):
    """The events a progress flip is: always progress_changed; pauses start and end too."""
    types = [Type.PROGRESS_CHANGED]
    if to_status == Progress.PAUSED:
        types.append(Type.PAUSED)
    elif from_status == Progress.PAUSED:
        types.append(Type.RESUMED)
    return types


# ---------------------------------------------------------------------------------------------
# The outbox, written in the change's transaction


def enqueue_delivery():
    from notifications.tasks import enqueue_webhooks

    enqueue_webhooks()


def listening_endpoints(company_id, batch=None):
    """
    The company's enabled endpoints (one query). With `batch` — the `Batch` an action changing
    many engagements at once passes to each of its `engagement_changed` sends — looked up once
    per company for the whole action: no endpoint changes inside its transaction.
    """
    key = ("webhooks.endpoints", company_id)
    if batch is not None and key in batch:
        return batch[key]
    endpoints = list(WebhookEndpoint.objects.filter(company_id=company_id, is_enabled=True)
                     .only("pk", "events"))
    if batch is not None:
        batch[key] = endpoints
    return endpoints


def record_events(company_id, events, batch=None):
    """
    Writes `events` — [(type, {engagement, transition, session, data})] — for the company's
    endpoints listening to them, in the caller's transaction; wakes the sender after commit.
    Two or three queries (the first, the endpoints' lookup, once per `batch`); none but the
    first when nobody listens. With a `batch`, the rows are written when the action closes
    it, with those of its other sends: two INSERTs for all of them (a bulk ending's events),
    not two per engagement. Returns the messages (saved once written).
    """
    if not events:
        return []
    endpoints = listening_endpoints(company_id, batch)
    messages, deliveries = [], []
    for event_type, fields in events:
        listening = [e for e in endpoints if e.listens_to(event_type)]
        if not listening:
            continue
        message = WebhookMessage(msg_id=new_msg_id(), company_id=company_id, type=event_type,
                                 occurred_at=timezone.now(), **fields)
        messages.append(message)
        deliveries.append((message, listening))
    if not messages:
        return []
    if batch is None:
        _write_events(messages, deliveries)
        return messages
    key = "webhooks.events"
    pending_messages, pending_deliveries = batch.setdefault(key, ([], []))
    pending_messages.extend(messages)
    pending_deliveries.extend(deliveries)
    batch.defer(key, lambda: _write_events(*batch.pop(key)))
    return messages


def _write_events(messages, deliveries):
    WebhookMessage.objects.bulk_create(messages)
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(message=message, endpoint=endpoint, next_attempt_at=timezone.now())
        for message, listening in deliveries for endpoint in listening)
    transaction.on_commit(enqueue_delivery)


def on_engagement_changed(sender, action, engagement, transition=None, changes=None,
                          event=None, batch=None, **kwargs):
    """Receiver of engagements' `engagement_changed`, inside the action's transaction."""
    events = []
    if transition is not None:
        for event_type in transition_types(transition.from_status, transition.to_status):
            events.append((event_type, {"engagement": engagement, "transition": transition}))
    event_type = ACTION_TYPES.get(action)
    if event_type is not None:
        fields = {"engagement": engagement, "data": dict(changes or {})}
        if event_type.startswith("session."):
            if event is None:
                return record_events(engagement.company_id, events, batch)
            fields["session"] = event
        events.append((event_type, fields))
    return record_events(engagement.company_id, events, batch)


# The daily runs' flips, for the endpoints listening: two statements whatever their number
# and the number of runs (the day's companies, `runs` as notifications.outbox.runs_step makes it).
_INSERT_MESSAGES_SQL = """
WITH runs (run_id, company_id, day) AS ({runs})
INSERT INTO {message} (msg_id, company_id, type, engagement_id, transition_id, data,
                       occurred_at)
SELECT {msg_id}, x.company_id, x.type, x.engagement_id, x.id, %(empty)s, %(now)s
  FROM (SELECT t.id, t.company_id, t.engagement_id, %(progress_changed)s AS type
          FROM {transition} t WHERE t.run_id IN (SELECT run_id FROM runs)
        UNION ALL
        SELECT t.id, t.company_id, t.engagement_id, %(paused)s
          FROM {transition} t
         WHERE t.run_id IN (SELECT run_id FROM runs) AND t.to_status = %(status_paused)s
        UNION ALL
        SELECT t.id, t.company_id, t.engagement_id, %(resumed)s
          FROM {transition} t
         WHERE t.run_id IN (SELECT run_id FROM runs) AND t.from_status = %(status_paused)s
       ) x
 WHERE EXISTS (SELECT 1 FROM {endpoint} ep
                WHERE ep.company_id = x.company_id AND ep.is_enabled
                  AND ep.events LIKE '%%,' || x.type || ',%%')
"""

_INSERT_DELIVERIES_SQL = """
WITH runs (run_id, company_id, day) AS ({runs})
INSERT INTO {delivery} (message_id, endpoint_id, status, attempts, next_attempt_at, last_error,
                        created_at)
SELECT m.id, ep.id, %(pending)s, 0, %(now)s, '', %(now)s
  FROM {message} m
  JOIN {transition} t ON t.id = m.transition_id
  JOIN {endpoint} ep ON ep.company_id = m.company_id AND ep.is_enabled
                    AND ep.events LIKE '%%,' || m.type || ',%%'
 WHERE t.run_id IN (SELECT run_id FROM runs)
ON CONFLICT (message_id, endpoint_id) DO NOTHING
"""


def _msg_id_sql():
    if connection.vendor == "postgresql":
        return "'msg_' || md5(random()::text || clock_timestamp()::text || x.id::text || x.type)"
    return "'msg_' || lower(hex(randomblob(16)))"


def build_outbox_for_runs(runs):
    """
    The events of the daily `runs`' transitions, in their transaction: two statements,
    whatever the number of runs. Returns how many.
    """
    runs = [run for run in runs if run.transitions_count]
    if not runs:
        return 0
    runs_sql, params = runs_step([(run.pk, run.company_id, run.day) for run in runs])
    tables = {
        "message": WebhookMessage._meta.db_table,
        "delivery": WebhookDelivery._meta.db_table,
        "endpoint": WebhookEndpoint._meta.db_table,
        "transition": ProgressTransition._meta.db_table,
        "msg_id": _msg_id_sql(),
        "runs": runs_sql,
    }
    params |= {
        # As the ORM would store it: SQLite compares datetimes as text, in Django's format.
        "now": connection.ops.adapt_datetimefield_value(timezone.now()),
        "empty": "{}",
        "progress_changed": str(Type.PROGRESS_CHANGED), "paused": str(Type.PAUSED),
        "resumed": str(Type.RESUMED), "status_paused": str(Progress.PAUSED),
        "pending": str(WebhookDelivery.Status.PENDING),
    }
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_MESSAGES_SQL.format(**tables), params)
        created = rowcount(cursor)
        if created:
            cursor.execute(_INSERT_DELIVERIES_SQL.format(**tables), params)
    if created:
        transaction.on_commit(enqueue_delivery)
    return created


def on_evaluation_committing(sender, runs, **kwargs):
    """Receiver of tracking's `evaluation_committing`, inside the daily run's transaction."""
    build_outbox_for_runs(runs)


# ---------------------------------------------------------------------------------------------
# Payloads


def _person(user):
    if user is None:
        return None
    return {"id": user.pk, "name": user.full_name, "email": user.email}


def _engagement(engagement):
    return {
        "id": engagement.pk,
        "url": settings.SITE_URL + reverse("engagements:detail", args=[engagement.pk]),
        "company": engagement.company.slug,
        "kind": engagement.kind,
        "status": engagement.status,
        "progress": engagement.progress,
        "off_track_since": _iso(engagement.off_track_since),
        "coachee": _person(engagement.coachee),
        "coach": _person(engagement.coach),
        "template": engagement.template.name,
    }


def _iso(value):
    return value.isoformat() if value else None


def _session(session):
    return {
        "id": session.pk,
        "starts_at": session.starts_at.isoformat(),
        "duration_minutes": session.duration_minutes,
        "status": session.status,
        "from_calendar": bool(getattr(session, "calendar_uid", "")),
    }


def compose(message):
    """
    The body of `message`, as Standard Webhooks suggests: {"type", "timestamp", "data"}. The
    engagement is read as it is now (its reason is rule 10's, from stored fields); the flip's
    own from, to and day come from its transition row, which never changes.
    """
    data = {}
    engagement = message.engagement
    if engagement is not None:
        data["engagement"] = _engagement(engagement)
    if message.type in (Type.PROGRESS_CHANGED, Type.PAUSED, Type.RESUMED):
        transition = message.transition
        if transition is not None:
            data.update({"from": transition.from_status, "to": transition.to_status,
                         "day": transition.day.isoformat(), "cause": transition.cause})
        if engagement is not None:
            data["reason"] = str(progress_reason(engagement))
        if message.type == Type.PAUSED and engagement is not None and transition is not None:
            pause = (Pause.objects.filter(engagement=engagement, status=Pause.Status.APPROVED,
                                          starts_on__lte=transition.day,
                                          ends_on__gte=transition.day).first())
            if pause is not None:
                data["pause"] = {"starts_on": pause.starts_on.isoformat(),
                                 "ends_on": pause.ends_on.isoformat(), "reason": pause.reason}
    elif message.type in (Type.ENDED, Type.COMPLETED) and engagement is not None:
        data.update({"ended_on": _iso(engagement.ended_on),
                     "reason": engagement.end_reason or None})
    elif message.type.startswith("session."):
        if message.session is not None:
            data["session"] = _session(message.session)
        changes = message.data or {}
        if message.type == Type.SESSION_MOVED:
            data.update({"from": changes.get("from"), "to": changes.get("to")})
        if message.type == Type.SESSION_CANCELLED:
            data["reason"] = changes.get("reason", "")
    elif message.type == Type.TEST:
        data = dict(message.data or {})
    return {"type": message.type, "timestamp": message.occurred_at.isoformat(), "data": data}


def payload_of(message):
    """The frozen body of `message`: composed at its first delivery, then always the same."""
    if message.payload is None:
        payload = compose(message)
        # Conditional: two endpoints' first deliveries at once keep one body.
        WebhookMessage.objects.filter(pk=message.pk, payload__isnull=True).update(
            payload=payload)
        message.payload = (WebhookMessage.objects.filter(pk=message.pk)
                           .values_list("payload", flat=True).get())
    return message.payload


def signed_headers(endpoint, msg_id, body, when):
    signature = Webhook(endpoint.secret).sign(msg_id, when, body)
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": signature,
    }


# ---------------------------------------------------------------------------------------------
# Delivery


def claim_due(limit=50, now=None):
    now = now or timezone.now()
    due = (Q(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now)
           | Q(status=WebhookDelivery.Status.SENDING, claimed_at__lt=now - LEASE))
    with transaction.atomic():
        ids = list(WebhookDelivery.objects.select_for_update(skip_locked=True)
                   .filter(due, endpoint__is_enabled=True)
                   .order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
        if ids:
            WebhookDelivery.objects.filter(pk__in=ids).update(
                status=WebhookDelivery.Status.SENDING, claimed_at=now,
                attempts=F("attempts") + 1)
    return ids


def _record(delivery, **fields):
    # Conditional on our claim, like the nudges' sender (sender._record).
    return WebhookDelivery.objects.filter(
        pk=delivery.pk, status=WebhookDelivery.Status.SENDING, claimed_at=delivery.claimed_at,
    ).update(**fields)


def deliver(delivery):
    """POSTs one claimed delivery and records the outcome. Returns its new status."""
    endpoint = delivery.endpoint
    message = delivery.message
    body = json.dumps(payload_of(message), separators=(",", ":"), sort_keys=True)
    now = timezone.now()
    headers = signed_headers(endpoint, message.msg_id, body, now)
    code, error = None, ""
    try:
        response = fetch("POST", endpoint.url, headers=headers, content=body.encode(),
                         timeout=TIMEOUT, max_bytes=64 * 1024, follow_redirects=False)
        code = response.status_code
        if not response.ok:
            error = f"HTTP {code}: {response.content[:200].decode('utf-8', 'replace')}"
    except (OutboundRefused, OutboundError) as failure:
        error = f"{type(failure).__name__}: {failure}"
    if not error:
        _record(delivery, status=WebhookDelivery.Status.DELIVERED, delivered_at=now,
                response_code=code, last_error="")
        WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=False).update(
            failing_since=None)
        logger.info("webhook_delivered", extra={
            "delivery": delivery.pk, "endpoint": endpoint.pk, "type": message.type,
            "attempt": delivery.attempts, "code": code})
        return WebhookDelivery.Status.DELIVERED
    failed = delivery.attempts >= MAX_ATTEMPTS
    status = WebhookDelivery.Status.FAILED if failed else WebhookDelivery.Status.PENDING
    _record(delivery, status=status, response_code=code, last_error=error[:2000],
            next_attempt_at=now + backoff(delivery.attempts))
    logger.warning("webhook_attempt_failed", extra={
        "delivery": delivery.pk, "endpoint": endpoint.pk, "type": message.type,
        "attempt": delivery.attempts, "code": code, "status": status})
    _note_failure(endpoint, now)
    return status


def _note_failure(endpoint, now):
    """Failing since when; failing for FAILING_DAYS: disabled, and its administrators told."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(
        failing_since=now)
    since = WebhookEndpoint.objects.filter(pk=endpoint.pk).values_list(
        "failing_since", flat=True).first()
    if since is None or now - since < dt.timedelta(days=FAILING_DAYS):
        return
    reason = f"Failing since {since:%Y-%m-%d %H:%M} UTC, for {FAILING_DAYS} days"
    with transaction.atomic():
        # The conditional UPDATE's winner alone disables it and tells the administrators.
        if not WebhookEndpoint.objects.filter(pk=endpoint.pk, is_enabled=True).update(
                is_enabled=False, disabled_at=now, disabled_reason=reason):
            return
        WebhookDelivery.objects.filter(
            endpoint_id=endpoint.pk, status=WebhookDelivery.Status.PENDING,
        ).update(status=WebhookDelivery.Status.FAILED)
        transaction.on_commit(lambda: _email_disabled(endpoint.pk))
    logger.warning("webhook_endpoint_disabled", extra={"endpoint": endpoint.pk})


def _email_disabled(endpoint_pk):
    endpoint = WebhookEndpoint.objects.select_related("company").get(pk=endpoint_pk)
    admins = User.objects.filter(company_id=endpoint.company_id, is_global_admin=True,
                                 status__in=[User.Status.ACTIVE, User.Status.INVITED]
                                 ).select_related("company")
    url = settings.SITE_URL + reverse("notifications:webhook", args=[endpoint.pk])
    for admin in admins:
        try:
            send_email("webhook-disabled", to=admin.email, context={
                "recipient": admin, "endpoint": endpoint, "endpoint_url": url,
                "days": FAILING_DAYS})
        except Exception:  # one bad address must not keep the others from knowing
            logger.exception("webhook_disabled_email_failed", extra={"user": admin.pk})


def deliver_due(batch_size=50):
    """Delivers everything due now. Returns {status: count}."""
    counts = {}
    while ids := claim_due(limit=batch_size):
        deliveries = (WebhookDelivery.objects.filter(pk__in=ids)
                      .select_related("endpoint", "message__engagement__company",
                                      "message__engagement__coachee",
                                      "message__engagement__coach",
                                      "message__engagement__template",
                                      "message__transition", "message__session"))
        for delivery in deliveries.order_by("pk"):
            try:
                status = deliver(delivery)
            except Exception as error:
                logger.exception("webhook_error", extra={"delivery": delivery.pk})
                _record(delivery, status=WebhookDelivery.Status.PENDING,
                        last_error=f"{type(error).__name__}: {error}"[:2000],
                        next_attempt_at=timezone.now() + backoff(delivery.attempts))
                status = WebhookDelivery.Status.PENDING
            counts[status] = counts.get(status, 0) + 1
    return counts


# ---------------------------------------------------------------------------------------------
# What an administrator does on the endpoint's page


def send_test_event(endpoint, by):
    """A `webhook.test` event for this endpoint only (whatever types it listens to)."""
    with transaction.atomic():
        message = WebhookMessage.objects.create(
            msg_id=new_msg_id(), company_id=endpoint.company_id, type=Type.TEST,
            occurred_at=timezone.now(),
            data={"endpoint": endpoint.pk, "sent_by": by.email,
                  "message": "This is a test event from Optify."})
        delivery = WebhookDelivery.objects.create(message=message, endpoint=endpoint,
                                                  next_attempt_at=timezone.now())
        transaction.on_commit(enqueue_delivery)
    return delivery


def resend(delivery):
    """The same event (same webhook-id and body) again, with fresh attempts."""
    return WebhookDelivery.objects.filter(pk=delivery.pk).exclude(
        status=WebhookDelivery.Status.SENDING).update(
        status=WebhookDelivery.Status.PENDING, attempts=0, next_attempt_at=timezone.now(),
        last_error="", delivered_at=None)


def enable(endpoint):
    """Re-enable a disabled endpoint: its failed deliveries of the last days are retried."""
    with transaction.atomic():
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            is_enabled=True, disabled_at=None, disabled_reason="", failing_since=None)
        WebhookDelivery.objects.filter(
            endpoint_id=endpoint.pk, status=WebhookDelivery.Status.FAILED,
            created_at__gte=timezone.now() - dt.timedelta(days=FAILING_DAYS + 1),
        ).update(status=WebhookDelivery.Status.PENDING, attempts=0,
                 next_attempt_at=timezone.now())
        transaction.on_commit(enqueue_delivery)
