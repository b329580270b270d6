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

from django.db import connection
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


# For each week end W: the status in force at the end of day W is that of the engagement's
# last transition with day <= W, i.e. the transition whose validity [day, next day) holds W.
# LEAD() gives each transition its end, so the whole chart is one pass over the history of
# the filtered engagements, whatever their number, instead of 12 correlated subqueries per
# row. Several transitions on one day: the earlier ones end that same day, so the last wins.
_TREND_SQL = """
WITH spans AS (
    SELECT t.to_status, t.day,
           LEAD(t.day) OVER (PARTITION BY t.engagement_id ORDER BY t.day, t.id) AS until
    FROM tracking_progresstransition t
    WHERE t.engagement_id IN ({engagements}) AND t.day <= %s
)
SELECT w.week_end,
       COUNT(spans.day) FILTER (WHERE spans.to_status = 'on_track'),
       COUNT(spans.day) FILTER (WHERE spans.to_status = 'off_track')
FROM ({weeks}) AS w(week_end)
LEFT JOIN spans ON spans.day <= w.week_end AND (spans.until IS NULL OR spans.until > w.week_end)
GROUP BY w.week_end
ORDER BY w.week_end
"""


def weekly_trend(queryset, today, weeks=12):
    """
    On-track and off-track counts at the end of each of the last `weeks` weeks, rebuilt
    from the history of the engagements in `queryset` whose progress the viewer may see.
    An engagement counts in a week when its last status change on or before that week's
    last day went to on track (or off track); before its first recorded change it is not
    counted. One query.
    """
    ends = week_ends(today, weeks)
    engagements = queryset.filter(can_see_progress=True).order_by().values("pk")
    sub_sql, sub_params = engagements.query.get_compiler(connection=connection).as_sql()
    # SQLite compares ISO date strings as text; a CAST there would turn them into numbers.
    week = "SELECT CAST(%s AS date)" if connection.vendor == "postgresql" else "SELECT %s"
    weeks_sql = " UNION ALL ".join([week] * len(ends))
    sql = _TREND_SQL.format(engagements=sub_sql, weeks=weeks_sql)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*sub_params, ends[-1], *ends])
        rows = cursor.fetchall()
    counts = {_as_date(day): (on, off) for day, on, off in rows}
    return [
        WeekPoint(week_start=end - dt.timedelta(days=end.weekday()), day=end,
                  on_track=counts.get(end, (0, 0))[0], off_track=counts.get(end, (0, 0))[1])
        for end in ends
    ]


def _as_date(value):
    # SQLite hands the CAST back as text.
    return dt.date.fromisoformat(value) if isinstance(value, str) else value
