"""Two administrators ending the same engagement at once end it once."""

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection

from engagements import actions
from engagements.models import AuditEvent, Engagement
from tests import factories
from tracking import evaluation
from tracking.models import ProgressTransition

NOW = dt.datetime(2026, 4, 10, 12, tzinfo=dt.UTC)


@pytest.mark.django_db(transaction=True)
def test_two_administrators_ending_at_once_end_it_once(
        engagement, global_admin, location_admin, monkeypatch):
    engagement.progress = "on_track"
    engagement.save(update_fields=["progress"])
    first_holds_the_row = threading.Event()
    second_started = threading.Event()
    real_evaluate = evaluation.evaluate_engagement

    def slow_evaluate(*args, **kwargs):
        # The first administrator is inside their transaction, the row locked, when the
        # second one starts: the second must wait for the first to commit.
        if threading.current_thread().name == "first":
            first_holds_the_row.set()
            second_started.wait(timeout=10)
            threading.Event().wait(0.5)  # let the second reach the row lock
        return real_evaluate(*args, **kwargs)

    monkeypatch.setattr(evaluation, "evaluate_engagement", slow_evaluate)
    outcomes = {}

    def end(name, user, start_after=None):
        try:
            if start_after:
                start_after.wait(timeout=10)
                second_started.set()
            with time_machine.travel(NOW, tick=False):
                if name == "first":
                    actions.do_end_early(engagement.pk, by=user, reason="client_request")
                else:
                    actions.do_mark_complete(engagement.pk, by=user)
            outcomes[name] = "ended"
        except actions.AlreadyEnded as refusal:
            outcomes[name] = str(refusal)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=end, name="first", args=("first", global_admin)),
        threading.Thread(target=end, name="second",
                         args=("second", location_admin, first_holds_the_row)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert outcomes["first"] == "ended"
    assert "has already ended (ended early on 10 Apr 2026)" in outcomes["second"]
    engagement.refresh_from_db()
    assert engagement.status == Engagement.Status.ENDED_EARLY
    assert engagement.ended_by == global_admin
    assert AuditEvent.objects.filter(engagement=engagement).count() == 1
    assert ProgressTransition.objects.filter(
        engagement=engagement, cause=ProgressTransition.Cause.END).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_bulk_actions_over_overlapping_rows_act_once_each(
        owner_company, location, global_admin, location_admin):
    rows = factories.EngagementFactory.create_batch(
        4, company=owner_company, location=location, owner=global_admin)
    pks = [e.pk for e in rows]
    results = {}
    barrier = threading.Barrier(2)

    def bulk(name, user, selection):
        try:
            barrier.wait(timeout=10)
            with time_machine.travel(NOW, tick=False):
                results[name] = actions.do_mark_many_complete(selection, by=user)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=bulk, args=("a", global_admin, pks)),
        threading.Thread(target=bulk, args=("b", location_admin, list(reversed(pks[1:])))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    ended = [e.pk for result in results.values() for e in result.ended]
    assert sorted(ended) == sorted(pks)  # each row ended by exactly one of them
    skipped = [e.pk for result in results.values() for e in result.skipped]
    assert sorted(ended + skipped) == sorted(pks + pks[1:])
    assert AuditEvent.objects.filter(engagement__in=pks).count() == 4
