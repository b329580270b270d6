"""
Redis (the Celery broker) stopped: pages keep working, and the evaluation and the emails owed
meanwhile happen once Redis is back, once each.

Real servers: a Redis of this test's own (stopping it disturbs no one), gunicorn, a Celery
worker and beat, and an SMTP catcher.
"""

import datetime as dt
import re
import time

import pytest
import requests
from django.contrib.auth.hashers import PBKDF2PasswordHasher, make_password

from engagements.models import Engagement
from notifications.models import Nudge, NudgeItem
from tests import factories
from tests.faults.conftest import recipients, settle
from tests.faults.scenario import crossing_today, launched
from tests.support.celery import wait_until
from tracking.models import EvaluationRun

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]

PASSWORD = "a long enough passphrase 42"


class QuickPBKDF2(PBKDF2PasswordHasher):
    iterations = 1000  # stored in the hash, so the server (full PBKDF2) still verifies it


def can_sign_in(user):
    # The server checks with its own (production) hashers, not the suite's MD5.
    user.password = make_password(PASSWORD, hasher=QuickPBKDF2())
    user.save(update_fields=["password"])
    return user


def signed_in(base, user):
    session = requests.Session()
    page = session.get(f"{base}/accounts/sign-in/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = session.post(f"{base}/accounts/sign-in/", timeout=30, data={
        "csrfmiddlewaretoken": token, "username": user.email, "password": PASSWORD})
    assert response.status_code == 200 and "sessionid" in session.cookies, response.text[:500]
    return session


def csrf_token(session, url):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"',
                     session.get(url, timeout=30).text).group(1)


def a_failed_nudge():
    """Yesterday's nudge of another company that the provider refused: to be re-sent."""
    company = factories.CompanyFactory(slug="oldco", name="Oldco", timezone="UTC")
    engagement = launched(company, 60)
    Engagement.objects.filter(pk=engagement.pk).update(
        progress="off_track", off_track_since=engagement.started_on + dt.timedelta(days=21))
    nudge = Nudge.objects.create(
        company=company, recipient=engagement.coachee, role="coachee",
        day=company.local_today() - dt.timedelta(days=1), status="failed", attempts=12,
        last_error="AnymailAPIError: 503")
    NudgeItem.objects.create(nudge=nudge, engagement=engagement,
                             off_track_since=engagement.off_track_since)
    return nudge


def test_pages_work_while_redis_is_down_and_what_is_owed_happens_once_it_is_back(
    stack, redis_server, smtp_inbox
):
    env = {"PROGRESS_EVALUATION_HOUR": "0", "SMTP_URL": f"smtp://127.0.0.1:{smtp_inbox.port}"}
    stack.worker("worker", env=env)
    stack.beat(env)
    base = stack.gunicorn()
    redis_server.stop()

    # Data arrives while the broker is down: a company whose engagements cross today, and a
    # failed nudge that an operator re-sends from the admin.
    company, off, on, expected = crossing_today("brokerless")
    admin = can_sign_in(off[0].owner)
    staff = can_sign_in(factories.UserFactory(company=company, is_staff=True,
                                              is_superuser=True, email="ops@brokerless.test"))
    failed = a_failed_nudge()

    session = signed_in(base, admin)
    for path in ["/", "/engagements/", f"/engagements/{off[0].pk}/"]:
        response = session.get(base + path, timeout=30)
        assert response.status_code == 200, (path, response.text[:500])
    assert off[0].coachee.full_name in session.get(f"{base}/engagements/", timeout=30).text
    health = requests.get(f"{base}/healthz", timeout=30)
    assert health.status_code == 200  # pages work: the load balancer keeps this server
    assert health.json()["status"] == "degraded"
    assert health.json()["database"] == "ok"
    assert health.json()["broker"].startswith("error")

    # The admin's re-send queues the sender after commit: with no broker, the rows are still
    # pending and the request succeeds.
    operator = signed_in(base, staff)
    changelist = f"{base}/admin/notifications/nudge/"
    response = operator.post(changelist, timeout=60, allow_redirects=False, data={
        "csrfmiddlewaretoken": csrf_token(operator, changelist), "action": "resend_nudges",
        "_selected_action": [failed.pk]})
    assert response.status_code == 302, response.text[:500]
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == ("pending", 0)

    time.sleep(3)  # beat ticks every 2 s; none of its tasks reaches a worker
    assert not EvaluationRun.objects.exists()
    assert not Nudge.objects.filter(status="sent").exists()

    redis_server.start()
    wait_until(lambda: Nudge.objects.filter(status="sent").count() == 6, timeout=60,
               on_timeout=stack.log_text)
    settle(3)
    stack.stop()

    assert EvaluationRun.objects.filter(company=company).count() == 1
    assert recipients(smtp_inbox) == sorted([*expected, failed.recipient.email])  # each once
    assert set(Nudge.objects.values_list("status", "attempts")) == {("sent", 1)}
