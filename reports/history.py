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
from django.db.models import Exists, OuterRef

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


def _weeks_from_changes(ends, current, changes):
    """
    Rebuilds each week's counts *backwards* from today's: every recorded change moved one
    engagement from `from_status` to `to_status`, so the count at the end of day W is
    today's count, minus the changes into that status after W, plus those out of it after
    W. Needs only the last weeks' changes, grouped by day: a few hundred rows at most.
    """
    points = []
    for end in ends:
        counts = {Progress.ON_TRACK: current["on_track"], Progress.OFF_TRACK: current["off_track"]}
        for day, src, dst, n in changes:
            if day > end:
                if dst in counts:
                    counts[dst] -= n
                if src in counts:
                    counts[src] += n
        points.append(WeekPoint(week_start=end - dt.timedelta(days=end.weekday()), day=end,
                                on_track=counts[Progress.ON_TRACK],
                                off_track=counts[Progress.OFF_TRACK]))
    return points


# The filtered rows are computed once (MATERIALIZED): the totals count them by visible
# progress and the trend joins the last weeks' history to those whose progress is visible.
_SUMMARY_SQL = """
WITH v (id, visible_progress) AS MATERIALIZED ({rows})
SELECT NULL AS day, v.visible_progress, NULL, COUNT(*) FROM v GROUP BY v.visible_progress
UNION ALL
SELECT t.day, t.from_status, t.to_status, COUNT(*)
FROM tracking_progresstransition t JOIN v ON v.id = t.engagement_id
WHERE v.visible_progress <> %s AND t.day > %s {companies}
GROUP BY t.day, t.from_status, t.to_status
"""


# Progress the viewer may see belongs to their own company (as an administrator) or to an
# engagement they coach: said outright, so that PostgreSQL reads only those companies' recent
# history from the (company, day) index instead of every tenant's. The join to `v` still
# decides which rows count; this only narrows what is read.
_VIEWER_COMPANIES = """AND t.company_id IN (
    SELECT %s UNION SELECT company_id FROM engagements_engagement WHERE coach_id = %s)"""


def totals_and_trend(queryset, today, weeks=12, *, viewer=None):
    """
    The report's totals — how many of the filtered rows are on track, off track, not
    tracked, or hidden from this viewer — and its weekly trend, in one query over the
    filtered rows. An engagement with no recorded change counts with its
    status today; hidden progress counts in neither series. `viewer`, the user the
    queryset is visible to, narrows the history read (see _VIEWER_COMPANIES).
    """
    ends = week_ends(today, weeks)
    rows_sql, rows_params = (
        queryset.order_by().values("pk", "visible_progress").query.sql_with_params()
    )
    companies, company_params = "", []
    if viewer is not None:
        companies, company_params = _VIEWER_COMPANIES, [viewer.company_id or 0, viewer.pk]
    with connection.cursor() as cursor:
        cursor.execute(_SUMMARY_SQL.format(rows=rows_sql, companies=companies),
                       [*rows_params, PROGRESS_HIDDEN, ends[0], *company_params])
        result = cursor.fetchall()
    by_progress = {status: n for day, status, _, n in result if day is None}
    totals = {
        "total": sum(by_progress.values()),
        "on_track": by_progress.get(Progress.ON_TRACK, 0),
        "off_track": by_progress.get(Progress.OFF_TRACK, 0),
        "not_tracked": by_progress.get(Progress.NOT_TRACKED, 0),
        "hidden": by_progress.get(PROGRESS_HIDDEN, 0),
    }
    changes = [(_as_date(day), src, dst, n) for day, src, dst, n in result if day is not None]
    return totals, _weeks_from_changes(ends, totals, changes)


def weekly_trend(queryset, today, weeks=12, *, viewer=None):
    """On-track and off-track counts at the end of each of the last `weeks` weeks."""
    return totals_and_trend(queryset, today, weeks, viewer=viewer)[1]


def _as_date(value):
    # SQLite hands the CAST back as text.
    return dt.date.fromisoformat(value) if isinstance(value, str) else value
