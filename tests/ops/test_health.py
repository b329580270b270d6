"""
/healthz and `manage.py check_health`: the daily job, the outbox and the sender watched from
outside, as a cron monitor watches its jobs.
"""

import datetime as dt
import json
import os

import pytest
import time_machine
from django.core.management import call_command

from accounts.models import Company
from notifications.models import Nudge
from optify import health
from tests import factories
from tracking.health import late_evaluations
from tracking.jobs import companies_due, run_daily_evaluation

UTC = dt.UTC
MINUTE = dt.timedelta(minutes=1)


def healthz(client):
    response = client.get("/healthz")
    return response.status_code, response.json()


def check_health(capsys, *args):
    """(exit code, JSON body) of `manage.py check_health`."""
    try:
        call_command("check_health", *args)
        code = 0
    except SystemExit as exit:
        code = exit.code
    return code, json.loads(capsys.readouterr().out)


@pytest.fixture(autouse=True)
def _no_broker(settings):
    # The broker has its own key and tests (tests/foundation/test_project.py); these are about
    # the database's findings.
    settings.REDIS_URL = ""
    settings.PROGRESS_EVALUATION_HOUR = 6


# 06:00 local on 23 March 2026: Tonga (UTC+13) is there on the 22nd at 17:00 UTC; Honolulu
# (UTC-10) on the 23rd at 16:00 UTC. Each company is created after its previous due moment,
# so it owes nothing before.
@pytest.mark.parametrize("tz, created, due", [
    ("Pacific/Tongatapu", dt.datetime(2026, 3, 22, 12, tzinfo=UTC),
     dt.datetime(2026, 3, 22, 17, tzinfo=UTC)),
    ("Pacific/Honolulu", dt.datetime(2026, 3, 23, 10, tzinfo=UTC),
     dt.datetime(2026, 3, 23, 16, tzinfo=UTC)),
])
def test_a_company_late_by_over_an_hour_is_reported_until_its_run_finishes(
    db, client, capsys, tz, created, due
):
    with time_machine.travel(created, tick=False):
        company = factories.CompanyFactory(slug="faraway", timezone=tz)

    for moment in [due - 30 * MINUTE, due + 30 * MINUTE, due + 60 * MINUTE]:
        with time_machine.travel(moment, tick=False):
            assert healthz(client) == (200, {"status": "ok", "database": "ok"}), moment
            assert check_health(capsys) == (0, {"status": "ok", "database": "ok"})

    with time_machine.travel(due + 61 * MINUTE, tick=False):
        late = {"status": "degraded", "database": "ok", "late_evaluations": {
            "count": 1,
            "companies": [{"company": "faraway", "day": "2026-03-23",
                           "due_at": due.isoformat(), "late_minutes": 61}],
        }}
        assert healthz(client) == (200, late)
        assert check_health(capsys) == (1, late)
        # A liveness probe restarts on errors only: a late job is not the web server's fault.
        assert check_health(capsys, "--fail-on", "error") == (0, late)

        # The scheduler owes the same day the watch expects; its run clears the report.
        assert [(c.slug, day) for c, day in companies_due()] == [
            ("faraway", dt.date(2026, 3, 23))]
        run_daily_evaluation(company, dt.date(2026, 3, 23), dry_run=True)
        assert healthz(client)[1]["status"] == "degraded"  # a dry run is not a run
        run_daily_evaluation(company, dt.date(2026, 3, 23))
        assert healthz(client) == (200, {"status": "ok", "database": "ok"})
        assert check_health(capsys) == (0, {"status": "ok", "database": "ok"})


def test_a_missed_day_stays_reported_after_local_midnight_until_the_next_run_is_due(db, client):
    with time_machine.travel(dt.datetime(2026, 3, 20, tzinfo=UTC), tick=False):
        factories.CompanyFactory(slug="tokyo", timezone="Asia/Tokyo")  # UTC+9
        factories.CompanyFactory(slug="fine", timezone="Asia/Tokyo")
    fine = Company.objects.get(slug="fine")
    for day in [dt.date(2026, 3, 22), dt.date(2026, 3, 23)]:
        with time_machine.travel(dt.datetime(2026, 3, 23, 12, tzinfo=UTC), tick=False):
            run_daily_evaluation(fine, day)

    # 01:00 in Tokyo on the 23rd: the 22nd's run (due at 06:00 there) never happened.
    with time_machine.travel(dt.datetime(2026, 3, 22, 16, tzinfo=UTC), tick=False):
        body = healthz(client)[1]
    assert body["late_evaluations"]["companies"] == [{
        "company": "tokyo", "day": "2026-03-22", "due_at": "2026-03-21T21:00:00+00:00",
        "late_minutes": 19 * 60}]


def nudge(company, **fields):
    return Nudge.objects.create(
        company=company, recipient=factories.UserFactory(company=company), role="coachee",
        day=dt.date(2026, 3, 23), **fields)


NOW = dt.datetime(2026, 3, 23, 9, tzinfo=UTC)


@pytest.fixture
def company():
    # Created at NOW: it owes no evaluation yet, so only the outbox speaks.
    with time_machine.travel(NOW, tick=False):
        return factories.CompanyFactory(slug="acme")


def test_an_outbox_with_nudges_due_for_over_30_minutes_is_reported(db, client, company):
    nudge(company, next_attempt_at=NOW - 29 * MINUTE)  # the sender has a minute tick
    nudge(company, next_attempt_at=NOW + 8 * MINUTE)  # waiting for its backoff: not due
    nudge(company, status="sending", claimed_at=NOW - 35 * MINUTE)  # lease ends 25 min ago
    with time_machine.travel(NOW, tick=False):
        assert healthz(client) == (200, {"status": "ok", "database": "ok"})

    nudge(company, next_attempt_at=NOW - 31 * MINUTE)
    nudge(company, status="sending", claimed_at=NOW - 45 * MINUTE)  # lease ended 35 min ago
    with time_machine.travel(NOW, tick=False):
        assert healthz(client) == (200, {"status": "degraded", "database": "ok", "stuck_outbox": {
            "count": 2, "oldest_due_at": "2026-03-23T08:25:00+00:00", "oldest_minutes": 35}})


def test_nudges_failed_in_the_last_day_are_reported(db, client, company, capsys):
    globex = factories.CompanyFactory(slug="globex")
    nudge(globex, status="failed", attempts=12, claimed_at=NOW - dt.timedelta(hours=25))
    with time_machine.travel(NOW, tick=False):
        assert healthz(client) == (200, {"status": "ok", "database": "ok"})

    nudge(company, status="failed", attempts=12, claimed_at=NOW - dt.timedelta(hours=2))
    nudge(globex, status="failed", attempts=3, claimed_at=NOW - dt.timedelta(hours=23))
    with time_machine.travel(NOW, tick=False):
        failed = {"status": "degraded", "database": "ok",
                  "failed_nudges": {"count": 2, "companies": ["acme", "globex"]}}
        assert healthz(client) == (200, failed)
        assert check_health(capsys) == (1, failed)


def test_only_a_database_that_does_not_answer_is_an_error(db, client, capsys, monkeypatch):
    monkeypatch.setattr(health, "check_database", lambda: "error: OperationalError")
    down = {"status": "error", "database": "error: OperationalError"}
    assert healthz(client) == (503, down)
    assert check_health(capsys) == (2, down)
    assert check_health(capsys, "--fail-on", "error") == (2, down)


def test_a_failing_check_is_reported_under_its_name(db, client, monkeypatch):
    def stuck_outbox(now):
        raise RuntimeError("boom")

    monkeypatch.setattr(health, "CHECKS", ["tracking.health.late_evaluations", stuck_outbox])
    assert healthz(client) == (200, {"status": "degraded", "database": "ok",
                                     "stuck_outbox": "error: RuntimeError"})


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="no broker to ping through")
def test_a_worker_that_does_not_answer_its_ping_is_an_error(db, capsys):
    assert check_health(capsys, "--worker", "nobody@nowhere", "--fail-on", "error") == (
        2, {"status": "error", "database": "ok", "worker": "error: no reply"})


def test_the_late_check_takes_a_query_per_local_day_owed_however_many_companies(
    db, django_assert_num_queries
):
    with time_machine.travel(dt.datetime(2026, 3, 20, tzinfo=UTC), tick=False):
        for n, tz in enumerate(["UTC", "Pacific/Honolulu", "Pacific/Tongatapu"] * 4):
            factories.CompanyFactory(slug=f"c{n:02}", timezone=tz)
    # The timezones in use; the late companies of each local day owed: the 22nd (Honolulu)
    # and the 23rd (UTC, Tonga).
    with django_assert_num_queries(3):
        late = late_evaluations(dt.datetime(2026, 3, 23, 12, tzinfo=UTC))
    assert late["count"] == 12
    # Honolulu's companies first: their day was due earliest (16:00 UTC on the 22nd).
    assert [c["company"] for c in late["companies"][:4]] == ["c01", "c04", "c07", "c10"]
