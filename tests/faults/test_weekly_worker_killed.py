"""
The weekly programme digest under a killed worker (SIGKILL): once in the middle of building
the week's digests (before COMMIT), once in the middle of sending them. The next worker does
the rest: every administrator gets their digest exactly once, none is lost.

Each worker is stopped at a known point by a test-only hook (tests/faults/hooks.py) and then
killed; the hook also builds for a fixed Monday 08:30, whatever the real clock says. Beat is
not run: the test queues what its hourly and minute ticks would.
"""

import datetime as dt

import pytest
from celery import Celery
from django.db.models import F

from engagements.models import Progress
from notifications import sender
from notifications.models import Nudge, Role
from tests import factories
from tests.faults.conftest import recipients, settle
from tests.support.celery import wait_until

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]

MONDAY_MORNING = "2026-03-23T08:30:00+00:00"


def test_weekly_digests_survive_a_worker_killed_mid_build_then_mid_sending(
        stack, smtp_inbox, tmp_path):
    company = factories.CompanyFactory(slug="weekly-crash", name="Weekly Crash",
                                       timezone="UTC")
    admins = [factories.AdminFactory(company=company, email=f"admin{i}@weekly.test")
              for i in range(3)]
    for admin in admins:
        factories.EngagementFactory(company=company, owner=admin, progress=Progress.OFF_TRACK,
                                    off_track_since=dt.date(2026, 3, 18))
    expected = sorted(admin.email for admin in admins)
    client = Celery(broker=stack.redis_url)  # the stack's own Redis, as beat would use
    env = {"SMTP_URL": f"smtp://127.0.0.1:{smtp_inbox.port}",
           "OPTIFY_FAULT_NOW": MONDAY_MORNING}

    # 1. Killed while building, before its transaction commits: nothing is written.
    in_build = tmp_path / "paused-in-build"
    stack.worker("doomed-building", env={**env, "OPTIFY_FAULT_PAUSE_AT": "weekly_built",
                                         "OPTIFY_FAULT_MARKER": str(in_build)})
    client.send_task("notifications.build_weekly_digests")
    wait_until(in_build.exists, timeout=60, on_timeout=stack.log_text)
    assert not Nudge.objects.exists()  # written, not committed: nobody else sees it
    stack.kill("doomed-building")
    assert not Nudge.objects.exists()

    # 2. Beat's next hourly tick builds again; this worker commits the digests, and its
    # sender delivers one email over SMTP and is killed before the second.
    in_sending = tmp_path / "paused-in-sending"
    stack.worker("doomed-sending", env={
        **env, "ANYMAIL_BACKEND": "tests.faults.hooks.PausingSMTPBackend",
        "ANYMAIL_OPTIONS": f'{{"host": "127.0.0.1", "port": {smtp_inbox.port}, '
                           f'"pause_before": 2, "marker": "{in_sending}"}}',
    })
    client.send_task("notifications.build_weekly_digests")
    wait_until(in_sending.exists, timeout=60, on_timeout=stack.log_text)
    stack.kill("doomed-sending")

    digests = Nudge.objects.filter(role=Role.WEEKLY_DIGEST)
    assert sorted(digests.values_list("recipient__email", flat=True)) == expected
    assert set(digests.values_list("day", flat=True)) == {dt.date(2026, 3, 23)}
    assert len(smtp_inbox.messages) == 1
    assert sorted(digests.values_list("status", flat=True)) == ["sending"] * 2 + ["sent"]

    # 3. Once the lease has run out (moved back here rather than waited for), the next
    # worker sends the rest; a third build of the same Monday adds nothing.
    digests.filter(status="sending").update(
        claimed_at=F("claimed_at") - sender.LEASE - dt.timedelta(seconds=1))
    stack.worker("next", env=env)
    client.send_task("notifications.build_weekly_digests")
    client.send_task("notifications.send_pending_nudges")
    wait_until(lambda: digests.filter(status="sent").count() == 3, timeout=60,
               on_timeout=stack.log_text)
    settle(3)
    stack.stop()

    assert digests.count() == 3
    assert recipients(smtp_inbox) == expected  # each exactly once
    assert sorted(digests.values_list("attempts", flat=True)) == [1, 2, 2]
