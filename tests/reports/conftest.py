import datetime as dt

import pytest
import time_machine

from engagements.models import Progress
from tests import factories
from tracking.models import ProgressTransition

# A Wednesday: the current week runs Monday 2026-05-18 to today.
TODAY = dt.date(2026, 5, 20)


@pytest.fixture
def frozen():
    with time_machine.travel(dt.datetime(2026, 5, 20, 12, tzinfo=dt.UTC), tick=False) as t:
        yield t


def flip(engagement, day, to_status, from_status=None):
    """Record a progress change in the history, as tracking/ does."""
    if from_status is None:
        last = engagement.progress_transitions.order_by("-day", "-pk").first()
        from_status = last.to_status if last else Progress.NOT_TRACKED
    return ProgressTransition.objects.create(
        engagement=engagement, company=engagement.company, from_status=from_status,
        to_status=to_status, day=day, cause=ProgressTransition.Cause.DAILY,
    )


@pytest.fixture
def make_engagement(owner_company, location, global_admin, coach):
    """An Acme engagement in London coached by the standing coach, with the given progress."""

    def make(progress=Progress.ON_TRACK, off_track_since=None, **fields):
        fields.setdefault("company", owner_company)
        fields.setdefault("location", location)
        fields.setdefault("owner", global_admin)
        fields.setdefault("coach", coach)
        if "coachee" not in fields:
            fields["coachee"] = factories.UserFactory(company=owner_company)
        return factories.EngagementFactory(
            progress=progress, off_track_since=off_track_since, **fields
        )

    return make
