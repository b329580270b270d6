"""The daily job end to end: a real `celery beat` and real `celery worker`s against Redis."""

import datetime as dt
import time

import pytest

from engagements.models import Engagement, Progress
from tests import factories
from tests.support.celery import wait_until
from tracking.evaluation import Cause, evaluate_engagement
from tracking.models import EvaluationRun, ProgressTransition


def launched(company, days_ago):
    engagement = factories.EngagementFactory(
        company=company, template__tracking_threshold_days=21,
        started_on=company.local_today() - dt.timedelta(days=days_ago),
    )
    engagement = Engagement.objects.select_related("company").get(pk=engagement.pk)
    evaluate_engagement(engagement, cause=Cause.LAUNCH, today=engagement.started_on)
    return engagement


@pytest.mark.celery(redis_db=1)
@pytest.mark.django_db(transaction=True)
def test_beat_and_two_workers_evaluate_each_company_once_on_its_local_day(celery_processes):
    # The subprocesses read the real clock, so the data is built relative to each company's
    # local today (60 days ago is off track on that day and the next, whatever the hour).
    auckland = factories.CompanyFactory(slug="auckland", timezone="Pacific/Auckland")
    honolulu = factories.CompanyFactory(slug="honolulu", timezone="Pacific/Honolulu")
    off = [launched(auckland, 60), launched(honolulu, 60)]
    on = launched(honolulu, 2)
    expected_days = {
        company.pk: {company.local_today(), company.local_today() + dt.timedelta(days=1)}
        for company in (auckland, honolulu)
    }

    # Hour 0: every company is past its evaluation hour, so beat's first tick schedules both.
    celery_processes.start(workers=2, beat=True, env={"PROGRESS_EVALUATION_HOUR": "0"})
    wait_until(lambda: EvaluationRun.objects.filter(finished_at__isnull=False).count() == 2,
               timeout=90, on_timeout=celery_processes.log_text)
    # Let beat tick a few more times (every 2 s): the runs are done, nothing happens twice.
    time.sleep(6)
    celery_processes.stop()

    runs = list(EvaluationRun.objects.all())
    assert len(runs) == 2
    for run in runs:
        assert run.day in expected_days[run.company_id]
        assert (run.off_track, run.transitions_count) == (1, 1)
    for engagement in off:
        engagement.refresh_from_db()
        assert engagement.progress == Progress.OFF_TRACK
        assert engagement.off_track_since == engagement.started_on + dt.timedelta(days=21)
    transitions = ProgressTransition.objects.filter(cause=Cause.DAILY)
    assert sorted(transitions.values_list("engagement_id", flat=True)) == sorted(
        e.pk for e in off)
    assert all(t.run_id for t in transitions)
    on.refresh_from_db()
    assert on.progress == Progress.ON_TRACK
