import datetime as dt

import pytest
import time_machine

from engagements.models import Engagement
from tests.support.celery import celery_processes  # noqa: F401 (a fixture, for this package)
from tracking.models import EvaluationRun, ProgressTransition

DAY = dt.date(2026, 3, 23)  # DESIGN.md's worked example: activated 2 March, T = 21 days
MORNING = dt.datetime(2026, 3, 23, 7, 0, tzinfo=dt.UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(MORNING, tick=False) as traveller:
        yield traveller


@pytest.fixture
def make_run():
    def make(company, day=DAY):
        run, _ = EvaluationRun.objects.get_or_create(
            company=company, day=day, defaults={"started_at": MORNING}
        )
        return run

    return make


@pytest.fixture
def turn_off_track():
    """What the daily evaluation leaves behind for `engagements`: progress + transition rows."""

    def turn(run, *engagements, since=None):
        since = since or run.day
        for engagement in engagements:
            Engagement.objects.filter(pk=engagement.pk).update(
                progress="off_track", off_track_since=since
            )
        ProgressTransition.objects.bulk_create(
            ProgressTransition(
                engagement=e, company_id=e.company_id, from_status="on_track",
                to_status="off_track", day=since, cause="daily", run=run,
            )
            for e in engagements
        )
        # As the evaluation counts them: the outbox reads the flips of runs that wrote some.
        run.transitions_count += len(engagements)
        EvaluationRun.objects.filter(pk=run.pk).update(transitions_count=run.transitions_count)

    return turn
