"""
The mail provider fails for an hour, then recovers: every nudge is delivered once, on the
documented backoff schedule (notifications/sender.py), and none is given up as "failed".
"""

import datetime as dt

import pytest
import time_machine
from django.core import mail

from notifications import sender
from notifications.models import Nudge
from tests.faults.inprocess import DAY, MORNING, OutageBackend, two_crossing_on_day
from tracking.jobs import run_daily_evaluation

OUTAGE = dt.timedelta(hours=1)


@pytest.fixture
def provider(settings):
    settings.MAILERS = {"default": {"BACKEND": "tests.faults.inprocess.OutageBackend"}}
    OutageBackend.down_until = MORNING + OUTAGE
    OutageBackend.attempts = []
    return OutageBackend


def test_the_backoff_schedule_outlasts_a_provider_outage_of_several_hours():
    waits = [sender.backoff(attempt) for attempt in range(1, sender.MAX_ATTEMPTS)]
    assert [w // dt.timedelta(minutes=1) for w in waits] == [1, 2, 4, 8, 16, 32] + [60] * 5
    assert sum(waits, dt.timedelta()) == dt.timedelta(minutes=363)


@pytest.mark.django_db
def test_a_provider_down_for_an_hour_then_back_delivers_every_nudge_once(provider):
    with time_machine.travel(MORNING, tick=False) as clock:
        company, engagements, expected = two_crossing_on_day()
        run_daily_evaluation(company, DAY)
        assert Nudge.objects.count() == 5
        # Beat runs the sender every minute; three hours of ticks.
        for minute in range(3 * 60):
            clock.move_to(MORNING + dt.timedelta(minutes=minute))
            sender.send_due_nudges()

    assert sorted(m.to[0] for m in mail.outbox) == expected  # each recipient once
    assert set(Nudge.objects.values_list("status", "attempts", "last_error")) == {
        ("sent", 7, "")}
    # Tried at 0, 1, 3, 7, 15 and 31 minutes into the outage (waits of 1, 2, 4, 8, 16 min),
    # then 32 minutes later: 63 minutes, the provider is back.
    schedule = [0, 1, 3, 7, 15, 31, 63]
    for recipient in expected:
        tried = [(at - MORNING) // dt.timedelta(minutes=1)
                 for to, at in provider.attempts if to == recipient]
        assert tried == schedule
    assert set(Nudge.objects.values_list("sent_at", flat=True)) == {
        MORNING + dt.timedelta(minutes=63)}
