"""
What the report reads from the progress history (`tracking.ProgressTransition`): the
"Off Track Since" filter over past days, the totals and the 12-week trend.

Every function reads engagements that went through `Engagement.objects.restrict()` (or its
parts, `by_progress(user).parts()`), so tenancy is decided before we get here; the history is
only ever read for rows whose progress the viewer may see (`sees_progress`), so neither the filter
nor the chart can reveal a hidden status.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef

from engagements.models import Engagement, Progress
from engagements.visibility import PROGRESS_HIDDEN, by_progress
from optify.dates import as_date
from tracking.models import ProgressTransition

# How "Off Track Since" reads a date range.
OFF_TRACK_NOW = "now"  # is off track today, and has been since a day in the range
OFF_TRACK_HISTORY = "history"  # went off track on a day in the range, whatever it is today


def filter_off_track_since(queryset, start=None, end=None, mode=OFF_TRACK_NOW):
    """Engagements identified as off track on a day in [start, end] (either end optional)."""
    if start is None and end is None:
        return queryset
    if mode == OFF_TRACK_HISTORY:
        went_off = ProgressTransition.objects.filter(
            engagement_id=OuterRef("pk"), to_status=Progress.OFF_TRACK
        )
        if start:
            went_off = went_off.filter(day__gte=start)
        if end:
            went_off = went_off.filter(day__lte=end)
        return queryset.filter(Exists(went_off), sees_progress=True)
    # `seen_off_track_since` is NULL wherever the viewer may not see progress.
    if start:
        queryset = queryset.filter(seen_off_track_since__gte=start)
    if end:
        queryset = queryset.filter(seen_off_track_since__lte=end)
    return queryset


@dataclass(frozen=True)
class WeekPoint:
    """The engagements on and off track at the end of `day` (the last day of a week)."""

    week_start: dt.date
    day: dt.date
    on_track: int
    off_track: int
    paused: int = 0


def week_ends(today, weeks=12):
    """
    The last day of each of the `weeks` calendar weeks (Monday to Sunday) ending with the
    current one, oldest first. The current week is still running: its point is `today`.
    """
    this_monday = today - dt.timedelta(days=today.weekday())
    ends = [this_monday - dt.timedelta(days=1 + 7 * k) for k in range(weeks - 2, -1, -1)]
    return [*ends, today]


def _weeks_from_changes(ends, current, changes):
    """
    Rebuilds each week's counts *backwards* from today's: every recorded change moved one
    engagement from `from_status` to `to_status`, so the count at the end of day W is
    today's count, minus the changes into that status after W, plus those out of it after
    W. Needs only the last weeks' changes, grouped by day: a few hundred rows at most.
    """
    points = []
    for end in ends:
        counts = {Progress.ON_TRACK: current["on_track"], Progress.OFF_TRACK: current["off_track"],
                  Progress.PAUSED: getattr(current, "paused", 0)}
        for day, src, dst, n in changes:
            if day > end:
                if dst in counts:
                    counts[dst] -= n
                if src in counts:
                    counts[src] += n
        points.append(WeekPoint(week_start=end - dt.timedelta(days=end.weekday()), day=end,
                                on_track=counts[Progress.ON_TRACK],
                                off_track=counts[Progress.OFF_TRACK],
                                paused=counts[Progress.PAUSED]))
    return points


def summary(filterset, user, today, weeks=12):
    """
    The report's totals — how many of the filtered rows are on track, off track, not
    tracked, or hidden from this viewer — and its weekly trend, in two statements.

    The trend counts the engagements in the filter whose progress `user` may see by their
    status at the end of each week, rebuilt backwards from today's status and the last weeks'
    history. It keeps the engagements that have ended since (unlike the table, which leaves
    them out unless asked): their past weeks happened, and the chart's history should not
    shrink because an engagement completed. They are not tracked today, so today's point is
    still the totals'.

    Both statements run over the gate's two parts (`by_progress(user).parts`) rather than its OR:
    the rows the user administers then count from an index alone. And when a global
    administrator filters nothing, the rows the trend reads are all their company's, so its
    history is read by company from an index instead of joined row by row.
    """
    filterset.is_valid()  # as `filterset.qs` does: an input not understood is left out
    administered, others = by_progress(user).parts(Engagement.objects.all())
    parts = [part for part in (administered, others) if part is not None]
    totals = _totals(filterset.filter_queryset(part) for part in parts)

    ends = week_ends(today, weeks)
    recent = ProgressTransition.objects.filter(day__gt=ends[0]).order_by()
    changed = []  # the recent changes of each part's rows
    for part in parts:
        transitions = recent
        if part is administered:
            # Only their company's changes, read from its (company, day) index ...
            transitions = recent.filter(company_id=user.company_id)
            if user.is_global_admin and not filterset.narrows():
                # ... and all of them: a global administrator administers every engagement of
                # their company, and nothing narrows the rows.
                changed.append(transitions)
                continue
        # The stored columns' condition (`seen`), not the `sees_progress` annotation: its CASE
        # is opaque to PostgreSQL's estimates, which then read the weeks' transitions of every
        # company to find a coach's few (0.25 s for a provider's administrator at 1,000,000).
        rows = filterset.filter_queryset(part, hide_ended=False).filter(by_progress(user).seen)
        changed.append(transitions.filter(engagement__in=rows.order_by().values("pk")))
    per_day = _union([transitions.values("day", "from_status", "to_status").annotate(n=Count("*"))
                      for transitions in changed])
    changes = [(as_date(day), src, dst, n) for day, src, dst, n in
               per_day.values_list("day", "from_status", "to_status", "n")]
    return totals, _weeks_from_changes(ends, totals, changes)


def _totals(querysets):
    """The rows of `querysets` (disjoint) counted by the progress their viewer sees."""
    per_progress = _union([queryset.order_by().values("seen_progress").annotate(n=Count("*"))
                           for queryset in querysets])
    counts = {}
    for progress, n in per_progress.values_list("seen_progress", "n"):
        counts[progress] = counts.get(progress, 0) + n
    return Totals({
        "total": sum(counts.values()),
        "on_track": counts.get(Progress.ON_TRACK, 0),
        "off_track": counts.get(Progress.OFF_TRACK, 0),
        "not_tracked": counts.get(Progress.NOT_TRACKED, 0),
        "hidden": counts.get(PROGRESS_HIDDEN, 0),
    }, paused=counts.get(Progress.PAUSED, 0))


class Totals(dict):
    """
    The report's counts by the progress the viewer sees. Paused (rule 9, added later) is an
    attribute beside the keys every caller already reads; `total` counts it too. Templates
    read `totals.paused` either way.
    """

    def __init__(self, counts, *, paused=0):
        super().__init__(counts)
        self.paused = paused


def _union(querysets):
    """One statement for several querysets of the same columns (UNION ALL), unordered."""
    first, *rest = querysets
    # A union takes the model's default ordering again, which its columns can't satisfy.
    return first.union(*rest, all=True).order_by() if rest else first

