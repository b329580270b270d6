"""
Evaluating engagements against DESIGN.md's rules, through both paths: every test evaluates
with evaluate_engagement() and with the set-based evaluation and checks they agree (`check`).
"""

import datetime as dt
import zoneinfo

from engagements.models import CoachSelection, Engagement, EventStatus, Progress
from tests import factories
from tests.tracking.conftest import at
from tracking.evaluation import Cause, evaluate_engagement
from tracking.models import ProgressTransition

D = dt.date


# DESIGN.md's worked examples (T = 21 days, activated 2026-03-02) -------------------------------

def test_example_no_sessions_is_on_track_after_20_days(tracked, check):
    e = check(tracked, D(2026, 3, 22))
    assert (e.progress, e.off_track_since) == (Progress.ON_TRACK, None)


def test_example_no_sessions_goes_off_track_on_the_threshold_day(tracked, check):
    e = check(tracked, D(2026, 3, 23))
    assert (e.progress, e.off_track_since) == (Progress.OFF_TRACK, D(2026, 3, 23))


def test_example_session_completed_on_the_10th_is_off_track_since_the_31st(tracked, check):
    factories.SessionFactory(engagement=tracked, starts_at=at(D(2026, 3, 10)),
                             status=EventStatus.COMPLETED)
    e = check(tracked, D(2026, 3, 31))
    assert (e.progress, e.off_track_since) == (Progress.OFF_TRACK, D(2026, 3, 31))


def test_example_a_scheduled_session_ahead_keeps_it_on_track(tracked, check):
    factories.SessionFactory(engagement=tracked, starts_at=at(D(2026, 3, 10)),
                             status=EventStatus.COMPLETED)
    factories.SessionFactory(engagement=tracked, starts_at=at(D(2026, 5, 1)))
    e = check(tracked, D(2026, 4, 15))
    assert (e.progress, e.next_event_on, e.last_activity_on) == (
        Progress.ON_TRACK, D(2026, 5, 1), D(2026, 3, 10))


def test_example_tracking_disabled_in_the_template_is_not_tracked(db, check):
    engagement = factories.EngagementFactory(template__tracking_threshold_days=None)
    for today in (D(2026, 3, 3), D(2026, 9, 1)):
        assert check(engagement, today).progress == Progress.NOT_TRACKED


def test_example_ended_early_is_not_tracked_on_any_later_day(db, check):
    engagement = factories.EngagementFactory(ended_early=True, ended_on=D(2026, 3, 5))
    for today in (D(2026, 3, 6), D(2026, 3, 23), D(2027, 1, 1)):
        e = check(engagement, today)
        assert (e.progress, e.off_track_since, e.progress_due_on) == (
            Progress.NOT_TRACKED, None, None)


# Edge cases -------------------------------------------------------------------------------------

def test_a_cancelled_session_dated_in_the_future_counts_from_its_cancellation_day(tracked, check):
    factories.SessionFactory(engagement=tracked, starts_at=at(D(2026, 6, 1)),
                             status=EventStatus.CANCELLED, cancelled_at=at(D(2026, 3, 20)))
    e = check(tracked, D(2026, 4, 9))
    assert (e.progress, e.last_activity_on, e.next_event_on) == (
        Progress.ON_TRACK, D(2026, 3, 20), None)
    e = check(tracked, D(2026, 4, 10))
    assert (e.progress, e.off_track_since) == (Progress.OFF_TRACK, D(2026, 4, 10))


def test_a_session_moved_from_the_future_into_the_past(tracked, check):
    session = factories.SessionFactory(engagement=tracked, starts_at=at(D(2026, 5, 1)))
    assert check(tracked, D(2026, 4, 15)).progress == Progress.ON_TRACK
    session.starts_at = at(D(2026, 3, 5))
    session.status = EventStatus.COMPLETED
    session.save()
    transition = evaluate_engagement(tracked, cause=Cause.SESSION, today=D(2026, 4, 15))
    assert (tracked.progress, tracked.off_track_since) == (Progress.OFF_TRACK, D(2026, 3, 26))
    # Dated when it really went off track, not when it was noticed.
    assert (transition.from_status, transition.to_status, transition.day, transition.cause) == (
        Progress.ON_TRACK, Progress.OFF_TRACK, D(2026, 3, 26), Cause.SESSION)


def test_coach_matching_counts_discovery_calls_until_a_coach_is_selected(db, check):
    engagement = factories.EngagementFactory(matching=True, started_on=D(2026, 3, 2))
    factories.DiscoveryCallFactory(engagement=engagement, starts_at=at(D(2026, 3, 10)),
                                   status=EventStatus.COMPLETED)
    # Sessions do not count while matching.
    factories.SessionFactory(engagement=engagement, starts_at=at(D(2026, 3, 25)),
                             status=EventStatus.COMPLETED)
    e = check(engagement, D(2026, 3, 31))
    assert (e.progress, e.last_activity_on, e.off_track_since) == (
        Progress.OFF_TRACK, D(2026, 3, 10), D(2026, 3, 31))


def test_coach_matching_is_tracked_on_sessions_once_a_coach_is_selected(db, check):
    engagement = factories.EngagementFactory(matching=True, started_on=D(2026, 3, 2))
    factories.DiscoveryCallFactory(engagement=engagement, starts_at=at(D(2026, 3, 10)),
                                   status=EventStatus.COMPLETED)
    # A discovery call still scheduled after the selection no longer counts.
    call = factories.DiscoveryCallFactory(engagement=engagement, starts_at=at(D(2026, 6, 1)))
    assert check(engagement, D(2026, 4, 1)).progress == Progress.ON_TRACK
    selection = factories.CoachSelectionFactory(engagement=engagement, coach=call.coach,
                                                selected_on=D(2026, 3, 25))
    Engagement.objects.filter(pk=engagement.pk).update(status="active", coach=selection.coach)
    e = check(engagement, D(2026, 4, 1))
    assert (e.progress, e.last_activity_on, e.next_event_on) == (
        Progress.ON_TRACK, D(2026, 3, 25), None)
    e = check(engagement, D(2026, 4, 15))
    assert (e.progress, e.off_track_since) == (Progress.OFF_TRACK, D(2026, 4, 15))
    factories.SessionFactory(engagement=engagement, starts_at=at(D(2026, 4, 20)),
                             status=EventStatus.COMPLETED)
    e = check(engagement, D(2026, 4, 30))
    assert (e.progress, e.last_activity_on) == (Progress.ON_TRACK, D(2026, 4, 20))
    assert CoachSelection.objects.count() == 1


def test_a_threshold_entered_in_weeks_counts_seven_days_a_week(db, check):
    template = factories.EngagementTemplateFactory(tracking_threshold_days=14,
                                                   tracking_threshold_unit="weeks")
    engagement = factories.EngagementFactory(template=template, company=template.company,
                                             started_on=D(2026, 3, 2))
    assert template.threshold_display == "2 weeks"
    assert check(engagement, D(2026, 3, 15)).progress == Progress.ON_TRACK
    assert check(engagement, D(2026, 3, 16)).off_track_since == D(2026, 3, 16)


def test_a_template_edited_after_launch_leaves_running_engagements_alone(tracked, check):
    template = tracked.template
    template.tracking_threshold_days = None
    template.save()
    e = check(tracked, D(2026, 3, 23))
    assert (e.progress, e.off_track_since) == (Progress.OFF_TRACK, D(2026, 3, 23))
    template.tracking_threshold_days = 60
    template.save()
    assert check(tracked, D(2026, 3, 23)).progress == Progress.OFF_TRACK


def test_ending_stops_tracking_and_history_records_it(db):
    for trait, status in (("ended_early", "ended_early"), ("completed", "completed")):
        engagement = factories.EngagementFactory(started_on=D(2026, 3, 2))
        evaluate_engagement(engagement, cause=Cause.LAUNCH, today=D(2026, 3, 30))
        Engagement.objects.filter(pk=engagement.pk).update(
            status=status, ended_on=D(2026, 4, 2),
            end_reason="client_request" if trait == "ended_early" else "")
        engagement.refresh_from_db()
        evaluate_engagement(engagement, cause=Cause.END, today=D(2026, 4, 2))
        assert (engagement.progress, engagement.off_track_since, engagement.progress_due_on) == (
            Progress.NOT_TRACKED, None, None)
        history = list(ProgressTransition.objects.filter(engagement=engagement)
                       .order_by("pk").values_list("from_status", "to_status", "day", "cause"))
        assert history == [
            (Progress.NOT_TRACKED, Progress.OFF_TRACK, D(2026, 3, 23), Cause.LAUNCH),
            (Progress.OFF_TRACK, Progress.NOT_TRACKED, D(2026, 4, 2), Cause.END),
        ]


def test_event_days_are_counted_in_the_company_timezone(db, check):
    company = factories.CompanyFactory(timezone="Pacific/Auckland")
    engagement = factories.EngagementFactory(company=company, started_on=D(2026, 3, 2))
    # 2026-03-09 22:00 UTC is already 2026-03-10 in Auckland (UTC+13).
    factories.SessionFactory(engagement=engagement, starts_at=at(D(2026, 3, 9), 22),
                             status=EventStatus.COMPLETED)
    e = check(engagement, D(2026, 3, 30))
    assert (e.last_activity_on, e.progress) == (D(2026, 3, 10), Progress.ON_TRACK)
    assert check(engagement, D(2026, 3, 31)).off_track_since == D(2026, 3, 31)
    auckland = zoneinfo.ZoneInfo("Pacific/Auckland")
    assert at(D(2026, 3, 9), 22).astimezone(auckland).date() == D(2026, 3, 10)


def test_evaluating_again_records_no_new_transition(tracked):
    evaluate_engagement(tracked, cause=Cause.MANUAL, today=D(2026, 3, 23))
    assert evaluate_engagement(tracked, cause=Cause.MANUAL, today=D(2026, 3, 23)) is None
    assert ProgressTransition.objects.filter(engagement=tracked).count() == 1


def test_a_stale_instance_records_the_transition_from_the_stored_status(tracked):
    stale = Engagement.objects.select_related("company").get(pk=tracked.pk)
    evaluate_engagement(tracked, cause=Cause.MANUAL, today=D(2026, 3, 10))  # -> on track
    transition = evaluate_engagement(stale, cause=Cause.MANUAL, today=D(2026, 3, 25))
    assert (transition.from_status, transition.to_status) == (Progress.ON_TRACK,
                                                              Progress.OFF_TRACK)


def test_evaluating_one_engagement_takes_a_few_queries(tracked, django_assert_max_num_queries):
    tracked = Engagement.objects.select_related("company").get(pk=tracked.pk)
    # sessions, conditional UPDATE, INSERT of the transition
    with django_assert_max_num_queries(3):
        evaluate_engagement(tracked, cause=Cause.SESSION, today=D(2026, 3, 23))


def test_the_embedded_one_by_one_fallback_gives_the_set_based_answers(db):
    from tests.tracking.conftest import stored
    from tracking.evaluation import _evaluate_many_one_by_one, evaluate_many

    company = factories.CompanyFactory(timezone="Pacific/Honolulu")
    quiet = factories.EngagementFactory(company=company, started_on=D(2026, 3, 2))
    busy = factories.EngagementFactory(company=company, started_on=D(2026, 3, 2))
    factories.SessionFactory(engagement=busy, starts_at=at(D(2026, 4, 20)))
    counts = _evaluate_many_one_by_one({company.pk: D(2026, 4, 1)}, cause=Cause.DAILY,
                                       only_due=False, run=None)
    assert (counts.on_track, counts.off_track, counts.transitions) == (1, 1, 2)
    by_python = [stored(quiet), stored(busy)]
    Engagement.objects.update(progress="not_tracked", off_track_since=None)
    evaluate_many({company.pk: D(2026, 4, 1)}, cause=Cause.DAILY)
    assert [stored(quiet), stored(busy)] == by_python
