"""
Rule 11: on the day an on-track engagement with nothing scheduled is exactly W days from
going off track (W from its template, snapshotted at launch), its coachee and its coach get a
heads-up, once, through the same outbox; their own switch turns it off.
"""

import datetime as dt

import pytest
import time_machine
from django.core import mail

from engagements.models import Engagement
from notifications import sender
from notifications.models import Nudge, NudgeItem, NudgePreference, Role
from tests import factories
from tracking.evaluation import Cause, evaluate_engagement
from tracking.jobs import run_daily_evaluation

D = dt.date


@pytest.fixture
def warned(engagement):
    """T = 21 from 2 Mar: off track on 23 Mar, so W = 3 warns on 20 Mar."""
    Engagement.objects.filter(pk=engagement.pk).update(early_warning_days=3)
    e = Engagement.objects.select_related("company").get(pk=engagement.pk)
    evaluate_engagement(e, cause=Cause.LAUNCH, today=D(2026, 3, 2))
    assert e.goes_off_track_on == D(2026, 3, 23)
    return e


def warnings():
    return sorted((n.recipient.email, n.day) for n in
                  Nudge.objects.filter(role=Role.EARLY_WARNING).select_related("recipient"))


def run_on(company, day):
    with time_machine.travel(dt.datetime.combine(day, dt.time(7), tzinfo=dt.UTC), tick=False):
        return run_daily_evaluation(company, day)


def test_the_coachee_and_the_coach_are_warned_on_exactly_that_day_once(warned):
    company = warned.company
    run_on(company, D(2026, 3, 19))
    assert warnings() == []
    run_on(company, D(2026, 3, 20))
    assert warnings() == [("coach@coachly.test", D(2026, 3, 20)),
                          ("coachee@acme.test", D(2026, 3, 20))]
    assert set(NudgeItem.objects.values_list("reason", "off_track_since")) == {
        ("early_warning", D(2026, 3, 23))}
    # A re-run of the day, and the next days, warn nobody again (the administrator is never
    # warned: not an early-warning recipient).
    assert run_on(company, D(2026, 3, 20)) is None
    run_on(company, D(2026, 3, 21))
    assert len(warnings()) == 2


def test_nothing_is_warned_with_something_scheduled_or_without_the_setting(warned, engagement):
    factories.SessionFactory(engagement=engagement,
                             starts_at=dt.datetime(2026, 4, 2, 10, tzinfo=dt.UTC))
    evaluate_engagement(warned, cause=Cause.SESSION, today=D(2026, 3, 10))
    run_on(warned.company, D(2026, 3, 20))
    assert warnings() == []
    other = factories.EngagementFactory(company=warned.company, started_on=D(2026, 3, 2))
    evaluate_engagement(Engagement.objects.select_related("company").get(pk=other.pk),
                        cause=Cause.LAUNCH, today=D(2026, 3, 2))
    run_on(warned.company, D(2026, 3, 21))
    assert warnings() == []


def test_pauses_move_the_warning_day(warned, engagement):
    factories.PauseFactory(engagement=engagement, starts_on=D(2026, 3, 10),
                           ends_on=D(2026, 3, 16))
    evaluate_engagement(warned, cause=Cause.PAUSE, today=D(2026, 3, 5))
    run_on(warned.company, D(2026, 3, 20))
    assert warnings() == []
    run_on(warned.company, D(2026, 3, 27))  # off track on 30 Mar, counted past the pause
    assert len(warnings()) == 2


def test_the_warning_has_its_own_switch(warned, coachee):
    NudgePreference.objects.create(user=coachee, role=Role.EARLY_WARNING, enabled=False)
    run_on(warned.company, D(2026, 3, 20))
    assert warnings() == [("coach@coachly.test", D(2026, 3, 20))]


def test_the_warning_says_when_and_asks_for_a_session(warned):
    run_on(warned.company, D(2026, 3, 20))
    with time_machine.travel(dt.datetime(2026, 3, 20, 7, 5, tzinfo=dt.UTC), tick=False):
        sender.send_due_nudges()
    by_recipient = {m.to[0]: m for m in mail.outbox}
    coachee, coach = by_recipient["coachee@acme.test"], by_recipient["coach@coachly.test"]
    assert coachee.subject == "Time to book your next coaching session · Acme"
    assert "off track on 23 Mar 2026 unless a session is booked" in coachee.body
    assert "Get in touch with Cora Coach to book your next session." in coachee.body
    assert "On track: off track on 23 Mar unless something is scheduled" in coach.body
    assert "unsubscribe" in coach.extra_headers["List-Unsubscribe"]
