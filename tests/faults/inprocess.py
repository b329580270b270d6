"""The in-process scenario of the time-travelling fault tests: DESIGN.md's worked example."""

import datetime as dt

from anymail.exceptions import AnymailAPIError
from django.core.mail.backends.locmem import EmailBackend
from django.utils import timezone

from engagements.models import Engagement
from tests import factories
from tracking.evaluation import Cause, evaluate_engagement

DAY = dt.date(2026, 3, 23)  # activated 2 March, T = 21 days: off track on the 23rd
MORNING = dt.datetime(2026, 3, 23, 7, 0, tzinfo=dt.UTC)


def two_crossing_on_day(slug="acme"):
    """A company with two engagements (one owner) that go off track on DAY; five nudges owed."""
    company = factories.CompanyFactory(slug=slug, name=slug.title(), timezone="UTC")
    owner = factories.AdminFactory(company=company, email=f"admin@{slug}.test")
    engagements = []
    for _ in range(2):
        engagement = factories.EngagementFactory(
            company=company, owner=owner, started_on=dt.date(2026, 3, 2),
            template__tracking_threshold_days=21,
        )
        engagement = Engagement.objects.select_related("company").get(pk=engagement.pk)
        evaluate_engagement(engagement, cause=Cause.LAUNCH, today=engagement.started_on)
        engagements.append(engagement)
    expected = sorted([owner.email] + [e.coachee.email for e in engagements]
                      + [e.coach.email for e in engagements])
    return company, engagements, expected


class OutageBackend(EmailBackend):
    """A provider that answers 503 until `down_until`, then accepts (into mail.outbox)."""

    down_until = None
    attempts = []  # (recipient, moment) of every message handed to it

    def send_messages(self, messages):
        for message in messages:
            OutageBackend.attempts.append((message.to[0], timezone.now()))
        if timezone.now() < OutageBackend.down_until:
            raise AnymailAPIError("503 Service Unavailable")
        return super().send_messages(messages)
