"""The daily evaluation: once per company-local day, only what is due, handed on to nudges."""

import datetime as dt
import threading
from unittest import mock

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection, connections

from engagements.models import Engagement, Progress
from tests import factories
from tracking.evaluation import Cause, evaluate_engagement
from tracking.jobs import (
    LOCK_BUCKETS,
    companies_due,
    run_daily_evaluation,
    run_daily_evaluations,
)
from tracking.models import EvaluationRun, ProgressTransition
from tracking.signals import evaluation_committing

D = dt.date
ACTIVATED = D(2026, 3, 2)


def launched(company, started_on=ACTIVATED, **kwargs):
    """An engagement evaluated at launch, so the daily job knows when it is due."""
    engagement = factories.EngagementFactory(company=company, started_on=started_on, **kwargs)
    engagement = Engagement.objects.select_related("company").get(pk=engagement.pk)
    evaluate_engagement(engagement, cause=Cause.LAUNCH, today=started_on)
    return engagement


@pytest.fixture
def received():
    received = []

    def receiver(sender, runs, **kwargs):
        for run in runs:
            received.append((run, connection.in_atomic_block,
                             list(run.transitions.filter(to_status="off_track")
                                  .values_list("engagement_id", "day"))))

    evaluation_committing.connect(receiver)
    yield received
    evaluation_committing.disconnect(receiver)


def test_companies_in_utc_plus_13_and_utc_minus_10_are_each_evaluated_on_their_own_day(db):
    auckland = factories.CompanyFactory(slug="auckland", timezone="Pacific/Auckland")  # UTC+13
    honolulu = factories.CompanyFactory(slug="honolulu", timezone="Pacific/Honolulu")  # UTC-10
    in_auckland, in_honolulu = launched(auckland), launched(honolulu)
    # 18:00 UTC: 07:00 on the 23rd in Auckland, 08:00 on the 22nd in Honolulu.
    with time_machine.travel(dt.datetime(2026, 3, 22, 18, tzinfo=dt.UTC), tick=False):
        due = {company.slug: day for company, day in companies_due()}
        assert due == {"auckland": D(2026, 3, 23), "honolulu": D(2026, 3, 22)}
        for company, day in companies_due():
            run_daily_evaluation(company, day)
    in_auckland.refresh_from_db()
    in_honolulu.refresh_from_db()
    assert (in_auckland.progress, in_auckland.off_track_since) == (Progress.OFF_TRACK,
                                                                   D(2026, 3, 23))
    assert in_honolulu.progress == Progress.ON_TRACK


def test_a_company_is_not_due_before_its_local_evaluation_hour(db, settings):
    settings.PROGRESS_EVALUATION_HOUR = 6
    factories.CompanyFactory(slug="london", timezone="Europe/London")
    with time_machine.travel(dt.datetime(2026, 3, 22, 5, 59, tzinfo=dt.UTC), tick=False):
        assert companies_due() == []
    with time_machine.travel(dt.datetime(2026, 3, 22, 6, 0, tzinfo=dt.UTC), tick=False):
        assert [(c.slug, d) for c, d in companies_due()] == [("london", D(2026, 3, 22))]
        run_daily_evaluation(*companies_due()[0])
        # Done for today: not due again until tomorrow.
        assert companies_due() == []


def test_a_run_is_recorded_and_hands_its_off_track_transitions_on_inside_the_transaction(
        db, received):
    company = factories.CompanyFactory(slug="acme")
    goes_off = launched(company)
    stays_on = launched(company, started_on=D(2026, 3, 10))
    run = run_daily_evaluation(company, D(2026, 3, 25))
    assert (run.day, run.evaluated, run.off_track, run.on_track, run.transitions_count) == (
        D(2026, 3, 25), 1, 1, 0, 1)
    assert run.finished_at is not None and run.duration_ms is not None
    # The transition is dated the day it went off track (the 23rd), not the run's day.
    assert received == [(run, True, [(goes_off.pk, D(2026, 3, 23))])]
    transition = ProgressTransition.objects.get(engagement=goes_off, to_status="off_track")
    assert (transition.cause, transition.run, transition.from_status) == (
        Cause.DAILY, run, Progress.ON_TRACK)
    # Not due yet, so not read: its stored evaluation date is still its launch day.
    stays_on.refresh_from_db()
    assert stays_on.progress_evaluated_on == D(2026, 3, 10)


def test_a_rerun_for_the_same_day_changes_nothing_and_hands_on_nothing(db, received):
    company = factories.CompanyFactory(slug="acme")
    launched(company)
    assert run_daily_evaluation(company, D(2026, 3, 23)) is not None
    assert run_daily_evaluation(company, D(2026, 3, 23)) is None
    assert EvaluationRun.objects.count() == 1
    assert ProgressTransition.objects.filter(cause=Cause.DAILY).count() == 1
    assert len(received) == 1


def test_a_daily_run_takes_a_fixed_number_of_queries(db, django_assert_max_num_queries):
    company = factories.CompanyFactory(slug="acme")
    for _ in range(5):
        launched(company)
    # savepoint, advisory lock, run exists?, INSERT run, the evaluation statement,
    # UPDATE run, release savepoint — however many engagements are due. (The receivers of
    # evaluation_committing, e.g. notifications, count their own queries in their tests.)
    with mock.patch.object(evaluation_committing, "receivers", []), \
            django_assert_max_num_queries(7):
        run = run_daily_evaluation(company, D(2026, 3, 23))
    assert run.transitions_count == 5


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's advisory locks")
def test_a_run_of_many_companies_holds_a_bounded_number_of_locks(db):
    # One lock per company would put one lock per company due into PostgreSQL's shared lock
    # table (a few thousand companies fill it: "out of shared memory"); the run holds at most
    # one per bucket of company ids.
    companies = factories.CompanyFactory.create_batch(LOCK_BUCKETS + 40)
    held = []

    def count_locks(sender, runs, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                           " AND pid = pg_backend_pid()")
            held.append(cursor.fetchone()[0])

    evaluation_committing.connect(count_locks)
    try:
        runs = run_daily_evaluations([(company, D(2026, 3, 23)) for company in companies])
    finally:
        evaluation_committing.disconnect(count_locks)
    assert len(runs) == len(companies)
    assert 0 < held[0] <= LOCK_BUCKETS


def test_a_dry_run_leaves_no_trace(db, received):
    company = factories.CompanyFactory(slug="acme")
    engagement = launched(company)
    run = run_daily_evaluation(company, D(2026, 3, 23), dry_run=True)
    assert run.off_track == 1
    engagement.refresh_from_db()
    assert engagement.progress == Progress.ON_TRACK
    assert not EvaluationRun.objects.exists()
    assert received == []


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_evaluate_a_company_once():
    company = factories.CompanyFactory(slug="acme")
    for _ in range(3):
        launched(company)
    inside, release = threading.Event(), threading.Event()
    results = {}

    def hold(sender, runs, **kwargs):
        inside.set()
        release.wait(timeout=30)

    def first():
        try:
            results["first"] = run_daily_evaluation(company, D(2026, 3, 23))
        finally:
            connections.close_all()

    evaluation_committing.connect(hold)
    try:
        thread = threading.Thread(target=first)
        thread.start()
        assert inside.wait(timeout=30)
        # The first run holds the company's advisory lock, its run row not yet committed.
        evaluation_committing.disconnect(hold)
        results["second"] = run_daily_evaluation(company, D(2026, 3, 23))
        release.set()
        thread.join(timeout=30)
    finally:
        release.set()
        evaluation_committing.disconnect(hold)
    assert results["second"] is None
    assert results["first"].transitions_count == 3
    assert EvaluationRun.objects.count() == 1
    assert ProgressTransition.objects.filter(cause=Cause.DAILY).count() == 3
    # And once committed, a third attempt finds the day done.
    assert run_daily_evaluation(company, D(2026, 3, 23)) is None


def test_the_command_evaluates_a_company_on_a_date_and_prints_its_counts(db, capsys):
    company = factories.CompanyFactory(slug="acme")
    launched(company)
    factories.CompanyFactory(slug="other")
    call_command("evaluate_progress", "--date", "2026-03-23", "--company", "acme")
    out = capsys.readouterr().out
    assert "acme 2026-03-23: evaluated=1 on_track=0 off_track=1 not_tracked=0 transitions=1" in out
    assert EvaluationRun.objects.get().company == company
    call_command("evaluate_progress", "--date", "2026-03-23", "--company", "acme")
    assert "acme 2026-03-23: skipped" in capsys.readouterr().out


def test_the_command_dry_run_and_backfill(db, capsys):
    company = factories.CompanyFactory(slug="acme")
    engagement = launched(company)
    call_command("evaluate_progress", "--date", "2026-03-23", "--dry-run")
    assert "off_track=1" in capsys.readouterr().out
    engagement.refresh_from_db()
    assert engagement.progress == Progress.ON_TRACK and not EvaluationRun.objects.exists()
    call_command("evaluate_progress", "--date", "2026-03-23", "--all")
    assert "acme 2026-03-23: evaluated=1" in capsys.readouterr().out
    engagement.refresh_from_db()
    assert engagement.progress == Progress.OFF_TRACK and not EvaluationRun.objects.exists()


def test_the_command_rejects_an_unknown_company(db):
    with pytest.raises(CommandError, match="No company"):
        call_command("evaluate_progress", "--company", "nope")


def test_a_run_that_fails_midway_leaves_nothing_and_the_next_attempt_finishes_it(db):
    company = factories.CompanyFactory(slug="acme")
    engagement = launched(company)

    def crash(sender, runs, **kwargs):
        raise RuntimeError("worker died")

    evaluation_committing.connect(crash)
    try:
        with pytest.raises(RuntimeError):
            run_daily_evaluation(company, D(2026, 3, 23))
    finally:
        evaluation_committing.disconnect(crash)
    engagement.refresh_from_db()
    assert engagement.progress == Progress.ON_TRACK
    assert not EvaluationRun.objects.exists()
    assert not ProgressTransition.objects.filter(cause=Cause.DAILY).exists()
    run = run_daily_evaluation(company, D(2026, 3, 23))
    assert run.transitions_count == 1


def test_the_command_prints_progress_lines_on_long_runs(db, capsys):
    for slug in ("a", "b", "c"):
        launched(factories.CompanyFactory(slug=slug))
    call_command("evaluate_progress", "--date", "2026-03-23", "--progress-every", "0")
    captured = capsys.readouterr()
    assert "... 1/3 companies, 1 engagements evaluated" in captured.err
    assert "3 companies, 3 engagements evaluated, 3 transitions, 0 skipped" in captured.out
