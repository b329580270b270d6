"""
The daily run's outbox and webhook events say how many rows they wrote, on both engines
(this folder also runs on SQLite, whose driver counts nothing for a statement that begins
with WITH).
"""

import datetime as dt

from engagements.models import Engagement
from notifications import webhooks
from notifications.models import Nudge, NudgeItem, WebhookDelivery, WebhookEndpoint, WebhookMessage
from notifications.outbox import build_outbox_for_runs
from tests import factories
from tracking.evaluation import Cause, evaluate_engagement
from tracking.jobs import run_daily_evaluation

STARTED, DAY = dt.date(2026, 3, 2), dt.date(2026, 3, 23)


def test_the_daily_outbox_and_events_count_what_they_wrote(db):
    company = factories.CompanyFactory(slug="acme")
    admin = factories.AdminFactory(company=company)
    for _ in range(2):
        engagement = factories.EngagementFactory(
            company=company, owner=admin, started_on=STARTED, offtrack_notifications_enabled=True,
            template__tracking_threshold_days=21)
        engagement = Engagement.objects.select_related("company").get(pk=engagement.pk)
        evaluate_engagement(engagement, cause=Cause.LAUNCH, today=STARTED)
    endpoint = WebhookEndpoint(company=company, url="https://hooks.example.com/",
                               secret=webhooks.new_secret())
    endpoint.event_types = ["engagement.progress_changed"]
    endpoint.save()
    run = run_daily_evaluation(company, DAY)
    assert run.transitions_count == 2
    WebhookMessage.objects.all().delete()
    Nudge.objects.all().delete()

    assert webhooks.build_outbox_for_runs([run]) == 2
    assert WebhookDelivery.objects.count() == 2
    # Two coachees, their coaches and the owner; the owner's digest lists both.
    assert build_outbox_for_runs([run]) == Nudge.objects.count() == 5
    assert NudgeItem.objects.count() == 6


def test_a_day_without_flips_still_writes_the_reminders(db):
    # No run of the day wrote a transition, so no run's flips are read (on SQLite an empty
    # VALUES list cannot be written): the reminders still come, on both engines.
    company = factories.CompanyFactory(slug="acme")
    admin = factories.AdminFactory(company=company)
    engagement = factories.EngagementFactory(
        company=company, owner=admin, started_on=STARTED, offtrack_notifications_enabled=True,
        offtrack_reminder_every_days=7, template__tracking_threshold_days=21)
    engagement = Engagement.objects.select_related("company").get(pk=engagement.pk)
    evaluate_engagement(engagement, cause=Cause.LAUNCH, today=STARTED)
    assert run_daily_evaluation(company, DAY).transitions_count == 1
    Nudge.objects.all().delete()

    run = run_daily_evaluation(company, DAY + dt.timedelta(days=7))

    assert run.transitions_count == 0
    # The coachee, the coach and the owner, each reminded of the one engagement.
    assert Nudge.objects.count() == 3
    assert set(NudgeItem.objects.values_list("reason", "engagement_id")) == {
        (NudgeItem.Reason.REMINDER, engagement.pk)}
