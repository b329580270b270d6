"""
Billing counts: active clients (distinct coachees) and active coaches (distinct coaches) of a
company's engagements, today and for each of the last 12 months (the most on any day of the
month), for the company and, for enterprise companies, per location (a person in two locations
counts once for the company and once in each location).

A person counts on day d when one of their engagements was launched (not a draft), started_on
<= d and (ended_on is null or ended_on > d): the day an engagement ends is no longer billed, so
ending or completing one today takes it out of today's count at once. A coach chosen by coach
matching counts from the day they were selected. Clients and coaches are maximised separately,
as a contract caps each. For today this is DESIGN's rule (engagements in active or coach
matching status), since ending an engagement sets its end date to today.

Speed. Each day's counts are computed once and stored (`BillingDay`, reports/models.py); the
page reads the stored days — at most 366 small rows per scope — and computes only the days not
stored yet:
  - a few days (after a change, or on a new day): counted directly, two aggregates per day
    (`counts_on`);
  - a longer run (the first visit, or after a back-dated change): two SQL statements sweep the
    engagements (`levels_sql`): each person's engagements become half-open intervals
    [start, end) clipped to the run; a person's overlapping intervals are merged into "islands"
    (gaps and islands, with window functions), so a person counts once however many
    engagements they have; each island adds 1 on its first day and removes 1 on its end day,
    and a running sum over the change days gives the number of distinct active people from
    each change day on — O(n log n) in the engagements, instead of days x engagements.
Both ways count the same; tests/billing checks them against each other.

Keeping stored days true. A stored day is only true while the engagements' dates and people it
was counted from stay as they were. engagements/ announces every such change with its signals
(engagements/signals.py), inside the writing transaction; reports/receivers.py answers each, in
that same transaction, with one of these:
  - `count_change_today`: engagements launched or ended today move today's stored counts by the
    people they add or remove (the two common changes: no recount);
  - `forget_billing_from`: any other change (a start moved, a coach selected, an admin edit, a
    deletion) drops the stored days from the first day it can affect on, and the next visit
    recomputes them.
Both, and the recomputation, lock the company row (FOR NO KEY UPDATE, which does not block
inserting engagements), so a recomputation never stores counts read before a change that was
meanwhile committed. A new write path that changes an engagement's people, status or dates
sends the matching signal; a plain `save()` or `QuerySet.update()` does not (only a deletion
is followed without one, through `post_delete`).
"""

import datetime as dt
import time
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Count, Max, Q
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext

from accounts.models import Company
from engagements.models import CoachSelection, Engagement
from optify.dates import as_date
from reports.models import BillingDay

MONTHS = 12
ONE_DAY = dt.timedelta(days=1)
# Up to this many missing days are counted one by one (each ~0.5 s for a 200,000-engagement
# tenant, a sweep ~7 s: docs/benchmarks.md); more are swept at once.
COUNT_DAY_BY_DAY_UP_TO = 7

# GREATEST/LEAST are MAX/MIN with several arguments on SQLite (the embedded default).
_FUNCTIONS = {
    "postgresql": {"greatest": "GREATEST", "least": "LEAST"},
    "sqlite": {"greatest": "MAX", "least": "MIN"},
}

# One row per person and engagement; `since` is the day the person starts to count.
_PEOPLE_SQL = """
    SELECT {group} AS grp, '{who}' AS who, e.{person}_id AS person,
           {greatest}({since}, %s) AS s, {least}(COALESCE(e.ended_on, %s), %s) AS e
    FROM engagements_engagement e {join}
    WHERE e.company_id = %s AND e.status <> %s AND e.{person}_id IS NOT NULL
      AND {since} < %s AND (e.ended_on IS NULL OR e.ended_on > %s)
"""
_SELECTION_JOIN = "LEFT JOIN engagements_coachselection cs ON cs.engagement_id = e.id"

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

# Scopes: (True, None) is the whole company; (False, location id or None) one location.
COMPANY = (True, None)


@dataclass
class Counts:
    clients: int = 0
    coaches: int = 0

    def __bool__(self):
        return bool(self.clients or self.coaches)


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


# --- Keeping the stored days true ------------------------------------------------------------

def lock_company_billing(company_id):
    """Serialise recomputing and forgetting a company's days (inside a transaction)."""
    list(Company.objects.select_for_update(no_key=True).filter(pk=company_id)
         .values_list("pk", flat=True))


def forget_billing_from(company_id, day):
    """Drop `company_id`'s stored days from `day` on; call it in the changing transaction."""
    if company_id is None or day is None:
        return
    with transaction.atomic():
        lock_company_billing(company_id)
        BillingDay.objects.filter(company_id=company_id, day__gte=day).delete()


def count_change_today(company, engagements, today, sign):
    """
    `engagements` have just started (sign +1, a launch) or stopped (-1, an ending) counting
    today: move today's stored counts by the people this adds or removes, instead of dropping
    the day and counting 160,000 engagements again on the next visit. A person moves a count
    only if no other engagement of theirs counts today in that scope. Call it in the changing
    transaction, after the change. Nothing to do when today is not stored yet (the next visit
    counts it); today is dropped, to be recounted, if the stored counts cannot take the move.
    """
    affected = [e for e in engagements if e.started_on is not None and e.started_on <= today]
    if not affected:
        return  # starting or ending on a later day does not change today
    with transaction.atomic():
        lock_company_billing(company.pk)
        rows = {(row.whole_company, row.location_id): row
                for row in BillingDay.objects.filter(company=company, day=today)}
        if COMPANY not in rows:
            return
        others = (Engagement.objects.filter(company=company, started_on__lte=today)
                  .exclude(status=Engagement.Status.DRAFT)
                  .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=today))
                  .exclude(pk__in=[e.pk for e in affected]))
        moved = set()
        for who, person_field in (("clients", "coachee_id"), ("coaches", "coach_id")):
            placed = {(getattr(e, person_field), e.location_id) for e in affected
                      if getattr(e, person_field) is not None}
            if not placed:
                continue
            elsewhere = set(others.filter(**{f"{person_field}__in": {p for p, _ in placed}})
                            .order_by().values_list(person_field, "location_id").distinct())
            counted_elsewhere = {person for person, _ in elsewhere}
            moves = [COMPANY] * len({p for p, _ in placed if p not in counted_elsewhere})
            moves += [(False, place) for person, place in placed
                      if (person, place) not in elsewhere]
            for scope in moves:
                row = rows.setdefault(scope, BillingDay(
                    company=company, whole_company=scope[0], location_id=scope[1], day=today,
                    clients=0, coaches=0))
                setattr(row, who, getattr(row, who) + sign)
                moved.add(scope)
        if any(row.clients < 0 or row.coaches < 0 for row in rows.values()):
            BillingDay.objects.filter(company=company, day=today).delete()  # recount it
            return
        for scope in moved:
            rows[scope].save()


# --- Computing days -----------------------------------------------------------------------

def levels_sql(vendor, *, by_location=False):
    names = dict(_FUNCTIONS[vendor], group="e.location_id" if by_location else "NULL")
    coach_since = f"{names['greatest']}(e.started_on, COALESCE(cs.selected_on, e.started_on))"
    return _LEVELS_SQL.format(
        clients=_PEOPLE_SQL.format(who="clients", person="coachee", since="e.started_on",
                                   join="", **names),
        coaches=_PEOPLE_SQL.format(who="coaches", person="coach", since=coach_since,
                                   join=_SELECTION_JOIN, **names),
    )


def levels_params(company_pk, first, last):
    stop = last + ONE_DAY  # the run is [first, stop)
    one = [first, stop, stop, company_pk, Engagement.Status.DRAFT.value, stop, first]
    return one + one


def swept_counts(company, first, last):
    """{day: {scope: Counts}} for every day first..last, by sweeping (two statements)."""
    vendor = "postgresql" if connection.vendor == "postgresql" else "sqlite"
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    result = {day: defaultdict(Counts) for day in days}
    for by_location in (False, True):
        series = defaultdict(list)  # (scope, who) -> [(change day, level from then on)]
        with connection.cursor() as cursor:
            cursor.execute(levels_sql(vendor, by_location=by_location),
                           levels_params(company.pk, first, last))
            for grp, who, day, active in cursor.fetchall():
                scope = (False, grp) if by_location else COMPANY
                series[scope, who].append((as_date(day), int(active)))
        for (scope, who), levels in series.items():
            position, level = 0, 0
            for day in days:  # the level in force on each day
                while position < len(levels) and levels[position][0] <= day:
                    level = levels[position][1]
                    position += 1
                if level:
                    setattr(result[day][scope], who, level)
    return result


def counts_on(company, day):
    """{scope: Counts} on `day`, counted directly (two aggregates)."""
    running = (Engagement.objects.filter(company=company, started_on__lte=day)
               .exclude(status=Engagement.Status.DRAFT)
               .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=day)))
    # A coach selected after `day` does not count yet. Those are few (none when `day` is
    # today), so excluding them costs far less than joining every engagement's selection.
    selected_later = CoachSelection.objects.filter(selected_on__gt=day).values("engagement_id")
    coach_counts = Q(coach__isnull=False) & ~Q(pk__in=selected_later)
    measures = {"clients": Count("coachee", distinct=True),
                "coaches": Count("coach", distinct=True, filter=coach_counts)}
    result = defaultdict(Counts)
    result[COMPANY] = Counts(**running.aggregate(**measures))
    for row in running.order_by().values("location").annotate(**measures):
        result[False, row["location"]] = Counts(row["clients"], row["coaches"])
    return result


def store_missing_days(company, today):
    """
    Compute and store the window's days up to `today` that are not stored yet. Stored days
    always run without a gap from the window's first day (days are only ever dropped from a
    day on), so the missing ones are those after the last stored day.
    """
    first = last_months(today)[0]
    with transaction.atomic():
        lock_company_billing(company.pk)  # no counts from before a change (see above)
        last = (BillingDay.objects.filter(company=company, whole_company=True, day__gte=first)
                .aggregate(last=Max("day"))["last"])
        start = first if last is None else last + ONE_DAY
        if start > today:
            return 0
        if (today - start).days < COUNT_DAY_BY_DAY_UP_TO:
            days = {start + dt.timedelta(days=n): None for n in range((today - start).days + 1)}
            days = {day: counts_on(company, day) for day in days}
        else:
            days = swept_counts(company, start, today)
        BillingDay.objects.filter(company=company, day__lt=first).delete()  # out of any window
        rows = []
        for day, scopes in days.items():
            scopes.setdefault(COMPANY, Counts())  # stored even when zero: the day is computed
            rows += [BillingDay(company=company, whole_company=scope[0], location_id=scope[1],
                                day=day, clients=counts.clients, coaches=counts.coaches)
                     for scope, counts in scopes.items() if counts or scope == COMPANY]
        BillingDay.objects.bulk_create(rows, batch_size=2000)
    return len(days)


def store_missing_days_of(companies):
    """Each company's missing days up to its own today: yields (company, days, milliseconds)."""
    for company in companies:
        started = time.monotonic()
        days = store_missing_days(company, company.local_today())
        yield company, days, (time.monotonic() - started) * 1000


# --- Reading the summary --------------------------------------------------------------------


def billing_summary(company, today):
    months = last_months(today)
    store_missing_days(company, today)
    stored = BillingDay.objects.filter(company=company, day__gte=months[0], day__lte=today)
    monthly = defaultdict(dict)  # scope -> {"YYYY-MM": Counts}
    for row in (stored.annotate(month=TruncMonth("day")).order_by()
                .values("whole_company", "location", "month")
                .annotate(most_clients=Max("clients"), most_coaches=Max("coaches"))):
        scope = (row["whole_company"], row["location"])
        monthly[scope][as_date(row["month"]).strftime("%Y-%m")] = Counts(
            row["most_clients"], row["most_coaches"])
    today_counts = {(row.whole_company, row.location_id): Counts(row.clients, row.coaches)
                    for row in stored.filter(day=today)}

    summary = BillingSummary(today=today, months=months,
                             today_counts=today_counts.get(COMPANY, Counts()),
                             monthly=monthly[COMPANY])
    if company.is_enterprise:
        labels = [(location.pk, location.name) for location in company.locations.all()]
        if (False, None) in monthly:
            labels.append((None, gettext("No location")))
        summary.locations = [
            (label, today_counts.get((False, pk), Counts()), monthly.get((False, pk), {}))
            for pk, label in labels
        ]
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
