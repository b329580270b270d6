"""
Changes through the API are the actions' own, so whatever follows an action follows them too:
the webhook events in the change's transaction and the calendar invitations after commit.
"""

import datetime as dt

import icalendar
import pytest
import time_machine
from django.core import mail

from engagements.models import Engagement
from notifications import webhooks
from notifications.models import WebhookEndpoint, WebhookMessage
from optify.celery import app as celery_app

NOW = dt.datetime(2026, 3, 23, 7, 0, tzinfo=dt.UTC)
STARTS = "2026-03-30T13:00:00Z"


@pytest.fixture(autouse=True)
def _eager():
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    with time_machine.travel(NOW, tick=False):
        yield
    celery_app.conf.task_always_eager = eager


def test_a_session_scheduled_moved_and_cancelled_through_the_api(
        api_as, engagement, coach, coachee, django_capture_on_commit_callbacks):
    Engagement.objects.filter(pk=engagement.pk).update(progress="off_track",
                                                       off_track_since=dt.date(2026, 3, 23))
    endpoint = WebhookEndpoint(company=engagement.company, url="https://hooks.example.com/",
                               secret=webhooks.new_secret())
    endpoint.event_types = ["engagement.progress_changed", "session.scheduled",
                            "session.moved", "session.cancelled"]
    endpoint.save()
    client = api_as(coach)
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post("/api/v1/sessions/", {"engagement": engagement.pk,
                                                    "starts_at": STARTS}, format="json")
    assert created.status_code == 201, created.content
    session = created.json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/api/v1/sessions/{session}/move/",
                           {"starts_at": "2026-03-31T13:00:00Z"}, format="json").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/api/v1/sessions/{session}/cancel/", {"reason": "Ill"},
                           format="json").status_code == 200

    types = list(WebhookMessage.objects.order_by("pk").values_list("type", flat=True))
    assert types == ["engagement.progress_changed", "session.scheduled", "session.moved",
                     "session.cancelled"]
    for person in (coachee, coach):
        sent = [icalendar.Calendar.from_ical(m.attachments[0][1]) for m in mail.outbox
                if m.to == [person.email] and m.attachments]
        assert [str(calendar["method"]) for calendar in sent] == ["REQUEST", "REQUEST",
                                                                   "CANCEL"]
        assert len({str(c.walk("VEVENT")[0]["uid"]) for c in sent}) == 1
