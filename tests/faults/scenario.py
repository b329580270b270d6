"""Data for the fault tests, built relative to the real clock (the servers read it)."""

import datetime as dt

from engagements.models import Engagement
from tests import factories
from tracking.evaluation import Cause, evaluate_engagement


def launched(company, days_ago, **kwargs):
    """An active engagement (T = 21 days) evaluated on its launch day, as launching does."""
    engagement = factories.EngagementFactory(
        company=company, template__tracking_threshold_days=21,
        started_on=company.local_today() - dt.timedelta(days=days_ago), **kwargs,
    )
    engagement = Engagement.objects.select_related("company").get(pk=engagement.pk)
    evaluate_engagement(engagement, cause=Cause.LAUNCH, today=engagement.started_on)
    return engagement


def crossing_today(slug):
    """
    A company whose two engagements (one owner administrator) are due and off track today — 60
    days after launch with nothing scheduled — and one that is on track: five nudges owed
    (the administrator's digest of two, each coachee, each coach).
    """
    company = factories.CompanyFactory(slug=slug, name=slug.title(), timezone="UTC")
    owner = factories.AdminFactory(company=company, email=f"admin@{slug}.test")
    off = [launched(company, 60, owner=owner) for _ in range(2)]
    on = launched(company, 2, owner=owner)
    expected = sorted([owner.email] + [e.coachee.email for e in off] + [e.coach.email for e in off])
    return company, off, on, expected
