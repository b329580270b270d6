"""
A bulk ending's webhook events — each engagement's ended (or completed) event and its progress
flip, for every endpoint listening — are written with two INSERTs whatever the number of
engagements, with the same rows one ending at a time writes; on both engines (this folder
also runs on SQLite).
"""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from engagements import actions
from engagements.models import Engagement
from notifications import webhooks
from notifications.models import WebhookDelivery, WebhookEndpoint, WebhookMessage
from tests import factories
from tracking.models import ProgressTransition

NOW = dt.datetime(2026, 4, 10, 12, tzinfo=dt.UTC)
Type = webhooks.Type

ENDINGS = {
    "complete": (lambda pks, by: actions.do_mark_many_complete(pks, by=by), Type.COMPLETED),
    "end_early": (lambda pks, by: actions.do_end_many_early(pks, by=by, reason="budget_change"),
                  Type.ENDED),
}


def _endpoint(company, types):
    endpoint = WebhookEndpoint(company=company, url="https://hooks.example.com/in",
                               secret=webhooks.new_secret())
    endpoint.event_types = types
    endpoint.save()
    return endpoint


def _webhook_inserts(captured):
    tables = (WebhookMessage._meta.db_table, WebhookDelivery._meta.db_table)
    return [q["sql"] for q in captured.captured_queries
            if q["sql"].startswith("INSERT") and any(f'"{t}"' in q["sql"] for t in tables)]


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("size", [2, 9])
@pytest.mark.parametrize("ending", ENDINGS, ids=list(ENDINGS))
def test_a_bulk_endings_webhook_events_take_two_inserts_whatever_their_number(
        ending, size, owner_company, location, global_admin, django_capture_on_commit_callbacks):
    end, ended_type = ENDINGS[ending]
    rows = factories.EngagementFactory.create_batch(
        size, company=owner_company, location=location, owner=global_admin)
    # Off track when they end: each ending is a flip to "not tracked" too.
    Engagement.objects.filter(pk__in=[e.pk for e in rows]).update(
        progress="off_track", off_track_since=NOW.date())
    everything = _endpoint(owner_company, [Type.ENDED, Type.COMPLETED, Type.PROGRESS_CHANGED])
    flips_only = _endpoint(owner_company, [Type.PROGRESS_CHANGED])

    with CaptureQueriesContext(connection) as captured, \
            django_capture_on_commit_callbacks() as callbacks:
        result = end([e.pk for e in rows], global_admin)

    assert len(result.ended) == size
    # One INSERT of the messages and one of their deliveries, for all the engagements.
    assert len(_webhook_inserts(captured)) == 2
    # SAVEPOINT, SELECT ... FOR UPDATE, UPDATE, 2 counts + 2 UPDATEs of sessions and calls,
    # SELECT of the ended rows, INSERT of audit events, billing (SAVEPOINT, company, days,
    # RELEASE), the endpoints' lookup, these two INSERTs, RELEASE — plus, per engagement, only
    # its evaluation (UPDATE, transition INSERT): 17 + 2n, where it was 15 + 4n.
    assert len(captured) == 17 + 2 * size
    # The sender is woken once, after commit.
    assert callbacks.count(webhooks.enqueue_delivery) == 1

    # The same rows one ending at a time writes: per engagement its ending's event (no data)
    # and its flip to "not tracked" (its transition), each with a pending delivery per
    # endpoint listening.
    flips = dict(ProgressTransition.objects.filter(cause="end").values_list(
        "engagement_id", "pk"))
    assert set(flips) == {e.pk for e in rows}
    messages = WebhookMessage.objects.all()
    assert sorted(messages.values_list("engagement_id", "type", "transition_id", "data")) == sorted(
        [(e.pk, str(ended_type), None, {}) for e in rows]
        + [(e.pk, str(Type.PROGRESS_CHANGED), flips[e.pk], {}) for e in rows])
    assert len({m.msg_id for m in messages}) == 2 * size
    deliveries = WebhookDelivery.objects.all()
    assert {(d.status, d.attempts) for d in deliveries} == {(WebhookDelivery.Status.PENDING, 0)}
    assert sorted(deliveries.values_list("message__type", "endpoint_id")) == sorted(
        [(str(ended_type), everything.pk)] * size
        + [(str(Type.PROGRESS_CHANGED), everything.pk)] * size
        + [(str(Type.PROGRESS_CHANGED), flips_only.pk)] * size)

    # And their payloads are composed as any ending's: its day and reason, its flip.
    ended = messages.get(engagement=rows[0], type=ended_type)
    body = webhooks.compose(ended)
    assert body["type"] == ended_type
    assert body["data"]["ended_on"] == "2026-04-10"
    flip = webhooks.compose(messages.get(engagement=rows[0], type=Type.PROGRESS_CHANGED))
    assert flip["data"]["to"] == "not_tracked"
    assert flip["data"]["cause"] == "end"
