"""
The progress rules of DESIGN.md ("Progress tracking rules") as a pure function over plain
values: no database, no timezone arithmetic (callers pass company-local dates).

`tracking/evaluation.py` applies the same rules in SQL to many engagements at once; a
property-based test holds the two to the same answers.
"""

import datetime as dt
from dataclasses import dataclass

from engagements.models import ACTIVE_STATUSES, EventStatus, Progress


@dataclass(frozen=True)
class Event:
    """A session or discovery call, reduced to what the rules read (company-local dates)."""

    day: dt.date
    status: str
    cancelled_on: dt.date | None = None

    def activity_day(self, today):
        """
        The day this event counts as activity on `today`: its own date, except a cancelled
        event still dated in the future, which counts from the day it was cancelled.
        """
        if self.status == EventStatus.CANCELLED and self.day > today:
            return self.cancelled_on
        return self.day


@dataclass(frozen=True)
class Result:
    progress: str
    last_activity_on: dt.date | None = None
    next_event_on: dt.date | None = None
    off_track_since: dt.date | None = None
    # The next day on which time alone can change any of the above (Healthchecks'
    # `alert_after`): the daily job re-evaluates the engagement on that day, not before.
    due_on: dt.date | None = None


NOT_TRACKED = Result(Progress.NOT_TRACKED)


def evaluate(*, status, threshold_days, started_on, today, events=(), selected_on=None):
    """
    Progress of one engagement on `today`.

    `events` are the events that count in the engagement's current phase: its discovery calls
    while it is in coach matching, its sessions otherwise. `selected_on` is the coach
    selection date of a coach-matching engagement that has become active (it is activity).
    """
    if status not in ACTIVE_STATUSES:
        return NOT_TRACKED
    events = list(events)
    clock = [d for d in (started_on, selected_on) if d is not None]
    activity = [d for d in clock if d <= today]
    activity += [
        d for d in (event.activity_day(today) for event in events) if d is not None and d <= today
    ]
    last_activity = max(activity, default=None)
    next_event = min(
        (e.day for e in events if e.status == EventStatus.SCHEDULED and e.day > today),
        default=None,
    )
    # A day still to come changes the result when it arrives: a clock start or selection
    # becomes activity, an event's own date replaces a cancellation day, a scheduled event
    # passes (and becomes the latest activity).
    changes_on = min([d for d in clock if d > today] + [e.day for e in events if e.day > today],
                     default=None)

    if threshold_days is None:
        return Result(Progress.NOT_TRACKED, last_activity, next_event, None, changes_on)
    if next_event is not None or last_activity is None:
        return Result(Progress.ON_TRACK, last_activity, next_event, None, changes_on)
    goes_off_on = last_activity + dt.timedelta(days=threshold_days)
    if today < goes_off_on:
        due = min(goes_off_on, changes_on) if changes_on else goes_off_on
        return Result(Progress.ON_TRACK, last_activity, None, None, due)
    return Result(Progress.OFF_TRACK, last_activity, None, goes_off_on, changes_on)
