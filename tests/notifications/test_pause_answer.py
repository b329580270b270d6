"""
The coach who asked for a pause is told the answer, by email, once the answer has committed
(the actions' after-commit hook), and never for an answer that was rolled back.
"""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.db import transaction

from accounts.models import User
from engagements import actions
from engagements.models import Pause
from optify.celery import app
from tests import factories

NOW = dt.datetime(2026, 4, 1, 12, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _in_process():
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    with time_machine.travel(NOW, tick=False):
        yield
    app.conf.task_always_eager = eager


def answers():
    # The factory's engagement was never evaluated: the answer's evaluation finds it off track
    # (since 23 Mar) and nudges about that too. Only the answers here.
    return [m for m in mail.outbox if m.subject.startswith("Pause")]


@pytest.fixture
def request_(engagement, coach):
    return factories.PauseFactory(engagement=engagement, starts_on=dt.date(2026, 4, 6),
                                  ends_on=dt.date(2026, 4, 10), status=Pause.Status.REQUESTED,
                                  requested_by=coach)


def test_the_coach_is_told_the_request_was_approved(
        engagement, global_admin, coach, request_, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_approve_pause(request_, by=global_admin)
    [message] = answers()
    assert message.to == [coach.email]
    assert message.subject == "Pause approved for Cole Coachee · Acme"
    assert ("Ada Admin approved your request to pause tracking Cole Coachee's engagement from "
            "6 Apr 2026 to 10 Apr 2026") in message.body
    assert f"https://optify.test/engagements/{engagement.pk}/" in message.body
    assert "See the engagement" in message.alternatives[0].content


def test_the_coach_is_told_the_request_was_declined(
        engagement, global_admin, coach, request_, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_decline_pause(request_, by=global_admin)
    [message] = answers()
    assert message.subject == "Pause declined for Cole Coachee · Acme"
    assert "Ada Admin declined your request" in message.body


def test_nothing_is_sent_for_an_answer_rolled_back_or_to_an_inactive_coach(
        engagement, global_admin, coach, request_, django_capture_on_commit_callbacks):
    with (django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError),
          transaction.atomic()):
        actions.do_approve_pause(request_, by=global_admin)
        raise RuntimeError("rolled back")
    assert answers() == []
    User.objects.filter(pk=coach.pk).update(status=User.Status.INACTIVE)
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_approve_pause(request_, by=global_admin)
    assert answers() == []


def test_a_pause_set_by_an_administrator_sends_nothing(
        engagement, global_admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_pause_engagement(engagement, by=global_admin, starts_on=dt.date(2026, 4, 1),
                                    ends_on=dt.date(2026, 4, 3), reason="leave")
    assert answers() == []
