"""
Webhooks: events written in the transaction of the change (an action, the daily run), signed
per Standard Webhooks, delivered to a real local HTTP server with retries and backoff, once
per event id; SSRF refusal; endpoints disabled after 3 days of failures; the pages.
"""

import datetime as dt
import json

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from standardwebhooks import Webhook

from engagements import actions
from engagements.models import Engagement
from notifications import webhooks
from notifications.models import WebhookDelivery, WebhookEndpoint, WebhookMessage
from tests import factories
from tests.notifications.conftest import DAY, MORNING
from tests.support.http import LocalServer
from tracking.evaluation import Cause, evaluate_engagement
from tracking.jobs import run_daily_evaluation

ALL = [t for t, _ in webhooks.Type.choices if t != webhooks.Type.TEST]


@pytest.fixture(autouse=True)
def _loopback(settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True


@pytest.fixture
def server():
    with LocalServer() as running:
        running.answer("/hook", 200)
        yield running


def endpoint_for(company, url, types=ALL):
    endpoint = WebhookEndpoint(company=company, url=url, secret=webhooks.new_secret())
    endpoint.event_types = types
    endpoint.save()
    return endpoint


def launched(company, **kwargs):
    engagement = factories.EngagementFactory(company=company, started_on=dt.date(2026, 3, 2),
                                             **kwargs)
    engagement = Engagement.objects.select_related("company").get(pk=engagement.pk)
    evaluate_engagement(engagement, cause=Cause.LAUNCH, today=dt.date(2026, 3, 2))
    return engagement


def verified(endpoint, request):
    """The payload, once the standardwebhooks verifier accepts the request's signature."""
    return Webhook(endpoint.secret).verify(request.body, request.headers)


@pytest.fixture
def frozen():
    with time_machine.travel(MORNING, tick=False) as traveller:
        yield traveller


@pytest.mark.usefixtures("frozen")
def test_the_daily_run_writes_progress_changed_in_its_transaction_and_it_is_delivered_signed(
        owner_company, location, global_admin, server):
    engagement = launched(owner_company, location=location, owner=global_admin)
    endpoint = endpoint_for(owner_company, server.url("/hook"))

    run_daily_evaluation(owner_company, DAY)

    message = WebhookMessage.objects.get()
    assert (message.type, message.engagement_id) == ("engagement.progress_changed",
                                                      engagement.pk)
    assert message.transition.run.day == DAY
    assert webhooks.deliver_due() == {"delivered": 1}
    request, = server.to("/hook")
    payload = verified(endpoint, request)
    assert request.headers["webhook-id"] == message.msg_id
    assert payload["type"] == "engagement.progress_changed"
    data = payload["data"]
    assert (data["from"], data["to"], data["day"]) == ("on_track", "off_track", "2026-03-23")
    assert data["reason"].startswith("Off track since 23 Mar")
    assert data["engagement"]["id"] == engagement.pk


@pytest.mark.usefixtures("frozen")
def test_a_dry_run_or_a_company_without_endpoints_writes_no_event(
        owner_company, other_company, location, global_admin, server):
    launched(owner_company, location=location, owner=global_admin)
    endpoint_for(other_company, server.url("/hook"))
    endpoint_for(owner_company, server.url("/hook"), types=["session.scheduled"])

    run_daily_evaluation(owner_company, DAY)

    assert not WebhookMessage.objects.exists()


@pytest.mark.usefixtures("frozen")
@pytest.mark.parametrize("size", [2, 20])
def test_the_daily_runs_events_cost_two_queries_whatever_their_number(
        owner_company, location, global_admin, server, size, django_assert_num_queries):
    for _ in range(size):
        launched(owner_company, location=location, owner=global_admin)
    endpoint_for(owner_company, server.url("/hook"))
    run = run_daily_evaluation(owner_company, DAY)
    WebhookMessage.objects.all().delete()

    # 1. INSERT messages ... SELECT; 2. INSERT deliveries ... SELECT — no look-up per row.
    with django_assert_num_queries(2):
        assert webhooks.build_outbox_for_runs([run]) == size

    assert WebhookDelivery.objects.count() == size


@pytest.mark.usefixtures("frozen")
def test_an_action_writes_its_session_and_progress_events_in_its_transaction(
        engagement, coach, server):
    Engagement.objects.filter(pk=engagement.pk).update(progress="off_track",
                                                       off_track_since=DAY)
    endpoint = endpoint_for(engagement.company, server.url("/hook"))
    starts = dt.datetime(2026, 3, 30, 14, tzinfo=dt.UTC)

    session = actions.do_schedule_session(engagement, by=coach, starts_at=starts)
    actions.do_move_session(session, by=coach, starts_at=starts + dt.timedelta(days=1))
    actions.do_cancel_session(session, by=coach, reason="Ill")

    types = list(WebhookMessage.objects.order_by("pk").values_list("type", flat=True))
    # Cancelling a future session is activity today (rule 3): it stays on track.
    assert types == ["engagement.progress_changed", "session.scheduled", "session.moved",
                     "session.cancelled"]
    webhooks.deliver_due()
    bodies = [verified(endpoint, r) for r in server.to("/hook")]
    assert [b["type"] for b in bodies] == types
    assert bodies[0]["data"]["to"] == "on_track"
    assert bodies[1]["data"]["session"]["id"] == session.pk
    assert bodies[2]["data"]["to"] == (starts + dt.timedelta(days=1)).isoformat()
    assert bodies[3]["data"]["reason"] == "Ill"


@pytest.mark.usefixtures("frozen")
def test_a_rolled_back_action_leaves_no_event(engagement, coach, server):
    endpoint_for(engagement.company, server.url("/hook"))

    with pytest.raises(actions.ActionRefused):
        actions.do_schedule_session(engagement, by=coach,
                                    starts_at=dt.datetime(2026, 2, 1, tzinfo=dt.UTC))

    assert not WebhookMessage.objects.exists()


@pytest.mark.usefixtures("frozen")
def test_ending_an_engagement_early_is_an_ended_event(engagement, global_admin, server):
    endpoint = endpoint_for(engagement.company, server.url("/hook"),
                            types=["engagement.ended", "engagement.completed"])

    actions.do_end_early(engagement, by=global_admin, reason="client_request")
    webhooks.deliver_due()

    payload = verified(endpoint, server.to("/hook")[0])
    assert payload["type"] == "engagement.ended"
    assert payload["data"]["reason"] == "client_request"
    assert payload["data"]["engagement"]["status"] == "ended_early"


@pytest.mark.usefixtures("frozen")
def test_pauses_starting_and_ending_are_paused_and_resumed_events(
        owner_company, location, global_admin, server):
    engagement = launched(owner_company, location=location, owner=global_admin)
    factories.PauseFactory(engagement=engagement, starts_on=DAY,
                           ends_on=DAY + dt.timedelta(days=6))
    endpoint = endpoint_for(owner_company, server.url("/hook"),
                            types=["engagement.paused", "engagement.resumed"])

    run_daily_evaluation(owner_company, DAY)
    run_daily_evaluation(owner_company, DAY + dt.timedelta(days=7))
    webhooks.deliver_due()

    paused, resumed = (verified(endpoint, r) for r in server.to("/hook"))
    assert paused["type"] == "engagement.paused"
    assert paused["data"]["pause"] == {"starts_on": "2026-03-23", "ends_on": "2026-03-29",
                                       "reason": "leave"}
    assert resumed["type"] == "engagement.resumed"
    assert resumed["data"]["from"] == "paused"


def test_failures_are_retried_with_backoff_until_the_endpoint_answers(
        engagement, coach, server):
    server.answer("/hook", 500, 503, 200)
    endpoint_for(engagement.company, server.url("/hook"), types=["session.scheduled"])
    with time_machine.travel(MORNING, tick=False) as traveller:
        actions.do_schedule_session(engagement, by=coach,
                                    starts_at=dt.datetime(2026, 3, 30, 14, tzinfo=dt.UTC))
        assert webhooks.deliver_due() == {"pending": 1}
        assert webhooks.deliver_due() == {}  # not yet due: 30 s
        traveller.shift(dt.timedelta(seconds=31))
        assert webhooks.deliver_due() == {"pending": 1}
        traveller.shift(dt.timedelta(seconds=59))
        assert webhooks.deliver_due() == {}  # the second wait is a minute
        traveller.shift(dt.timedelta(seconds=2))
        assert webhooks.deliver_due() == {"delivered": 1}
        assert webhooks.deliver_due() == {}

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("delivered", 3, 200)
    ids = {r.headers["webhook-id"] for r in server.to("/hook")}
    assert ids == {delivery.message.msg_id}
    assert WebhookEndpoint.objects.get().failing_since is None


@pytest.mark.usefixtures("frozen")
def test_exactly_one_delivery_per_event_id(engagement, coach, server):
    endpoint = endpoint_for(engagement.company, server.url("/hook"), types=["session.scheduled"])
    actions.do_schedule_session(engagement, by=coach,
                                starts_at=dt.datetime(2026, 3, 30, 14, tzinfo=dt.UTC))
    message = WebhookMessage.objects.get()
    # The outbox written again for the same event adds nothing (the unique key).
    WebhookDelivery.objects.bulk_create([WebhookDelivery(message=message, endpoint=endpoint)],
                                        ignore_conflicts=True)

    webhooks.deliver_due()
    webhooks.deliver_due()
    assert webhooks.claim_due() == []

    assert len(server.to("/hook")) == 1
    assert WebhookDelivery.objects.get().status == "delivered"


@pytest.mark.usefixtures("frozen")
@pytest.mark.parametrize("url", ["http://10.1.2.3/hook", "http://169.254.169.254/latest/",
                                 "http://[::1]:9/hook", "http://192.168.0.10/"])
def test_private_and_link_local_addresses_are_refused(engagement, coach, settings, url):
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    endpoint_for(engagement.company, url, types=["session.scheduled"])
    actions.do_schedule_session(engagement, by=coach,
                                starts_at=dt.datetime(2026, 3, 30, 14, tzinfo=dt.UTC))

    assert webhooks.deliver_due() == {"pending": 1}

    delivery = WebhookDelivery.objects.get()
    assert delivery.response_code is None
    assert "OutboundRefused" in delivery.last_error


def test_loopback_is_refused_unless_the_setting_allows_it(engagement, coach, settings, server):
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    endpoint_for(engagement.company, server.url("/hook"), types=["session.scheduled"])
    with time_machine.travel(MORNING, tick=False):
        actions.do_schedule_session(engagement, by=coach,
                                    starts_at=dt.datetime(2026, 3, 30, 14, tzinfo=dt.UTC))
        webhooks.deliver_due()
    assert server.requests == []


def test_an_endpoint_failing_for_three_days_is_disabled_and_its_administrators_emailed(
        engagement, coach, global_admin, server, django_capture_on_commit_callbacks):
    server.answer("/hook", 500)
    endpoint = endpoint_for(engagement.company, server.url("/hook"), types=["session.scheduled"])
    with time_machine.travel(MORNING, tick=False) as traveller:
        actions.do_schedule_session(engagement, by=coach,
                                    starts_at=dt.datetime(2026, 3, 30, 14, tzinfo=dt.UTC))
        for hour in range(80):
            with django_capture_on_commit_callbacks(execute=True):
                webhooks.deliver_due()
            if hour == 71:  # failing for 71 hours: still on
                endpoint.refresh_from_db()
                assert endpoint.is_enabled
            traveller.shift(dt.timedelta(hours=1))

    endpoint.refresh_from_db()
    assert not endpoint.is_enabled
    assert WebhookDelivery.objects.get().status == "failed"
    assert [m.to for m in mail.outbox] == [[global_admin.email]]
    assert endpoint.url in mail.outbox[0].body


# ---------------------------------------------------------------------------------------------
# The pages


def test_an_administrator_registers_an_endpoint_and_sees_its_secret_once(
        client_for, global_admin, server):
    client = client_for(global_admin)
    response = client.post(reverse("notifications:webhooks"), {
        "url": server.url("/hook"), "description": "HR system",
        "events": ["engagement.progress_changed", "session.scheduled"]})
    endpoint = WebhookEndpoint.objects.get()
    assert response.url == reverse("notifications:webhook", args=[endpoint.pk])
    assert endpoint.event_types == ["engagement.progress_changed", "session.scheduled"]

    first = client.get(response.url).content.decode()
    again = client.get(response.url).content.decode()

    assert endpoint.secret in first
    assert endpoint.secret not in again


def test_a_private_address_is_refused_by_the_form(client_for, global_admin, settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    response = client_for(global_admin).post(reverse("notifications:webhooks"), {
        "url": "http://127.0.0.1:8000/", "events": ["engagement.ended"]})
    assert response.status_code == 200
    assert "private network" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.usefixtures("frozen")
def test_send_a_test_event_and_resend_from_the_log(client_for, global_admin, server):
    endpoint = endpoint_for(global_admin.company, server.url("/hook"), types=["engagement.ended"])
    client = client_for(global_admin)

    client.post(reverse("notifications:webhook_test", args=[endpoint.pk]))
    webhooks.deliver_due()
    delivery = WebhookDelivery.objects.get()
    client.post(reverse("notifications:webhook_resend", args=[endpoint.pk, delivery.pk]))
    webhooks.deliver_due()

    first, second = (verified(endpoint, r) for r in server.to("/hook"))
    assert first == second
    assert first["type"] == "webhook.test"
    assert len({r.headers["webhook-id"] for r in server.to("/hook")}) == 1
    page = client.get(reverse("notifications:webhook", args=[endpoint.pk])).content.decode()
    assert "webhook.test" in page and "Delivered" in page


@pytest.mark.parametrize("role,code", [
    ("global_admin", 200), ("location_admin", 403), ("coach", 403), ("coachee", 403),
    ("provider_admin", 200), ("other_admin", 200), ("anonymous", 302)])
def test_the_webhooks_page_is_for_global_administrators(client_for, roles, role, code):
    response = client_for(roles[role]).get(reverse("notifications:webhooks"))
    assert response.status_code == code


def test_another_companys_endpoint_is_404(client_for, global_admin, other_admin):
    endpoint = endpoint_for(global_admin.company, "https://hooks.example.com/")
    client = client_for(other_admin)
    for name in ("notifications:webhook",):
        assert client.get(reverse(name, args=[endpoint.pk])).status_code == 404
    for name in ("notifications:webhook_test", "notifications:webhook_enable",
                 "notifications:webhook_delete"):
        assert client.post(reverse(name, args=[endpoint.pk])).status_code == 404
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()
    assert not WebhookMessage.objects.exists()


def test_the_payload_is_json_with_type_timestamp_and_data(engagement, coach, server):
    endpoint_for(engagement.company, server.url("/hook"), types=["session.completed"])
    with time_machine.travel(dt.datetime(2026, 3, 11, 9, tzinfo=dt.UTC), tick=False):
        session = factories.SessionFactory(engagement=engagement)
        actions.do_complete_session(session, by=coach)
        webhooks.deliver_due()
    body = json.loads(server.to("/hook")[0].body)
    assert set(body) == {"type", "timestamp", "data"}
    assert body["data"]["session"]["status"] == "completed"
