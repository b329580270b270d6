"""
The daily outbox while another transaction writes one of the day's nudges (an at-once flip's):
the daily statement's ON CONFLICT waits for it, and its items still join it once it commits.
"""

import threading
import time

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from notifications.models import Nudge, NudgeItem, Role
from notifications.outbox import build_outbox
from tests.notifications.conftest import DAY


def _waits_for_a_lock(pid):
    """Whether backend `pid` waits for a lock (asked on this thread's own connection)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = %s",
                       [pid])
        row = cursor.fetchone()
    return bool(row and row[0])


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("frozen")
def test_a_nudge_committed_meanwhile_gets_its_items(engagement, coachee, make_run,
                                                    turn_off_track):
    run = make_run(engagement.company)
    turn_off_track(run, engagement)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (daily_pid,) = cursor.fetchone()
    written, failures = threading.Event(), []

    def at_once_flip():
        # The coachee's nudge of the day, written by another transaction that commits only
        # once the daily statement waits for it.
        try:
            with transaction.atomic():
                Nudge.objects.create(company=engagement.company, recipient=coachee,
                                     role=Role.COACHEE, day=DAY)
                written.set()
                for _ in range(3000):
                    if _waits_for_a_lock(daily_pid):
                        break
                    time.sleep(0.01)
                else:
                    failures.append("the daily statement never waited for the nudge")
        except Exception as error:  # reported below, in the test's own thread
            failures.append(error)
        finally:
            written.set()
            connections.close_all()

    thread = threading.Thread(target=at_once_flip)
    thread.start()
    try:
        assert written.wait(timeout=30)
        with CaptureQueriesContext(connection) as queries:
            created = build_outbox(run)
    finally:
        thread.join(timeout=60)
    assert failures == []

    assert created == 2  # the coach's and the owner's; the coachee's was there
    theirs = Nudge.objects.get(role=Role.COACHEE)
    assert list(theirs.items.values_list("engagement_id", flat=True)) == [engagement.pk]
    assert NudgeItem.objects.count() == 3
    # The statement that wrote the new nudges and their items, then the items statement,
    # in a snapshot that sees the nudge committed meanwhile.
    assert len(queries) == 2
