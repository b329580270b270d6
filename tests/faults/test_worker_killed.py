"""
A worker killed (SIGKILL) in the middle of the daily evaluation, and the next one killed in the
middle of sending: each following run completes the work; no engagement is left half
evaluated, no email is lost or sent twice.

Each worker is stopped at a known point by a test-only hook (tests/faults/hooks.py), then
killed: no timing luck. One day's work survives both crashes in turn (one test, so that the
servers start once).
"""

import datetime as dt

import pytest
from django.db import OperationalError, transaction
from django.db.models import F

from engagements.models import Engagement, Progress
from notifications import sender
from notifications.models import Nudge
from tests.faults.conftest import recipients, settle
from tests.faults.scenario import crossing_today
from tests.support.celery import wait_until
from tracking.models import EvaluationRun, ProgressTransition

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]


def progress_of(engagements):
    return list(Engagement.objects.filter(pk__in=[e.pk for e in engagements])
                .order_by("pk").values_list("progress", flat=True))


def test_workers_killed_mid_evaluation_then_mid_sending_lose_nothing_and_duplicate_nothing(
    stack, smtp_inbox, tmp_path
):
    company, off, on, expected = crossing_today("crashco")
    env = {"PROGRESS_EVALUATION_HOUR": "0", "SMTP_URL": f"smtp://127.0.0.1:{smtp_inbox.port}"}

    # 1. Killed in the middle of the evaluation.
    in_evaluation = tmp_path / "paused-in-evaluation"
    stack.worker("doomed-evaluating", env={
        **env, "OPTIFY_FAULT_PAUSE_AT": "evaluation_committing",
        "OPTIFY_FAULT_MARKER": str(in_evaluation)})
    stack.beat(env)
    wait_until(in_evaluation.exists, timeout=60, on_timeout=stack.log_text)

    # The worker is inside the company's evaluation, just before COMMIT. It has written the
    # engagements — it holds their row locks — and the outbox, yet nobody else sees any of it.
    with pytest.raises(OperationalError), transaction.atomic():
        list(Engagement.objects.select_for_update(nowait=True).filter(pk=off[0].pk))
    assert progress_of(off) == [Progress.ON_TRACK, Progress.ON_TRACK]
    assert not EvaluationRun.objects.exists()

    stack.kill("doomed-evaluating")

    # Its transaction died with its connection: not one engagement half evaluated.
    assert progress_of(off) == [Progress.ON_TRACK, Progress.ON_TRACK]
    assert not EvaluationRun.objects.exists()
    assert not ProgressTransition.objects.filter(cause="daily").exists()
    assert not Nudge.objects.exists()
    with transaction.atomic():  # and no lock is left behind
        assert len(Engagement.objects.select_for_update(nowait=True).filter(company=company)) == 3

    # 2. The next worker evaluates (beat's next tick schedules the company again), then is
    # killed in the middle of sending: its mailer delivers one email over SMTP and stops
    # before the second.
    in_sending = tmp_path / "paused-in-sending"
    stack.worker("doomed-sending", env={
        **env, "ANYMAIL_BACKEND": "tests.faults.hooks.PausingSMTPBackend",
        "ANYMAIL_OPTIONS": f'{{"host": "127.0.0.1", "port": {smtp_inbox.port}, '
                           f'"pause_before": 2, "marker": "{in_sending}"}}',
    })
    wait_until(in_sending.exists, timeout=60, on_timeout=stack.log_text)
    stack.kill("doomed-sending")

    run = EvaluationRun.objects.get()
    assert (run.evaluated, run.off_track, run.transitions_count) == (2, 2, 2)
    assert progress_of(off) == [Progress.OFF_TRACK, Progress.OFF_TRACK]
    # Killed between two emails: the first was delivered and recorded, the rest of the claimed
    # batch is "sending", leased to the dead worker.
    assert len(smtp_inbox.messages) == 1
    assert sorted(Nudge.objects.values_list("status", flat=True)) == ["sending"] * 4 + ["sent"]

    # 3. Ten minutes later the lease has run out (moved back here rather than waited for);
    # the next worker sends the rest.
    Nudge.objects.filter(status="sending").update(
        claimed_at=F("claimed_at") - sender.LEASE - dt.timedelta(seconds=1))
    stack.worker("next", env=env)
    wait_until(lambda: Nudge.objects.filter(status="sent").count() == 5, timeout=60,
               on_timeout=stack.log_text)
    settle(3)
    stack.stop()

    assert EvaluationRun.objects.get() == run  # evaluated once, whatever beat asked since
    assert progress_of([on]) == [Progress.ON_TRACK]
    assert ProgressTransition.objects.filter(cause="daily").count() == 2
    assert recipients(smtp_inbox) == expected  # each exactly once
    assert sorted(Nudge.objects.values_list("attempts", flat=True)) == [1, 2, 2, 2, 2]
    assert all(Nudge.objects.values_list("message_id", flat=True))
