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
class Pause:
    """An approved pause of tracking, first and last day included (company-local dates)."""

    starts_on: dt.date
    ends_on: dt.date
    reason: str = ""

    def covers(self, day):
        return self.starts_on <= day <= self.ends_on


@dataclass(frozen=True)
class Result:
    progress: str
    last_activity_on: dt.date | None = None
    next_event_on: dt.date | None = None
    off_track_since: dt.date | None = None
    # The next day on which time alone can change any of the above (Healthchecks'
    # `alert_after`): the daily job re-evaluates the engagement on that day, not before.
    due_on: dt.date | None = None
    # On track with nothing scheduled: the day it goes off track unless something happens
    # (rule 10's "off track on 30 Mar", rule 11's early warning count back from it).
    goes_off_track_on: dt.date | None = None
    # Paused: the last day of the pause that covers today.
    paused_until: dt.date | None = None


NOT_TRACKED = Result(Progress.NOT_TRACKED)
DAY = dt.timedelta(days=1)


def off_track_day(last_activity, threshold_days, pauses=()):
    """
    The day the engagement goes off track if nothing happens after `last_activity`: the days
    after it are numbered, skipping paused ones, and it is the day numbered `threshold_days`
    (rule 9). Without pauses, `last_activity + threshold_days` (rule 5). `pauses` do not
    overlap (the actions refuse overlapping ones).
    """
    day, remaining = last_activity, threshold_days
    for pause in sorted(pauses, key=lambda p: p.starts_on):
        if pause.ends_on <= day:
            continue
        first = max(pause.starts_on, day + DAY)
        unpaused = (first - day).days - 1          # the days between `day` and the pause
        if unpaused >= remaining:
            break
        remaining -= unpaused
        day = pause.ends_on
    return day + dt.timedelta(days=remaining)


def evaluate(*, status, threshold_days, started_on, today, events=(), selected_on=None,
             pauses=()):
    """
    Progress of one engagement on `today`.

    `events` are the events that count in the engagement's current phase: its discovery calls
    while it is in coach matching, its sessions otherwise. `selected_on` is the coach
    selection date of a coach-matching engagement that has become active (it is activity).
    `pauses` are its approved pauses (rules.Pause), which do not overlap.
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

    # Rule 8: nothing is tracked (nor recorded) before the clock starts.
    if threshold_days is None or (started_on is not None and started_on > today):
        return Result(Progress.NOT_TRACKED, last_activity, next_event, None, changes_on)

    # A pause starting, or the one in force ending, changes the status when its day comes.
    covering = [p for p in pauses if p.covers(today)]
    paused_until = max((p.ends_on for p in covering), default=None)
    pause_days = [p.starts_on for p in pauses if p.starts_on > today]
    if paused_until is not None:
        pause_days.append(paused_until + DAY)
    changes_on = min([d for d in (changes_on, *pause_days) if d is not None], default=None)

    if paused_until is not None:
        return Result(Progress.PAUSED, last_activity, next_event, None, changes_on,
                      paused_until=paused_until)
    if next_event is not None or last_activity is None:
        return Result(Progress.ON_TRACK, last_activity, next_event, None, changes_on)
    goes_off_on = off_track_day(last_activity, threshold_days, pauses)
    if today < goes_off_on:
        due = min(goes_off_on, changes_on) if changes_on else goes_off_on
        return Result(Progress.ON_TRACK, last_activity, None, None, due, goes_off_on)
    return Result(Progress.OFF_TRACK, last_activity, None, goes_off_on, changes_on)
