"""
Billing counts: active clients (distinct coachees) and active coaches (distinct coaches) of a
company's engagements.

- *Today*: engagements whose status is active or coach matching (DESIGN).
- *Each of the last 12 months*: the most at any point in the month. An engagement counts on day
  d when it was launched, started_on <= d and (ended_on is null or ended_on > d): the day it ends
  is no longer billed. Clients and coaches are maximised separately, as a contract caps each.
- Enterprise companies also get the same figures per location (a person in two locations counts
  once for the company and once in each location).

How: joining every day of the year to every engagement running that day and counting distinct
people per day is simple but costs days x engagements (229 s for a 200,000-engagement tenant).
Instead, in one SQL statement: each person's engagements become half-open intervals
[started_on, ended_on) clipped to the window; overlapping intervals of the same person are
merged into "islands" (gaps and islands, with window functions), so a person counts once however
many engagements they have; each island adds 1 on its first day and removes 1 on its end day,
and a running sum over the change days gives the number of distinct active people from each
change day on. That is O(n log n) in the engagements, and yields at most one row per change day
(≤ 366 per group and measure); the monthly maxima are read from those in Python
(`monthly_maxima`): the level on the month's first day, and at each change within the month.
"""

import bisect
import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count

from engagements.models import ACTIVE_STATUSES, Engagement

MONTHS = 12

# GREATEST/LEAST are MAX/MIN with several arguments on SQLite (the embedded default).
_FUNCTIONS = {
    "postgresql": {"greatest": "GREATEST", "least": "LEAST"},
    "sqlite": {"greatest": "MAX", "least": "MIN"},
}

_PEOPLE_SQL = """
    SELECT {group} AS grp, '{who}' AS who, e.{person}_id AS person,
           {greatest}(e.started_on, %s) AS s, {least}(COALESCE(e.ended_on, %s), %s) AS e
    FROM engagements_engagement e
    WHERE e.company_id = %s AND e.status <> 'draft' AND e.{person}_id IS NOT NULL
      AND e.started_on < %s AND (e.ended_on IS NULL OR e.ended_on > %s)
"""

_LEVELS_SQL = """
WITH iv AS ({clients} UNION ALL {coaches}),
ordered AS (
    SELECT grp, who, person, s, e,
           MAX(e) OVER (PARTITION BY grp, who, person ORDER BY s, e
                        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end
    FROM iv WHERE s < e
),
numbered AS (
    SELECT grp, who, person, s, e,
           SUM(CASE WHEN prev_end IS NULL OR prev_end < s THEN 1 ELSE 0 END)
               OVER (PARTITION BY grp, who, person ORDER BY s, e ROWS UNBOUNDED PRECEDING)
               AS island
    FROM ordered
),
islands AS (
    SELECT grp, who, MIN(s) AS s, MAX(e) AS e FROM numbered GROUP BY grp, who, person, island
),
changes AS (
    SELECT grp, who, day, SUM(delta) AS delta FROM (
        SELECT grp, who, s AS day, 1 AS delta FROM islands
        UNION ALL
        SELECT grp, who, e AS day, -1 AS delta FROM islands
    ) AS steps
    GROUP BY grp, who, day
)
SELECT grp, who, day,
       SUM(delta) OVER (PARTITION BY grp, who ORDER BY day ROWS UNBOUNDED PRECEDING) AS active
FROM changes
ORDER BY grp, who, day
"""


@dataclass
class Counts:
    clients: int = 0
    coaches: int = 0


@dataclass
class BillingSummary:
    today: dt.date
    months: list  # [date of the 1st of each month], oldest first
    today_counts: Counts
    monthly: dict  # {"YYYY-MM": Counts}
    locations: list = field(default_factory=list)  # [(label, Counts today, {"YYYY-MM": Counts})]

    def month_rows(self):
        return [(month, self.monthly.get(month.strftime("%Y-%m"), Counts()))
                for month in self.months]

    def location_rows(self):
        return [
            (label, today, [monthly.get(month.strftime("%Y-%m"), Counts())
                            for month in self.months])
            for label, today, monthly in self.locations
        ]


def last_months(today, count=MONTHS):
    """The first day of each of the last `count` months, the current month last."""
    months = []
    year, month = today.year, today.month
    for _ in range(count):
        months.append(dt.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def month_end(first):
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def levels_sql(vendor, *, by_location=False):
    names = dict(_FUNCTIONS[vendor], group="e.location_id" if by_location else "NULL")
    return _LEVELS_SQL.format(
        clients=_PEOPLE_SQL.format(who="clients", person="coachee", **names),
        coaches=_PEOPLE_SQL.format(who="coaches", person="coach", **names),
    )


def levels_params(company_pk, start, end):
    stop = end + dt.timedelta(days=1)  # the window is [start, stop)
    one = [start, stop, stop, company_pk, stop, start]
    return one + one


def _as_date(value):
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def monthly_maxima(levels, months, stop):
    """
    {"YYYY-MM": most} from [(change day, level from that day on)] sorted by day: the level in
    force on each month's first day, and after each change within the month (before `stop`).
    """
    days = [day for day, _ in levels]
    result = {}
    for index, first in enumerate(months):
        after = months[index + 1] if index + 1 < len(months) else stop
        at = bisect.bisect_right(days, first) - 1
        most = levels[at][1] if at >= 0 else 0
        for position in range(at + 1, len(levels)):
            day, level = levels[position]
            if day >= after:
                break
            most = max(most, level)
        result[first.strftime("%Y-%m")] = most
    return result


def monthly_counts(company, months, end, *, by_location=False):
    """{(month "YYYY-MM", location id or None): Counts} for months[0]..end inclusive."""
    vendor = "postgresql" if connection.vendor == "postgresql" else "sqlite"
    series = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(levels_sql(vendor, by_location=by_location),
                       levels_params(company.pk, months[0], end))
        for grp, who, day, active in cursor.fetchall():
            series[grp, who].append((_as_date(day), int(active)))
    stop = end + dt.timedelta(days=1)
    counts = defaultdict(Counts)
    for (grp, who), levels in series.items():
        for month, most in monthly_maxima(levels, months, stop).items():
            setattr(counts[month, grp], who, most)
    return dict(counts)


def billing_summary(company, today):
    months = last_months(today)
    running = Engagement.objects.filter(company=company, status__in=ACTIVE_STATUSES)
    today_counts = Counts(**running.aggregate(
        clients=Count("coachee", distinct=True), coaches=Count("coach", distinct=True)))
    monthly = {month: counts for (month, _), counts
               in monthly_counts(company, months, today).items()}
    summary = BillingSummary(today=today, months=months, today_counts=today_counts,
                             monthly=monthly)
    if company.is_enterprise:
        per_location = monthly_counts(company, months, today, by_location=True)
        today_by_location = {
            row["location"]: Counts(row["clients"], row["coaches"])
            for row in running.order_by().values("location").annotate(
                clients=Count("coachee", distinct=True), coaches=Count("coach", distinct=True))
        }
        labels = [(location.pk, location.name) for location in company.locations.all()]
        if any(grp is None for _, grp in per_location) or None in today_by_location:
            labels.append((None, "No location"))
        for pk, label in labels:
            summary.locations.append((
                label,
                today_by_location.get(pk, Counts()),
                {month: counts for (month, grp), counts in per_location.items() if grp == pk},
            ))
    return summary


def csv_rows(summary, company):
    """The export: one row per scope and period, the company first, then each location."""
    yield ["scope", "period", "active_clients", "active_coaches"]
    scopes = [(company.name, summary.today_counts, summary.monthly)]
    scopes += [(f"Location: {label}", today, monthly)
               for label, today, monthly in summary.locations]
    for scope, today, monthly in scopes:
        yield [scope, f"today ({summary.today.isoformat()})", today.clients, today.coaches]
        for month in summary.months:
            counts = monthly.get(month.strftime("%Y-%m"), Counts())
            yield [scope, month.strftime("%Y-%m"), counts.clients, counts.coaches]
