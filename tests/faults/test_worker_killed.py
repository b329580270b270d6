"""
A worker killed (SIGKILL) in the middle of the daily evaluation and in the middle of sending:
the next run completes the work, nothing is half done, no email is lost or sent twice.

The worker is stopped at a known point by a test-only hook (tests/faults/hooks.py), then
killed: no timing luck.
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


def test_a_worker_killed_mid_evaluation_commits_nothing_and_the_next_run_completes_it(
    stack, smtp_inbox, tmp_path
):
    company, off, on, expected = crossing_today("crashco")
    env = {"PROGRESS_EVALUATION_HOUR": "0", "SMTP_URL": f"smtp://127.0.0.1:{smtp_inbox.port}"}
    marker = tmp_path / "paused"
    stack.worker("doomed", env={**env, "OPTIFY_FAULT_PAUSE_AT": "evaluation_committing",
                                "OPTIFY_FAULT_MARKER": str(marker)})
    stack.beat(env)
    wait_until(marker.exists, timeout=60, on_timeout=stack.log_text)

    # The worker is inside the company's evaluation, just before COMMIT. It has written the
    # engagements — it holds their row locks — yet nobody else sees any of it.
    with pytest.raises(OperationalError), transaction.atomic():
        list(Engagement.objects.select_for_update(nowait=True).filter(pk=off[0].pk))
    assert progress_of(off) == [Progress.ON_TRACK, Progress.ON_TRACK]
    assert not EvaluationRun.objects.exists()

    stack.kill("doomed")

    # Its transaction died with its connection: not one engagement half evaluated.
    assert progress_of(off) == [Progress.ON_TRACK, Progress.ON_TRACK]
    assert not EvaluationRun.objects.exists()
    assert not ProgressTransition.objects.filter(cause="daily").exists()
    assert not Nudge.objects.exists()
    with transaction.atomic():  # and no lock is left behind
        assert len(Engagement.objects.select_for_update(nowait=True).filter(company=company)) == 3

    # The next worker: beat's next tick schedules the company again; it is done once.
    stack.worker("next", env=env)
    wait_until(lambda: Nudge.objects.filter(status="sent").count() == 5, timeout=60,
               on_timeout=stack.log_text)
    settle(4)
    stack.stop()

    run = EvaluationRun.objects.get()
    assert (run.evaluated, run.off_track, run.transitions_count) == (2, 2, 2)
    assert progress_of(off) == [Progress.OFF_TRACK, Progress.OFF_TRACK]
    assert progress_of([on]) == [Progress.ON_TRACK]
    assert ProgressTransition.objects.filter(cause="daily", run=run).count() == 2
    assert recipients(smtp_inbox) == expected  # each once
    assert set(Nudge.objects.values_list("status", "attempts")) == {("sent", 1)}


def test_a_worker_killed_mid_sending_loses_no_email_and_sends_none_twice(
    stack, smtp_inbox, tmp_path
):
    company, off, on, expected = crossing_today("sendco")
    env = {"PROGRESS_EVALUATION_HOUR": "0", "SMTP_URL": f"smtp://127.0.0.1:{smtp_inbox.port}"}
    marker = tmp_path / "paused"
    # The doomed worker's mailer delivers one email over SMTP, then stops before the second.
    stack.worker("doomed", env={
        **env, "ANYMAIL_BACKEND": "tests.faults.hooks.PausingSMTPBackend",
        "ANYMAIL_OPTIONS": f'{{"host": "127.0.0.1", "port": {smtp_inbox.port}, '
                           f'"pause_before": 2, "marker": "{marker}"}}',
    })
    stack.beat(env)
    wait_until(marker.exists, timeout=60, on_timeout=stack.log_text)
    stack.kill("doomed")

    # Killed between two emails: the first was delivered and recorded, the rest of the claimed
    # batch is "sending", leased to the dead worker.
    assert len(smtp_inbox.messages) == 1
    assert sorted(Nudge.objects.values_list("status", flat=True)) == ["sending"] * 4 + ["sent"]
    assert EvaluationRun.objects.count() == 1

    # Ten minutes later the lease has run out (moved back here rather than waited for).
    Nudge.objects.filter(status="sending").update(
        claimed_at=F("claimed_at") - sender.LEASE - dt.timedelta(seconds=1))
    stack.worker("next", env=env)
    wait_until(lambda: Nudge.objects.filter(status="sent").count() == 5, timeout=60,
               on_timeout=stack.log_text)
    settle(4)
    stack.stop()

    assert recipients(smtp_inbox) == expected  # each exactly once
    first = Nudge.objects.filter(attempts=1).get()
    assert first.message_id
    assert sorted(Nudge.objects.values_list("attempts", flat=True)) == [1, 2, 2, 2, 2]
    assert EvaluationRun.objects.count() == 1
