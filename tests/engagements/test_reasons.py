"""Rule 10: a one-line reason for every status, from stored fields only (no database)."""

import datetime as dt
from types import SimpleNamespace

from engagements.reasons import progress_reason

D = dt.date


def engagement(**fields):
    base = {"status": "active", "progress": "on_track", "started_on": D(2026, 3, 2),
            "ended_on": None, "last_activity_on": D(2026, 3, 2), "next_event_on": None,
            "off_track_since": None, "goes_off_track_on": None, "paused_until": None,
            "progress_evaluated_on": D(2026, 3, 10), "tracking_threshold_days": 21}
    return SimpleNamespace(**{**base, **fields})


def test_off_track_says_since_when_since_what_and_the_threshold():
    e = engagement(progress="off_track", off_track_since=D(2026, 3, 23))
    assert progress_reason(e) == ("Off track since 23 Mar: nothing scheduled since the start "
                                  "on 2 Mar; threshold 3 weeks")


def test_off_track_after_a_session_counts_from_it_and_names_paused_days():
    e = engagement(progress="off_track", last_activity_on=D(2026, 3, 12),
                   off_track_since=D(2026, 4, 6), tracking_threshold_days=20)
    assert progress_reason(e) == (
        "Off track since 6 Apr: nothing scheduled since the last activity on 12 Mar; "
        "threshold 20 days, 5 paused days not counted")


def test_on_track_with_a_session_ahead_names_it():
    assert progress_reason(engagement(next_event_on=D(2026, 4, 8))) == \
        "On track: next session 8 Apr"
    matching = engagement(status="coach_matching", next_event_on=D(2026, 4, 8))
    assert progress_reason(matching) == "On track: next discovery call 8 Apr"


def test_on_track_with_nothing_scheduled_says_when_it_goes_off_track():
    assert progress_reason(engagement(goes_off_track_on=D(2026, 3, 30))) == \
        "On track: off track on 30 Mar unless something is scheduled"


def test_paused_says_until_when_and_why():
    e = engagement(progress="paused", paused_until=D(2026, 4, 14))
    assert progress_reason(e, "leave") == "Paused until 14 Apr (leave)"
    assert progress_reason(e, "programme_break") == "Paused until 14 Apr (programme break)"
    assert progress_reason(e) == "Paused until 14 Apr"


def test_not_tracked_says_why():
    assert progress_reason(engagement(progress="not_tracked", started_on=D(2026, 3, 9),
                                      progress_evaluated_on=D(2026, 3, 5))) == \
        "Not tracked yet: starts on 9 Mar"
    assert progress_reason(engagement(progress="not_tracked", tracking_threshold_days=None)) \
        == "Not tracked: tracking is off in its template"
    assert progress_reason(engagement(progress="not_tracked", status="ended_early",
                                      ended_on=D(2026, 3, 5))) == "Not tracked: ended on 5 Mar"
    assert progress_reason(engagement(progress="not_tracked", status="draft")) == \
        "Not tracked: not launched yet"
