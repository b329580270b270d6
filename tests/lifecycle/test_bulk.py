"""Ending several selected engagements at once, from the Engagements list's selection."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from engagements import actions
from engagements.models import AuditEvent, Engagement, Session
from notifications import webhooks
from notifications.models import WebhookDelivery, WebhookEndpoint, WebhookMessage
from tests import factories
from tracking.models import ProgressTransition

NOW = dt.datetime(2026, 4, 10, 12, tzinfo=dt.UTC)


@pytest.fixture
def london_rows(owner_company, location, global_admin):
    rows = factories.EngagementFactory.create_batch(
        3, company=owner_company, location=location, owner=global_admin)
    for row in rows:
        factories.SessionFactory(engagement=row,
                                 starts_at=dt.datetime(2026, 4, 21, 9, tzinfo=dt.UTC))
    return rows


@pytest.fixture
def leeds_row(owner_company, other_location, global_admin):
    return factories.EngagementFactory(company=owner_company, location=other_location,
                                       owner=global_admin)


def test_the_confirmation_lists_the_rows_and_says_what_will_be_left(
        london_rows, leeds_row, other_admin, location_admin, client_for, owner_company):
    ended = factories.EngagementFactory(company=owner_company, location=london_rows[0].location,
                                        ended_early=True)
    foreign = factories.EngagementFactory(company=other_admin.company)
    selection = [e.pk for e in london_rows] + [leeds_row.pk, ended.pk, foreign.pk]

    with time_machine.travel(NOW, tick=False):
        response = client_for(location_admin).post(
            reverse("engagements:bulk_action"), {"action": "end_early", "pk": selection})

    assert response.status_code == 200
    content = response.content.decode()
    assert "End early: 3 engagements" in content
    for row in london_rows:
        assert f'name="pk" value="{row.pk}"' in content
        assert str(row.coachee) in content
    for row in (leeds_row, ended, foreign):
        assert f'name="pk" value="{row.pk}"' not in content
    assert "1 selected engagement has already ended" in content
    assert "2 selected engagements are not yours to end or complete" in content
    assert content.count("Session on ") == 3  # each row's future session, to be cancelled
    assert not Engagement.objects.filter(status=Engagement.Status.ENDED_EARLY).exclude(
        pk=ended.pk).exists()


@time_machine.travel(NOW, tick=False)
def test_confirming_ends_only_the_rows_the_user_manages(
        london_rows, leeds_row, location_admin, client_for):
    selection = [e.pk for e in london_rows] + [leeds_row.pk]

    response = client_for(location_admin).post(reverse("engagements:bulk_action"), {
        "action": "end_early", "pk": selection, "confirm": "1", "reason": "budget_change",
    }, follow=True)

    content = response.content.decode()
    assert "3 engagements were ended early. 3 future scheduled events cancelled." in content
    assert "1 selected engagement is not yours to end or complete and was left as it was" \
        in content
    assert set(Engagement.objects.filter(status="ended_early").values_list("pk", flat=True)) \
        == {e.pk for e in london_rows}
    leeds_row.refresh_from_db()
    assert leeds_row.status == Engagement.Status.ACTIVE
    assert set(Engagement.objects.filter(pk__in=selection[:3]).values_list(
        "end_reason", "ended_by")) == {("budget_change", location_admin.pk)}
    assert Session.objects.filter(engagement__in=london_rows, status="cancelled").count() == 3
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ENDED_EARLY).count() == 3


@time_machine.travel(NOW, tick=False)
def test_bulk_end_early_needs_a_reason(london_rows, global_admin, client_for):
    response = client_for(global_admin).post(reverse("engagements:bulk_action"), {
        "action": "end_early", "pk": [e.pk for e in london_rows], "confirm": "1",
    })
    assert response.status_code == 200
    assert "Choose a reason for ending early." in response.content.decode()
    assert not Engagement.objects.filter(status="ended_early").exists()


@time_machine.travel(NOW, tick=False)
def test_bulk_mark_complete_stops_tracking_for_each(london_rows, global_admin, client_for):
    Engagement.objects.filter(pk__in=[e.pk for e in london_rows]).update(progress="off_track",
                                                                         off_track_since=NOW.date())
    client_for(global_admin).post(reverse("engagements:bulk_action"), {
        "action": "mark_complete", "pk": [e.pk for e in london_rows], "confirm": "1",
    })

    assert Engagement.objects.filter(status="completed", progress="not_tracked").count() == 3
    assert ProgressTransition.objects.filter(cause="end", to_status="not_tracked").count() == 3


@time_machine.travel(NOW, tick=False)
def test_bulk_ending_takes_a_fixed_number_of_queries(
        owner_company, location, global_admin, django_assert_max_num_queries):
    rows = factories.EngagementFactory.create_batch(
        10, company=owner_company, location=location, owner=global_admin)
    # 1 SAVEPOINT/BEGIN, 1 SELECT ... FOR UPDATE, 1 UPDATE, 2 counts + 2 UPDATEs of sessions
    # and calls, 1 SELECT of the ended rows, 1 bulk INSERT of audit events, the company's
    # webhook endpoints (once for all rows), RELEASE — plus, per engagement, the tracking
    # evaluation (events, conditional UPDATE, transition INSERT).
    with django_assert_max_num_queries(10 + 3 * len(rows)):
        result = actions.do_mark_many_complete([e.pk for e in rows], by=global_admin)
    assert len(result.ended) == 10


def _endpoint_lookups(captured):
    table = WebhookEndpoint._meta.db_table
    return [q["sql"] for q in captured.captured_queries
            if q["sql"].startswith("SELECT") and f'FROM "{table}"' in q["sql"]]


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("end", [
    lambda pks, by: actions.do_mark_many_complete(pks, by=by),
    lambda pks, by: actions.do_end_many_early(pks, by=by, reason="budget_change"),
], ids=["complete", "end_early"])
def test_bulk_ending_looks_the_webhook_endpoints_up_once_and_writes_each_rows_event(
        end, owner_company, location, global_admin, django_assert_max_num_queries):
    rows = factories.EngagementFactory.create_batch(
        10, company=owner_company, location=location, owner=global_admin)
    endpoint = WebhookEndpoint(company=owner_company, url="https://hooks.example.com/in",
                               secret=webhooks.new_secret())
    endpoint.event_types = ["engagement.ended", "engagement.completed"]
    endpoint.save()

    # As above, plus the events' two INSERTs (messages, deliveries) for all the engagements
    # (tests/hardening/test_bulk_ending_events.py pins them as the number of rows varies).
    with CaptureQueriesContext(connection) as captured, \
            django_assert_max_num_queries(12 + 3 * len(rows)):
        result = end([e.pk for e in rows], global_admin)

    assert len(result.ended) == 10
    assert len(_endpoint_lookups(captured)) == 1
    # Written in the ending's transaction: one event and one delivery per engagement.
    assert set(WebhookMessage.objects.values_list("engagement_id", flat=True)) == {
        e.pk for e in rows}
    assert WebhookDelivery.objects.filter(endpoint=endpoint).count() == 10


@pytest.mark.parametrize("data, message", [
    ({"action": "end_early"}, "Select at least one engagement."),
    ({"action": "explode", "pk": ["1"]}, "Choose an action."),
    ({"action": "mark_complete", "pk": ["x"]}, "The selection is not valid"),
])
def test_a_bad_selection_is_a_message_not_an_error(data, message, global_admin, client_for):
    response = client_for(global_admin).post(reverse("engagements:bulk_action"), data,
                                             follow=True)
    assert response.status_code == 200
    assert message in response.content.decode()


def test_bulk_is_post_only_and_for_administrators(engagement, coach, client_for):
    assert client_for(coach).get(reverse("engagements:bulk_action")).status_code == 405
    response = client_for(coach).post(reverse("engagements:bulk_action"), {
        "action": "mark_complete", "pk": [engagement.pk], "confirm": "1"})
    assert response.status_code == 403
    engagement.refresh_from_db()
    assert engagement.status == Engagement.Status.ACTIVE
