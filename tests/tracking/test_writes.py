"""Evaluations write only what changed; the daily run costs a fixed number of statements."""

import datetime as dt
from unittest import mock

import pytest
from django.db import connection

from engagements.models import Engagement, Progress
from tests import factories
from tests.tracking.conftest import at
from tracking import evaluation
from tracking.evaluation import Cause, evaluate_engagement, evaluate_many
from tracking.jobs import run_daily_evaluations
from tracking.models import EvaluationRun, ProgressDue
from tracking.signals import evaluation_committing

D = dt.date
ACTIVATED = D(2026, 3, 2)


def row_versions(engagements):
    """{id: ctid}: a row written again is a new version, elsewhere in the table."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, ctid::text FROM engagements_engagement WHERE id = ANY(%s)",
                       [[e.pk for e in engagements]])
        return dict(cursor.fetchall())


@pytest.fixture
def company(db):
    return factories.CompanyFactory(slug="acme")


@pytest.fixture
def engagements(company):
    found = [factories.EngagementFactory(company=company, started_on=ACTIVATED,
                                         template__tracking_threshold_days=21)
             for _ in range(4)]
    factories.SessionFactory(engagement=found[1], starts_at=at(D(2026, 4, 20)))
    factories.SessionFactory(engagement=found[2], starts_at=at(D(2026, 3, 10)),
                             status="completed")
    found.append(factories.EngagementFactory(company=company, status="draft",
                                             started_on=None))
    return found


def test_a_second_full_evaluation_of_the_same_day_updates_zero_rows(company, engagements):
    first = evaluate_many({company.pk: D(2026, 3, 25)}, cause=Cause.MANUAL)
    assert (first.evaluated, first.written, first.transitions) == (5, 4, 4)
    versions = row_versions(engagements)
    second = evaluate_many({company.pk: D(2026, 3, 25)}, cause=Cause.MANUAL)
    # The statement's own count of rows it updated, and the rows' versions, both unchanged.
    assert (second.evaluated, second.written, second.transitions) == (5, 0, 0)
    assert (second.on_track, second.off_track, second.not_tracked) == (2, 2, 1)
    assert row_versions(engagements) == versions


def test_the_next_day_writes_only_the_rows_it_changes(company, engagements):
    evaluate_many({company.pk: D(2026, 3, 25)}, cause=Cause.MANUAL)
    versions = row_versions(engagements)
    # By 1 April only the one whose last session was on 10 March has changed: off track.
    counts = evaluate_many({company.pk: D(2026, 4, 1)}, cause=Cause.MANUAL)
    assert (counts.evaluated, counts.written, counts.transitions) == (5, 1, 1)
    changed = {pk for pk, ctid in row_versions(engagements).items() if versions[pk] != ctid}
    assert changed == {engagements[2].pk}


def test_the_day_evaluated_is_stored_once_per_run_and_rows_keep_the_day_they_were_written(
        company, engagements):
    evaluate_many({company.pk: D(2026, 3, 25)}, cause=Cause.MANUAL)
    runs = run_daily_evaluations([(company, D(2026, 3, 26))])
    assert [(run.company_id, run.day, run.evaluated) for run in runs] == [
        (company.pk, D(2026, 3, 26), 0)]
    assert set(Engagement.objects.values_list("progress_evaluated_on", flat=True)) == {
        D(2026, 3, 25), None}


def test_a_due_row_evaluated_again_on_its_day_updates_nothing(company, engagements):
    evaluate_many({company.pk: D(2026, 3, 25)}, cause=Cause.MANUAL)
    first = evaluate_many({company.pk: D(2026, 4, 21)}, cause=Cause.DAILY, only_due=True)
    assert (first.evaluated, first.written) == (2, 2)
    second = evaluate_many({company.pk: D(2026, 4, 21)}, cause=Cause.DAILY, only_due=True)
    assert (second.evaluated, second.written) == (0, 0)


def test_evaluating_one_engagement_again_writes_nothing(company, engagements):
    engagement = Engagement.objects.select_related("company").get(pk=engagements[0].pk)
    evaluate_engagement(engagement, cause=Cause.MANUAL, today=D(2026, 3, 25))
    versions = row_versions(engagements)
    assert evaluate_engagement(engagement, cause=Cause.MANUAL, today=D(2026, 3, 26)) is None
    assert row_versions(engagements) == versions
    engagement.refresh_from_db()
    assert (engagement.progress, engagement.progress_evaluated_on) == (Progress.OFF_TRACK,
                                                                       D(2026, 3, 25))


def test_one_statement_evaluates_many_companies(engagements, django_assert_num_queries):
    others = [factories.EngagementFactory(started_on=ACTIVATED) for _ in range(3)]
    days = {e.company_id: D(2026, 3, 25) for e in [*engagements, *others]}
    # The statement's settings (no JIT, work_mem); reading and deciding (read-only, so that
    # it may run in parallel) into a temporary table; writing what changed; dropping it.
    with django_assert_num_queries(4):
        counts = evaluate_many(days, cause=Cause.MANUAL)
    assert counts.evaluated == 8


def test_the_daily_run_of_many_companies_takes_a_fixed_number_of_queries(
        db, django_assert_num_queries):
    due = []
    for n in range(6):
        company = factories.CompanyFactory(slug=f"c{n}")
        for _ in range(2):
            engagement = factories.EngagementFactory(company=company, started_on=ACTIVATED)
            engagement = Engagement.objects.select_related("company").get(pk=engagement.pk)
            evaluate_engagement(engagement, cause=Cause.LAUNCH, today=ACTIVATED)
        due.append((company, D(2026, 3, 23)))
    # savepoint, advisory locks and the runs already done, the evaluation's settings, the
    # evaluation statement (which records the runs too), release savepoint — however many
    # companies and rows are due. (The
    # receivers of evaluation_committing count their own queries in their tests.)
    with mock.patch.object(evaluation_committing, "receivers", []), \
            django_assert_num_queries(5):
        runs = run_daily_evaluations(due)
    assert [run.transitions_count for run in runs] == [2] * 6
    assert EvaluationRun.objects.count() == 6
    # Again: every company's day is done, so only the locks and the lookup.
    with django_assert_num_queries(3):
        assert run_daily_evaluations(due) == []
    assert [(run.evaluated, run.off_track) for run in EvaluationRun.objects.all()] == [(2, 2)] * 6


def agenda():
    return sorted(ProgressDue.objects.values_list("day", "company_id", "engagement_id"))


def test_every_due_day_written_is_on_the_daily_runs_agenda(company, engagements):
    evaluate_many({company.pk: D(2026, 3, 25)}, cause=Cause.MANUAL)
    stored = Engagement.objects.filter(status__in=["active", "coach_matching"],
                                       progress_due_on__isnull=False) \
        .values_list("progress_due_on", "company_id", "id")
    assert agenda() == sorted(stored) and agenda()
    # One engagement evaluated at once: its new due day joins the agenda too.
    engagement = Engagement.objects.select_related("company").get(pk=engagements[0].pk)
    factories.SessionFactory(engagement=engagement, starts_at=at(D(2026, 5, 4)))
    evaluate_engagement(engagement, cause=Cause.SESSION, today=D(2026, 3, 25))
    assert (D(2026, 5, 4), company.pk, engagement.pk) in agenda()


def test_the_daily_run_takes_its_companies_days_from_the_agenda_and_drops_stale_ones(
        company, engagements):
    evaluate_many({company.pk: D(2026, 3, 25)}, cause=Cause.MANUAL)
    other = factories.EngagementFactory(started_on=ACTIVATED)
    evaluate_many({other.company_id: D(2026, 3, 25)}, cause=Cause.MANUAL)
    # A stale entry: a day that is no longer the engagement's due day (a later evaluation
    # moved it) is taken without reading the engagement again.
    ProgressDue.objects.create(day=D(2026, 3, 26), company=company, engagement=engagements[1])
    versions = row_versions(engagements)
    [run] = run_daily_evaluations([(company, D(2026, 3, 26))])
    assert (run.evaluated, run.transitions_count) == (0, 0)
    assert row_versions(engagements) == versions
    assert (D(2026, 3, 26), company.pk, engagements[1].pk) not in agenda()
    # On 21 April the session of 20 April has come: that engagement is due, evaluated, and
    # its next due day replaces the one taken; the other company's entries stay.
    before = agenda()
    [run] = run_daily_evaluations([(company, D(2026, 4, 21))])
    assert run.evaluated == 2
    taken = {entry for entry in before if entry[1] == company.pk and entry[0] <= D(2026, 4, 21)}
    assert taken and not taken & set(agenda())
    assert [entry for entry in agenda() if entry[1] == other.company_id] == [
        entry for entry in before if entry[1] == other.company_id]
    assert set(Engagement.objects.filter(company=company, status="active",
                                         progress_due_on__isnull=False)
               .values_list("progress_due_on", "company_id", "id")) <= set(agenda())


def test_the_daily_statement_reads_the_agenda_and_the_due_rows_only(company, engagements):
    # The agenda's primary key read as a range of days, the due engagements by theirs: no
    # scan of the engagements table (sequential scans made the last resort, the tables being
    # tiny here).
    statement, = evaluation._sql(evaluation.DUE_ROWS, record_runs=True)
    params = evaluation._params({company.pk: D(2026, 3, 25)}, cause=Cause.DAILY,
                                run_ids=[None], started_at=at(D(2026, 3, 25)))
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {statement}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "tracking_progressdue_pkey" in plan, plan
    assert "Seq Scan on engagements_engagement" not in plan, plan
