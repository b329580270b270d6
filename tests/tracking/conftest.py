import datetime as dt

import pytest

from engagements.models import Engagement
from tests import factories
from tests.support.celery import celery_processes  # noqa: F401 (a fixture, for this package)
from tracking.evaluation import Cause, evaluate_engagement, evaluate_many


def stored(engagement):
    engagement.refresh_from_db()
    return (engagement.progress, engagement.off_track_since, engagement.last_activity_on,
            engagement.next_event_on, engagement.progress_due_on)


@pytest.fixture
def check():
    """
    check(engagement, today) -> the engagement, evaluated on `today` by evaluate_engagement()
    and then by the set-based evaluation of its company, asserting both stored the same.
    """

    def run(engagement, today):
        engagement = Engagement.objects.select_related("company").get(pk=engagement.pk)
        evaluate_engagement(engagement, cause=Cause.MANUAL, today=today)
        one = stored(engagement)
        evaluate_many({engagement.company_id: today}, cause=Cause.MANUAL)
        assert stored(engagement) == one, "set-based evaluation disagrees with the single one"
        return engagement

    return run


def at(day, hour=10, tz=dt.UTC):
    return dt.datetime.combine(day, dt.time(hour), tzinfo=tz)


@pytest.fixture
def tracked(db):
    """An active 1:1 engagement, T = 21 days, activated 2026-03-02 (DESIGN.md's examples)."""
    return factories.EngagementFactory(started_on=dt.date(2026, 3, 2),
                                       template__tracking_threshold_days=21)


