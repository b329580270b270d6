"""
/metrics: refused without the token; the series of docs/operations.md with the values a known
scenario produces, parsed as Prometheus parses them.
"""

import datetime as dt

import pytest
import time_machine
from django.core.mail.backends.locmem import EmailBackend
from prometheus_client.parser import text_string_to_metric_families

from notifications import sender
from notifications.models import Nudge
from tests import factories
from tests.faults.inprocess import DAY, MORNING, OutageBackend, two_crossing_on_day
from tracking import tasks
from tracking.jobs import run_daily_evaluation

TOKEN = "s3cret-metrics-token"


def scrape(client):
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0)


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.PROMETHEUS_MULTIPROC_DIR = ""


def test_without_a_token_configured_there_are_no_metrics(client_for, global_admin, settings):
    settings.METRICS_TOKEN = ""
    assert client_for(global_admin).get("/metrics").status_code == 404
    assert client_for(global_admin).get(
        "/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


def test_anyone_without_the_token_is_refused(client, client_for, global_admin, token):
    for who, headers in [
        (client, {}),
        (client, {"HTTP_AUTHORIZATION": "Bearer wrong"}),
        (client, {"HTTP_AUTHORIZATION": TOKEN}),  # not as a bearer token
        (client_for(global_admin), {}),  # signed in is not enough
    ]:
        response = who.get("/metrics", **headers)
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
        assert b"optify_" not in response.content


class Accepting(EmailBackend):
    pass


@pytest.mark.django_db
def test_the_series_count_what_a_known_day_did(
    client, token, settings, django_capture_on_commit_callbacks
):
    before = scrape(client)
    with time_machine.travel(MORNING, tick=False):
        # acme (standard) and globex (enterprise): two engagements each go off track; five
        # nudges each (two coachees, two coaches, one administrator).
        with django_capture_on_commit_callbacks(execute=True):  # launches count on commit
            acme, _, _ = two_crossing_on_day("acme")
            globex, _, _ = two_crossing_on_day("globex")
        globex.plan = "enterprise"
        globex.save()
        for company in (acme, globex):
            with django_capture_on_commit_callbacks(execute=True):
                run_daily_evaluation(company, DAY)
            with django_capture_on_commit_callbacks(execute=True):  # a dry run counts nothing
                run_daily_evaluation(company, DAY + dt.timedelta(days=1), dry_run=True)

        # The provider is down for globex's first attempt: four wait for a retry, and the
        # administrator's nudge, on its last attempt, is given up on.
        Nudge.objects.filter(company=globex, role="administrator").update(attempts=11)
        settings.MAILERS = {"default": {"BACKEND": "tests.faults.inprocess.OutageBackend"}}
        OutageBackend.down_until, OutageBackend.attempts = MORNING.replace(hour=8), []
        Nudge.objects.filter(company=acme).update(next_attempt_at=MORNING.replace(hour=9))
        sender.send_due_nudges()
    with time_machine.travel(MORNING.replace(hour=9, minute=30), tick=False):
        settings.MAILERS = {"default": {"BACKEND": "tests.ops.test_metrics.Accepting"}}
        sender.send_due_nudges()  # acme's five, and globex's four retried
        # One nudge has been due for ten minutes and is not sent (no sender ran since).
        Nudge.objects.filter(company=acme, role="administrator").update(
            status="pending", next_attempt_at=MORNING.replace(hour=9, minute=20))
        # A task that fails (a malformed day), and two requests to a page.
        tasks.evaluate_company.apply(args=[acme.pk, "not-a-day"], throw=False)
        client.get("/healthz")
        client.get("/healthz")
        after = scrape(client)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    for plan in ("standard", "enterprise"):
        assert delta("optify_evaluation_runs_total", plan=plan) == 1
        assert delta("optify_evaluation_duration_seconds_count", plan=plan) == 1
        assert delta("optify_engagements_evaluated_total", plan=plan, progress="off_track") == 2
        assert delta("optify_engagements_evaluated_total", plan=plan, progress="on_track") == 0
    assert delta("optify_progress_transitions_total", from_status="on_track",
                 to_status="off_track", cause="daily") == 4
    # The launches (not tracked -> on track) are evaluations at once.
    assert delta("optify_progress_transitions_total", from_status="not_tracked",
                 to_status="on_track", cause="launch") == 4

    expected = {
        ("coachee", "queued"): 4, ("coach", "queued"): 4, ("administrator", "queued"): 2,
        ("coachee", "retried"): 2, ("coach", "retried"): 2, ("administrator", "failed"): 1,
        ("coachee", "sent"): 4, ("coach", "sent"): 4, ("administrator", "sent"): 1,
        ("administrator", "retried"): 0, ("coachee", "failed"): 0,
    }
    assert {key: delta("optify_nudges_total", role=key[0], outcome=key[1])
            for key in expected} == expected

    assert delta("optify_celery_task_failures_total",
                 task="tracking.tasks.evaluate_company") == 1
    assert delta("optify_http_request_duration_seconds_count", view="healthz",
                 method="GET") == 2
    assert value(after, "optify_outbox_due_nudges") == 1
    assert value(after, "optify_outbox_oldest_due_age_seconds") == 600
    # /healthz's checks as gauges: globex's administrator nudge failed today.
    assert {check: value(after, "optify_health_problems", check=check) for check in (
        "late_evaluations", "stuck_outbox", "failed_nudges")} == {
        "late_evaluations": 0, "stuck_outbox": 0, "failed_nudges": 1}


def test_the_outbox_gauges_are_zero_when_nothing_is_due(db, client, token):
    factories.CompanyFactory(slug="quiet")
    samples = scrape(client)
    assert value(samples, "optify_outbox_due_nudges") == 0
    assert value(samples, "optify_outbox_oldest_due_age_seconds") == 0
