"""
Every flip to Off Track is nudged, whichever path found it (DESIGN.md "Nudges"): an at-once
evaluation (a session moved back to its real date, an edit, a pause ending) marks its
transition for the outbox in its own transaction, and the outbox step (hand_over_flips, run
before each sending) writes the nudges; still at most one nudge per engagement per recipient
per day.
"""

import datetime as dt

import pytest

from engagements.models import Engagement, EventStatus, Session
from notifications.models import Nudge, NudgeItem, Role
from notifications.outbox import hand_over_flips
from tests import factories
from tests.notifications.conftest import DAY, MORNING
from tracking.evaluation import Cause, evaluate_engagement
from tracking.jobs import run_daily_evaluation

pytestmark = pytest.mark.usefixtures("frozen")


def nudges():
    return sorted((n.recipient.email, n.role, n.day, n.status)
                  for n in Nudge.objects.select_related("recipient"))


def items(engagement):
    return NudgeItem.objects.filter(engagement=engagement).count()


def moved_back(engagement, day):
    """A future session moved back to its real, earlier date (and completed)."""
    session = factories.SessionFactory(engagement=engagement,
                                       starts_at=dt.datetime(2026, 5, 1, 10, tzinfo=dt.UTC))
    evaluate_engagement(Engagement.objects.select_related("company").get(pk=engagement.pk),
                        cause=Cause.LAUNCH, today=DAY)
    Session.objects.filter(pk=session.pk).update(
        starts_at=dt.datetime.combine(day, dt.time(10), tzinfo=dt.UTC),
        status=EventStatus.COMPLETED)
    e = Engagement.objects.select_related("company").get(pk=engagement.pk)
    transition = evaluate_engagement(e, cause=Cause.SESSION, today=DAY)
    hand_over_flips()
    return transition


def test_a_session_moved_back_to_its_real_date_is_nudged_at_once(engagement):
    transition = moved_back(engagement, dt.date(2026, 3, 1))
    assert transition.to_status == "off_track"
    transition.refresh_from_db()
    assert not transition.awaits_outbox
    # Handed over once: a second pass (another sender, a re-run) adds nothing.
    assert hand_over_flips() == 0
    assert nudges() == [
        ("admin@acme.test", Role.ADMINISTRATOR, DAY, "pending"),
        ("coach@coachly.test", Role.COACH, DAY, "pending"),
        ("coachee@acme.test", Role.COACHEE, DAY, "pending"),
    ]
    assert items(engagement) == 3


def test_the_daily_run_the_same_day_adds_no_second_nudge(engagement):
    moved_back(engagement, dt.date(2026, 3, 1))
    run = run_daily_evaluation(engagement.company, DAY)
    assert run is not None
    assert Nudge.objects.count() == 3
    assert items(engagement) == 3


def test_a_flip_after_the_days_digest_went_out_waits_for_the_next_day(
        engagement, owner_company, global_admin, coachee, coach):
    # Another engagement of the same people was nudged this morning, and that email is sent.
    earlier = factories.EngagementFactory(company=owner_company, owner=global_admin,
                                          coachee=coachee, coach=coach,
                                          started_on=dt.date(2026, 3, 2))
    moved_back(earlier, dt.date(2026, 3, 1))
    Nudge.objects.update(status=Nudge.Status.SENT)
    moved_back(engagement, dt.date(2026, 3, 1))
    tomorrow = DAY + dt.timedelta(days=1)
    pending = Nudge.objects.filter(status=Nudge.Status.PENDING)
    assert sorted(pending.values_list("day", flat=True)) == [tomorrow] * 3
    # Not before the next day's evaluation hour, in the company's timezone (London, GMT).
    assert {n.next_attempt_at for n in pending} == {
        dt.datetime.combine(tomorrow, dt.time(6), tzinfo=dt.UTC)}
    assert items(engagement) == 3
    assert MORNING.date() == DAY


def test_flips_to_on_track_or_paused_owe_nothing(engagement):
    e = Engagement.objects.select_related("company").get(pk=engagement.pk)
    evaluate_engagement(e, cause=Cause.LAUNCH, today=DAY - dt.timedelta(days=5))
    factories.PauseFactory(engagement=engagement, starts_on=DAY, ends_on=DAY)
    evaluate_engagement(e, cause=Cause.PAUSE, today=DAY)
    assert e.progress == "paused"
    assert hand_over_flips() == 0
    assert not Nudge.objects.exists()


def test_a_pause_ended_early_into_off_track_is_nudged(engagement):
    Engagement.objects.filter(pk=engagement.pk).update(tracking_threshold_days=3)
    e = Engagement.objects.select_related("company").get(pk=engagement.pk)
    factories.PauseFactory(engagement=engagement, starts_on=dt.date(2026, 3, 5),
                           ends_on=dt.date(2026, 4, 30))
    evaluate_engagement(e, cause=Cause.PAUSE, today=DAY)
    assert e.progress == "paused"
    assert not Nudge.objects.exists()
    # Ended early, on 22 Mar: 3 and 4 Mar and today are its three unpaused days.
    engagement.pauses.update(ends_on=dt.date(2026, 3, 22))
    transition = evaluate_engagement(e, cause=Cause.PAUSE, today=DAY)
    assert (transition.from_status, transition.to_status, transition.day) == (
        "paused", "off_track", DAY)
    assert hand_over_flips() == 1
    assert Nudge.objects.count() == 3
