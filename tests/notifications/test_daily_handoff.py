"""The handoff from the daily evaluation (tracking.jobs) to the outbox, through the signal."""

import datetime as dt
import smtplib
import time

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from engagements.models import Engagement
from notifications import sender, webhooks
from notifications.models import Nudge, WebhookDelivery, WebhookEndpoint, WebhookMessage
from tests import factories
from tests.notifications.conftest import DAY
from tests.notifications.smtp import Inbox, free_port
from tests.support.celery import wait_until
from tracking.evaluation import Cause, evaluate_engagement
from tracking.jobs import run_daily_evaluation, run_daily_evaluations


def launched(company, started_on, **kwargs):
    engagement = factories.EngagementFactory(
        company=company, started_on=started_on, template__tracking_threshold_days=21, **kwargs
    )
    engagement = Engagement.objects.select_related("company").get(pk=engagement.pk)
    evaluate_engagement(engagement, cause=Cause.LAUNCH, today=started_on)
    return engagement


@pytest.mark.usefixtures("frozen")
def test_the_daily_evaluation_writes_the_outbox_in_its_transaction(
    owner_company, location, global_admin, coachee, coach
):
    launched(owner_company, dt.date(2026, 3, 2), location=location, owner=global_admin,
             coachee=coachee, coach=coach)

    run = run_daily_evaluation(owner_company, DAY)

    assert run.transitions_count == 1
    assert set(Nudge.objects.values_list("role", flat=True)) == {
        "coachee", "coach", "administrator"}


@pytest.mark.usefixtures("frozen")
def test_rerunning_the_daily_evaluation_for_the_same_day_adds_no_email(
    owner_company, location, global_admin
):
    launched(owner_company, dt.date(2026, 3, 2), location=location, owner=global_admin)
    run_daily_evaluation(owner_company, DAY)
    sender.send_due_nudges()

    assert run_daily_evaluation(owner_company, DAY) is None
    sender.send_due_nudges()

    assert len(mail.outbox) == 3
    assert Nudge.objects.count() == 3


@pytest.mark.usefixtures("frozen")
def test_a_dry_run_leaves_no_nudges(owner_company, location, global_admin):
    launched(owner_company, dt.date(2026, 3, 2), location=location, owner=global_admin)

    run_daily_evaluation(owner_company, DAY, dry_run=True)

    assert not Nudge.objects.exists()


@pytest.mark.celery(redis_db=2)
@pytest.mark.django_db(transaction=True)
def test_beat_and_two_workers_send_each_nudge_once_over_smtp(celery_processes):
    # The worker and beat read the real clock, so the engagement is built relative to the
    # company's local today: launched 60 days ago with T = 21, it is off track today.
    company = factories.CompanyFactory(slug="e2e", name="E2E Ltd", timezone="UTC")
    off = launched(company, company.local_today() - dt.timedelta(days=60))
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    try:
        celery_processes.start(workers=2, beat=True, env={
            "PROGRESS_EVALUATION_HOUR": "0",
            "SMTP_URL": f"smtp://127.0.0.1:{smtp.port}",
            "SITE_URL": "https://optify.test",
        })
        wait_until(lambda: Nudge.objects.filter(status="sent").count() == 3, timeout=120,
                   on_timeout=celery_processes.log_text)
        # Beat ticks every 2 s (evaluation and sender): nothing may go out twice.
        time.sleep(6)
        celery_processes.stop()
    finally:
        smtp.stop()

    recipients = sorted(to for tos, _ in inbox.messages for to in tos)
    assert recipients == sorted([off.coachee.email, off.coach.email, off.owner.email])
    for _, message in inbox.messages:
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert f"https://optify.test/engagements/{off.pk}/" in message.get_body(
            ("plain",)).get_content()
    assert set(Nudge.objects.values_list("attempts", flat=True)) == {1}


def test_smtp_errors_count_as_retryable():
    assert issubclass(smtplib.SMTPServerDisconnected, sender.RETRYABLE)


def _companies_going_off_track(n, start):
    """`n` companies, each with an engagement that goes off track on DAY (nudges owed to its
    coachee, coach and owner) and a webhook endpoint listening to progress changes."""
    due = []
    for k in range(start, start + n):
        company = factories.CompanyFactory(slug=f"co{k}")
        admin = factories.AdminFactory(company=company)
        launched(company, dt.date(2026, 3, 2), owner=admin,
                 template__offtrack_notifications_enabled=True,
                 offtrack_notifications_enabled=True)
        endpoint = WebhookEndpoint(company=company, url="https://hooks.example.com/",
                                   secret=webhooks.new_secret())
        endpoint.event_types = ["engagement.progress_changed"]
        endpoint.save()
        due.append((company, DAY))
    return due


@pytest.mark.usefixtures("frozen")
def test_the_outbox_and_the_webhooks_of_a_daily_run_cost_the_same_for_two_or_six_companies(db):
    # The receivers run once for all the companies evaluated together: the nudges (two
    # statements), the webhook events (two), whatever the number of companies.
    counts = []
    for n, start in ((2, 0), (6, 2)):
        due = _companies_going_off_track(n, start)
        with CaptureQueriesContext(connection) as queries:
            runs = run_daily_evaluations(due)
        assert [run.transitions_count for run in runs] == [1] * n
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert Nudge.objects.count() == 3 * 8
    assert WebhookMessage.objects.count() == 8 and WebhookDelivery.objects.count() == 8
