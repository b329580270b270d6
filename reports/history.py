"""
What the report reads from the progress history (`tracking.ProgressTransition`): the
"Off Track Since" filter over past days, the totals and the 12-week trend.

Every function takes a queryset that already went through `Engagement.objects.visible_to()`,
so tenancy is decided before we get here; the history is only ever read for rows whose
progress the viewer may see (`can_see_progress`), so neither the filter nor the chart can
reveal a hidden status.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q

from engagements.models import PROGRESS_HIDDEN, Progress
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
        return queryset.filter(Exists(went_off), can_see_progress=True)
    # `visible_off_track_since` is NULL wherever the viewer may not see progress.
    if start:
        queryset = queryset.filter(visible_off_track_since__gte=start)
    if end:
        queryset = queryset.filter(visible_off_track_since__lte=end)
    return queryset


def progress_totals(queryset):
    """On track / off track / not tracked / hidden counts of the filtered rows: one query."""
    totals = queryset.order_by().aggregate(
        total=Count("pk"),
        on_track=Count("pk", filter=Q(visible_progress=Progress.ON_TRACK)),
        off_track=Count("pk", filter=Q(visible_progress=Progress.OFF_TRACK)),
        not_tracked=Count("pk", filter=Q(visible_progress=Progress.NOT_TRACKED)),
        hidden=Count("pk", filter=Q(visible_progress=PROGRESS_HIDDEN)),
    )
    return totals


@dataclass(frozen=True)
class WeekPoint:
    """The engagements on and off track at the end of `day` (the last day of a week)."""

    week_start: dt.date
    day: dt.date
    on_track: int
    off_track: int


def week_ends(today, weeks=12):
    """
    The last day of each of the `weeks` calendar weeks (Monday to Sunday) ending with the
    current one, oldest first. The current week is still running: its point is `today`.
    """
    this_monday = today - dt.timedelta(days=today.weekday())
    ends = [this_monday - dt.timedelta(days=1 + 7 * k) for k in range(weeks - 2, -1, -1)]
    return [*ends, today]


def weekly_trend(queryset, today, weeks=12, current=None):
    """
    On-track and off-track counts at the end of each of the last `weeks` weeks, for the
    engagements in `queryset` whose progress the viewer may see.

    Rebuilt *backwards* from today's status: every recorded change moved one engagement from
    `from_status` to `to_status`, so the count at the end of day W is today's count, minus
    the changes into that status after W, plus the changes out of it after W. This reads
    only the history of the last `weeks` weeks (grouped by day, a few hundred rows at most)
    instead of every transition ever recorded, and needs no per-row work: one query, plus
    today's counts, which `progress_totals()` has already computed (pass them as `current`
    to save a query). An engagement with no recorded change counts with its status today.
    """
    ends = week_ends(today, weeks)
    if current is None:
        current = progress_totals(queryset)
    visible = queryset.filter(can_see_progress=True).order_by().values("pk")
    changes = (
        ProgressTransition.objects.filter(engagement__in=visible, day__gt=ends[0])
        .values_list("day", "from_status", "to_status")
        .annotate(count=Count("pk"))
        .order_by()
    )
    points = []
    history = [(_as_date(day), src, dst, n) for day, src, dst, n in changes]
    for end in ends:
        counts = {Progress.ON_TRACK: current["on_track"], Progress.OFF_TRACK: current["off_track"]}
        for day, src, dst, n in history:
            if day > end:
                if dst in counts:
                    counts[dst] -= n
                if src in counts:
                    counts[src] += n
        points.append(WeekPoint(week_start=end - dt.timedelta(days=end.weekday()), day=end,
                                on_track=counts[Progress.ON_TRACK],
                                off_track=counts[Progress.OFF_TRACK]))
    return points


def _as_date(value):
    # SQLite hands the CAST back as text.
    return dt.date.fromisoformat(value) if isinstance(value, str) else value
