"""
Billing counts: active clients (distinct coachees) and active coaches (distinct coaches) of a
company's engagements.

- *Today*: engagements whose status is active or coach matching (DESIGN).
- *Each of the last 12 months*: the most at any point in the month. An engagement counts on day
  d when it was launched, started_on <= d and (ended_on is null or ended_on > d): the day it ends
  is no longer billed. Counted per day in SQL (one row per day of the window joined to the
  engagements running that day), then the maximum per month; clients and coaches are maximised
  separately, as a contract caps each.
- Enterprise companies also get the same figures per location (a person in two locations counts
  once for the company and once in each location).
"""

import calendar
import datetime as dt
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count

from engagements.models import ACTIVE_STATUSES, Engagement

MONTHS = 12

# The window's days: generate_series on PostgreSQL; a recursive CTE elsewhere (SQLite, the
# embedded default). Both yield ISO dates comparable with the date columns of that backend.
_DAYS_SQL = {
    "postgresql": (
        "SELECT d::date AS day FROM generate_series(%s::date, %s::date, interval '1 day') AS d"
    ),
    "sqlite": (
        "WITH RECURSIVE series(day) AS (SELECT date(%s) UNION ALL "
        "SELECT date(day, '+1 day') FROM series WHERE day < date(%s)) SELECT day FROM series"
    ),
}
_MONTH_SQL = {
    "postgresql": "to_char(per_day.day, 'YYYY-MM')",
    "sqlite": "strftime('%%Y-%%m', per_day.day)",
}

_MONTHLY_SQL = """
WITH days AS ({days}),
per_day AS (
    SELECT days.day, {group} AS grp,
           COUNT(DISTINCT e.coachee_id) AS clients, COUNT(DISTINCT e.coach_id) AS coaches
    FROM days
    JOIN engagements_engagement e
      ON e.started_on <= days.day AND (e.ended_on IS NULL OR e.ended_on > days.day)
    WHERE e.company_id = %s AND e.status <> 'draft' AND e.started_on <= %s
      AND (e.ended_on IS NULL OR e.ended_on > %s)
    GROUP BY 1, 2
)
SELECT {month} AS month, grp, MAX(clients), MAX(coaches)
FROM per_day
GROUP BY 1, 2
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


def monthly_sql(vendor, *, by_location=False):
    return _MONTHLY_SQL.format(
        days=_DAYS_SQL[vendor], month=_MONTH_SQL[vendor],
        group="e.location_id" if by_location else "NULL",
    )


def monthly_params(company_pk, start, end):
    # The last two bounds only let the planner skip engagements outside the window.
    return [start, end, company_pk, end, start]


def monthly_counts(company, start, end, *, by_location=False):
    """{(month "YYYY-MM", location id or None): Counts} for the days start..end inclusive."""
    vendor = "postgresql" if connection.vendor == "postgresql" else "sqlite"
    with connection.cursor() as cursor:
        cursor.execute(monthly_sql(vendor, by_location=by_location),
                       monthly_params(company.pk, start, end))
        return {(month, grp): Counts(clients, coaches)
                for month, grp, clients, coaches in cursor.fetchall()}


def billing_summary(company, today):
    months = last_months(today)
    start, end = months[0], today
    running = Engagement.objects.filter(company=company, status__in=ACTIVE_STATUSES)
    today_counts = Counts(**running.aggregate(
        clients=Count("coachee", distinct=True), coaches=Count("coach", distinct=True)))
    monthly = {month: counts for (month, _), counts
               in monthly_counts(company, start, end).items()}
    summary = BillingSummary(today=today, months=months, today_counts=today_counts,
                             monthly=monthly)
    if company.is_enterprise:
        per_location = monthly_counts(company, start, end, by_location=True)
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
