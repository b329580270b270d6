"""The progress rules as a pure function: no database."""

import datetime as dt

from engagements.models import EventStatus, Progress
from tracking.rules import Event, evaluate

START = dt.date(2026, 3, 2)
D = dt.date


def rules(today, events=(), *, status="active", threshold=21, started_on=START, selected_on=None):
    return evaluate(status=status, threshold_days=threshold, started_on=started_on, today=today,
                    events=events, selected_on=selected_on)


def test_on_track_on_the_day_before_the_threshold():
    result = rules(D(2026, 3, 22))
    assert result.progress == Progress.ON_TRACK
    assert result.last_activity_on == START
    assert result.due_on == D(2026, 3, 23)


def test_off_track_on_the_threshold_day_since_that_day():
    result = rules(D(2026, 3, 23))
    assert (result.progress, result.off_track_since) == (Progress.OFF_TRACK, D(2026, 3, 23))
    assert result.due_on is None


def test_a_future_scheduled_session_keeps_it_on_track_whatever_the_gap():
    events = [Event(D(2026, 3, 10), EventStatus.COMPLETED), Event(D(2026, 5, 1), "scheduled")]
    result = rules(D(2026, 4, 15), events)
    assert result.progress == Progress.ON_TRACK
    assert (result.last_activity_on, result.next_event_on) == (D(2026, 3, 10), D(2026, 5, 1))
    assert result.due_on == D(2026, 5, 1)


def test_a_cancelled_future_session_counts_from_the_day_it_was_cancelled():
    events = [Event(D(2026, 6, 1), EventStatus.CANCELLED, cancelled_on=D(2026, 3, 20))]
    result = rules(D(2026, 4, 5), events)
    assert result.progress == Progress.ON_TRACK
    assert result.last_activity_on == D(2026, 3, 20)
    assert result.next_event_on is None
    # The threshold comes before the session's own date.
    assert result.due_on == D(2026, 4, 10)


def test_a_cancelled_session_dated_in_the_past_counts_from_its_own_date():
    events = [Event(D(2026, 3, 15), EventStatus.CANCELLED, cancelled_on=D(2026, 3, 1))]
    assert rules(D(2026, 4, 20), events).off_track_since == D(2026, 4, 5)


def test_the_coach_selection_date_is_activity():
    result = rules(D(2026, 4, 1), selected_on=D(2026, 3, 20))
    assert (result.progress, result.last_activity_on) == (Progress.ON_TRACK, D(2026, 3, 20))


def test_without_threshold_it_is_not_tracked_but_dates_are_kept():
    result = rules(D(2026, 9, 1), [Event(D(2026, 3, 4), "completed")], threshold=None)
    assert result.progress == Progress.NOT_TRACKED
    assert result.last_activity_on == D(2026, 3, 4)
    assert result.off_track_since is None


def test_ended_engagements_are_not_tracked():
    for status in ("ended_early", "completed", "draft"):
        assert rules(D(2026, 9, 1), status=status).progress == Progress.NOT_TRACKED


def test_a_threshold_of_one_day_goes_off_track_the_next_day():
    assert rules(START, threshold=1).progress == Progress.ON_TRACK
    assert rules(START + dt.timedelta(days=1), threshold=1).progress == Progress.OFF_TRACK


def test_a_clock_start_still_to_come_is_due_on_that_day():
    # Rule 8 (added after this test was written): not tracked before the start.
    result = rules(D(2026, 3, 1))
    assert (result.progress, result.last_activity_on, result.due_on) == (
        Progress.NOT_TRACKED, None, START)
