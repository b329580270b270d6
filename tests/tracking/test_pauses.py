"""
Rules 8 (not tracked before the start) and 9 (pauses): DESIGN.md's worked examples and the
edge cases, through both evaluation paths (`check` evaluates one engagement, then the
set-based statement, and asserts they stored the same).
"""

import datetime as dt

from engagements.models import Engagement, EventStatus, Pause, Progress
from tests import factories
from tests.tracking.conftest import at
from tracking import rules
from tracking.evaluation import Cause, evaluate_engagement, evaluate_many
from tracking.models import ProgressTransition

D = dt.date


def history(engagement):
    return list(ProgressTransition.objects.filter(engagement=engagement).order_by("pk")
                .values_list("from_status", "to_status", "day"))


PAUSE_FIRST, PAUSE_LAST = D(2026, 3, 10), D(2026, 3, 16)


def pause(engagement, first=PAUSE_FIRST, last=PAUSE_LAST, **kwargs):
    return factories.PauseFactory(engagement=engagement, starts_on=first, ends_on=last, **kwargs)


# Rule 8: DESIGN.md's example and the history --------------------------------------------------

def test_example_a_start_still_to_come_is_not_tracked_and_says_when_it_starts(db, check):
    engagement = factories.EngagementFactory(started_on=D(2026, 3, 9))
    e = check(engagement, D(2026, 3, 5))
    assert (e.progress, e.progress_due_on) == (Progress.NOT_TRACKED, D(2026, 3, 9))
    assert check(engagement, D(2026, 3, 9)).progress == Progress.ON_TRACK


def test_no_history_is_recorded_before_the_start(db):
    engagement = factories.EngagementFactory(started_on=D(2026, 4, 6))
    evaluate_engagement(engagement, cause=Cause.LAUNCH, today=D(2026, 3, 5))
    for day in (D(2026, 3, 6), D(2026, 4, 5)):
        evaluate_many({engagement.company_id: day}, cause=Cause.DAILY, only_due=True)
    assert history(engagement) == []
    evaluate_many({engagement.company_id: D(2026, 4, 6)}, cause=Cause.DAILY, only_due=True)
    assert history(engagement) == [(Progress.NOT_TRACKED, Progress.ON_TRACK, D(2026, 4, 6))]


# Rule 9: DESIGN.md's examples (T = 21, activated 2026-03-02, paused 10-16 Mar) -----------------

def test_example_paused_on_the_pauses_last_day(tracked, check):
    pause(tracked)
    e = check(tracked, D(2026, 3, 16))
    assert (e.progress, e.paused_until, e.off_track_since) == (
        Progress.PAUSED, D(2026, 3, 16), None)
    # Due the day after its last day: it resumes by itself.
    assert e.progress_due_on == D(2026, 3, 17)


def test_example_on_track_after_20_unpaused_days(tracked, check):
    pause(tracked)
    e = check(tracked, D(2026, 3, 29))
    assert (e.progress, e.goes_off_track_on) == (Progress.ON_TRACK, D(2026, 3, 30))


def test_example_off_track_on_the_21st_unpaused_day(tracked, check):
    pause(tracked)
    e = check(tracked, D(2026, 3, 30))
    assert (e.progress, e.off_track_since) == (Progress.OFF_TRACK, D(2026, 3, 30))


def test_example_a_session_during_the_pause_is_activity(tracked, check):
    pause(tracked)
    factories.SessionFactory(engagement=tracked, starts_at=at(D(2026, 3, 12)),
                             status=EventStatus.COMPLETED)
    e = check(tracked, D(2026, 4, 5))
    assert (e.progress, e.last_activity_on) == (Progress.ON_TRACK, D(2026, 3, 12))
    e = check(tracked, D(2026, 4, 6))
    assert (e.progress, e.off_track_since) == (Progress.OFF_TRACK, D(2026, 4, 6))


# Edge cases ------------------------------------------------------------------------------------

def test_a_pause_over_the_threshold_day_moves_it_past_the_pause(tracked, check):
    # Without the pause it would go off track on 23 Mar; 20-26 Mar are paused, 19 Mar is the
    # 17th unpaused day, so the 21st is the fourth day after the pause: 30 Mar.
    pause(tracked, D(2026, 3, 20), D(2026, 3, 26))
    assert check(tracked, D(2026, 3, 23)).progress == Progress.PAUSED
    e = check(tracked, D(2026, 3, 27))
    assert (e.progress, e.goes_off_track_on) == (Progress.ON_TRACK, D(2026, 3, 30))
    assert check(tracked, D(2026, 3, 29)).progress == Progress.ON_TRACK
    assert check(tracked, D(2026, 3, 30)).off_track_since == D(2026, 3, 30)


def test_a_pause_ended_early_resumes_the_next_day_and_counts_only_its_days(tracked, check):
    p = pause(tracked, D(2026, 3, 10), D(2026, 4, 30))
    assert check(tracked, D(2026, 3, 14)).progress == Progress.PAUSED
    # Ended on its 5th day: 10-14 Mar paused, tracked again from 15 Mar.
    Pause.objects.filter(pk=p.pk).update(ends_on=D(2026, 3, 14))
    transition = evaluate_engagement(tracked, cause=Cause.PAUSE, today=D(2026, 3, 15))
    assert (transition.from_status, transition.to_status, transition.day) == (
        Progress.PAUSED, Progress.ON_TRACK, D(2026, 3, 15))
    e = check(tracked, D(2026, 3, 15))
    assert e.goes_off_track_on == D(2026, 3, 28)  # 2 Mar + 21 + 5 paused days


def test_two_pauses_both_push_the_threshold_back(tracked, check):
    pause(tracked, D(2026, 3, 5), D(2026, 3, 6))
    pause(tracked, D(2026, 3, 20), D(2026, 3, 24), reason=Pause.Reason.HOLIDAY)
    e = check(tracked, D(2026, 3, 25))
    assert (e.progress, e.goes_off_track_on) == (Progress.ON_TRACK, D(2026, 3, 30))
    assert check(tracked, D(2026, 3, 30)).off_track_since == D(2026, 3, 30)


def test_a_requested_pause_does_not_count_until_approved(tracked, check):
    pause(tracked, status=Pause.Status.REQUESTED)
    assert check(tracked, D(2026, 3, 12)).progress == Progress.ON_TRACK
    assert check(tracked, D(2026, 3, 23)).progress == Progress.OFF_TRACK


def test_a_session_scheduled_during_a_pause_keeps_it_paused_then_on_track(tracked, check):
    pause(tracked, D(2026, 3, 10), D(2026, 3, 20))
    factories.SessionFactory(engagement=tracked, starts_at=at(D(2026, 3, 18)))
    e = check(tracked, D(2026, 3, 12))
    assert (e.progress, e.next_event_on) == (Progress.PAUSED, D(2026, 3, 18))
    # Passed during the pause: the session is the last activity; 19-20 Mar are paused.
    e = check(tracked, D(2026, 3, 21))
    assert (e.progress, e.last_activity_on, e.goes_off_track_on) == (
        Progress.ON_TRACK, D(2026, 3, 18), D(2026, 4, 10))


def test_a_pause_across_a_dst_change_counts_company_local_days(db, check):
    # London moves to BST on 29 Mar 2026: 2 Apr 23:30 UTC is 3 Apr 00:30 local, after the
    # pause (25 Mar - 2 Apr); counted in UTC it would lie inside it.
    company = factories.CompanyFactory(timezone="Europe/London")
    engagement = factories.EngagementFactory(company=company, started_on=D(2026, 3, 2))
    pause(engagement, D(2026, 3, 25), D(2026, 4, 2))
    factories.SessionFactory(engagement=engagement, starts_at=at(D(2026, 4, 2), 23, dt.UTC),
                             status=EventStatus.COMPLETED)
    assert check(engagement, D(2026, 4, 2)).progress == Progress.PAUSED
    e = check(engagement, D(2026, 4, 3))
    assert (e.progress, e.last_activity_on, e.goes_off_track_on) == (
        Progress.ON_TRACK, D(2026, 4, 3), D(2026, 4, 24))
    # Midnight-to-midnight local days, 23 h and 25 h ones alike.
    assert check(engagement, D(2026, 4, 24)).off_track_since == D(2026, 4, 24)


def test_a_pause_of_an_engagement_already_off_track_resumes_off_track_and_says_so(
        tracked, check):
    assert check(tracked, D(2026, 3, 25)).progress == Progress.OFF_TRACK
    pause(tracked, D(2026, 3, 26), D(2026, 4, 3))
    # As the pause actions do: evaluated at once, which makes the pause's first day due.
    evaluate_engagement(tracked, cause=Cause.PAUSE, today=D(2026, 3, 25))
    evaluate_many({tracked.company_id: D(2026, 3, 26)}, cause=Cause.DAILY, only_due=True)
    evaluate_many({tracked.company_id: D(2026, 4, 4)}, cause=Cause.DAILY, only_due=True)
    tracked.refresh_from_db()
    assert (tracked.progress, tracked.off_track_since) == (Progress.OFF_TRACK, D(2026, 3, 23))
    # History records Paused and Resumed, the resumption on the day after the pause.
    assert history(tracked)[-2:] == [
        (Progress.OFF_TRACK, Progress.PAUSED, D(2026, 3, 26)),
        (Progress.PAUSED, Progress.OFF_TRACK, D(2026, 4, 4)),
    ]


def test_the_daily_job_reads_the_day_a_pause_starts_and_the_day_after_it_ends(tracked):
    evaluate_engagement(tracked, cause=Cause.LAUNCH, today=D(2026, 3, 2))
    pause(tracked)
    evaluate_engagement(tracked, cause=Cause.PAUSE, today=D(2026, 3, 3))
    assert tracked.progress_due_on == D(2026, 3, 10)
    evaluate_many({tracked.company_id: D(2026, 3, 10)}, cause=Cause.DAILY, only_due=True)
    tracked.refresh_from_db()
    assert (tracked.progress, tracked.progress_due_on) == (Progress.PAUSED, D(2026, 3, 17))
    evaluate_many({tracked.company_id: D(2026, 3, 17)}, cause=Cause.DAILY, only_due=True)
    tracked.refresh_from_db()
    assert (tracked.progress, tracked.progress_due_on) == (Progress.ON_TRACK, D(2026, 3, 30))


def test_the_embedded_one_by_one_fallback_counts_paused_engagements(db):
    from tracking.evaluation import _evaluate_many_one_by_one

    engagement = factories.EngagementFactory(started_on=D(2026, 3, 2))
    pause(engagement)
    counts = _evaluate_many_one_by_one({engagement.company_id: D(2026, 3, 12)},
                                       cause=Cause.DAILY, only_due=False, run=None)
    assert (counts.paused, counts.evaluated) == (1, 1)
    assert Engagement.objects.get(pk=engagement.pk).progress == Progress.PAUSED


# The counting itself, without a database ---------------------------------------------------------

def test_off_track_day_skips_paused_days_only_after_the_last_activity():
    P = rules.Pause
    assert rules.off_track_day(D(2026, 3, 2), 21) == D(2026, 3, 23)
    assert rules.off_track_day(D(2026, 3, 2), 21, [P(D(2026, 3, 10), D(2026, 3, 16))]) \
        == D(2026, 3, 30)
    # A pause entirely before the last activity, or one after the off-track day, is ignored.
    assert rules.off_track_day(D(2026, 3, 20), 3, [P(D(2026, 3, 1), D(2026, 3, 19)),
                                                   P(D(2026, 3, 24), D(2026, 3, 30))]) \
        == D(2026, 3, 23)
    # The threshold reached on the day before a pause: the pause does not count.
    assert rules.off_track_day(D(2026, 3, 2), 3, [P(D(2026, 3, 6), D(2026, 3, 9))]) \
        == D(2026, 3, 5)
