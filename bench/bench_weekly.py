"""
Benchmark of the weekly programme digest (issue 15): building the digests of every
administrator of 500 companies, and composing them.

    scripts/services.sh start /tmp/optify-bench && source /tmp/optify-bench/env
    .venv/bin/python bench/bench_weekly.py                      # 20,000 then 100,000
    .venv/bin/python bench/bench_weekly.py --sizes 2000 --companies 50   # quick
    .venv/bin/python bench/bench_weekly.py --compose 150   # composing a sample of 150 digests
    .venv/bin/python bench/bench_weekly.py --sizes 1000000 --reuse \
        --database-url "${DATABASE_URL%/*}/optify_bench_weekly_1m"   # seeded once, then reused

For each size N it (re)seeds the database `optify_bench_weekly` (never `optify_bench`; with
--reuse, only when it does not hold N engagements already) with 500 companies in UTC, each
with two locations, a global administrator and two location administrators (one per
location), 20 coaches, and N/500 running engagements per company with a coachee each, the
same mix in every company and location: 60 % on track (a tenth of them going off track
within the week), 30 % off track (7 in 30 of those since last week, with their flip), 10 %
paused; a tenth of the on-track ones came back on track last week. Seeding is
INSERT ... SELECT generate_series.

Then, at Monday 2026-03-23 08:30 UTC (every company's Monday 08:00 has come):
1. building: `build_due_weekly_digests(now)` — the outbox rows of every administrator of
   every company, in one transaction as the hourly task does; queries and time;
2. composing: `sender.compose(nudge)` for every digest built (default; `--compose 150` for a
   sample), each nudge read as the sender reads a batch (recipient, company, locations): its
   summary through the gate, rendering subject, text and HTML, and the MIME bytes; queries
   per digest and time.
Queries must not grow with N. Every figure is printed with the load average beside it (the
machine may be shared).
"""

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from seed import ensure_database, loadavg, setup_django  # noqa: E402

MONDAY = dt.date(2026, 3, 23)
NOW = dt.datetime(2026, 3, 23, 8, 30, tzinfo=dt.UTC)
COACHES = 20

SEED_SQL = """
TRUNCATE accounts_company, accounts_location, accounts_user, templates_app_engagementtemplate,
         engagements_engagement, tracking_evaluationrun, tracking_progresstransition,
         notifications_nudge, notifications_nudgeitem, notifications_nudgepreference
         RESTART IDENTITY CASCADE;

INSERT INTO accounts_company (id, name, slug, timezone, plan, created_at)
SELECT c, 'Weekly Company ' || c, 'weekly-' || c, 'UTC', 'enterprise', now()
  FROM generate_series(1, %(companies)s) c;

-- Two locations per company: 2c - 1 and 2c.
INSERT INTO accounts_location (id, company_id, name)
SELECT l, (l + 1) / 2, 'Location ' || l FROM generate_series(1, 2 * %(companies)s) l;

-- Users: global administrators 1..C; location administrators C+1..3C (one per location);
-- coaches; one coachee per engagement.
INSERT INTO accounts_user (id, password, is_superuser, email, full_name, status,
                           is_global_admin, is_staff, date_joined, preferences, company_id)
SELECT c, '!', false, 'admin' || c || '@weekly.test', 'Admin ' || c, 'active', true, false,
       now(), '{}', c
  FROM generate_series(1, %(companies)s) c;
INSERT INTO accounts_user (id, password, is_superuser, email, full_name, status,
                           is_global_admin, is_staff, date_joined, preferences, company_id)
SELECT %(companies)s + l, '!', false, 'location' || l || '@weekly.test', 'Location admin ' || l,
       'active', false, false, now(), '{}', (l + 1) / 2
  FROM generate_series(1, 2 * %(companies)s) l;
INSERT INTO accounts_user_administered_locations (user_id, location_id)
SELECT %(companies)s + l, l FROM generate_series(1, 2 * %(companies)s) l;
INSERT INTO accounts_user (id, password, is_superuser, email, full_name, status,
                           is_global_admin, is_staff, date_joined, preferences, company_id)
SELECT %(first_coach)s + k, '!', false, 'coach' || k || '@weekly.test', 'Coach ' || k,
       'active', false, false, now(), '{}', (k - 1) / %(coaches)s + 1
  FROM generate_series(1, %(companies)s * %(coaches)s) k;
INSERT INTO accounts_user (id, password, is_superuser, email, full_name, status,
                           is_global_admin, is_staff, date_joined, preferences, company_id)
SELECT %(first_coachee)s + e, '!', false, 'coachee' || e || '@weekly.test',
       'Coachee ' || lpad(e::text, 7, '0'), 'active', false, false, now(), '{}',
       (e - 1) %% %(companies)s + 1
  FROM generate_series(1, %(engagements)s) e;

INSERT INTO templates_app_engagementtemplate
       (id, name, kind, description, tracking_threshold_days, tracking_threshold_unit,
        offtrack_notifications_enabled, created_at, updated_at, company_id)
SELECT c, 'Leadership 1:1', 'one_on_one', '', 21, 'days', true, now(), now(), c
  FROM generate_series(1, %(companies)s) c;

-- Engagement e: company (e - 1) %% C + 1; k = (e - 1) / C, its rank within its company, decides
-- its progress (k %% 10), its dates and its location (k / 10 %% 2), so that every company
-- and every location has the same mix.
INSERT INTO engagements_engagement
       (id, kind, status, created_at, launched_at, started_on, end_reason, end_note,
        tracking_threshold_days, offtrack_notifications_enabled, progress, off_track_since,
        goes_off_track_on, paused_until, last_activity_on, coach_id, coachee_id, company_id,
        owner_id, template_id, location_id)
SELECT e, 'one_on_one', 'active', now(), now(), %(started)s, '', '', 21, true,
       CASE WHEN k %% 10 < 6 THEN 'on_track' WHEN k %% 10 < 9 THEN 'off_track'
            ELSE 'paused' END,
       CASE WHEN k %% 10 BETWEEN 6 AND 8
            THEN %(monday)s::date - 1 - (k / 10) %% 30 END,
       CASE WHEN k %% 10 < 6 THEN %(monday)s::date + (k / 10) %% 70 END,
       CASE WHEN k %% 10 = 9 THEN %(monday)s::date + 5 END,
       %(started)s,
       %(first_coach)s + ((e - 1) %% %(companies)s) * %(coaches)s + k %% %(coaches)s + 1,
       %(first_coachee)s + e, (e - 1) %% %(companies)s + 1, (e - 1) %% %(companies)s + 1,
       (e - 1) %% %(companies)s + 1,
       2 * ((e - 1) %% %(companies)s) + 1 + (k / 10) %% 2
  FROM generate_series(1, %(engagements)s) e, LATERAL (SELECT (e - 1) / %(companies)s AS k) r;

-- Last week's flips: those off track since last week, and a tenth of the on-track ones back.
INSERT INTO tracking_progresstransition (engagement_id, company_id, from_status, to_status, day,
                                         cause, created_at, awaits_outbox)
SELECT id, company_id, 'on_track', 'off_track', off_track_since, 'daily', now(), false
  FROM engagements_engagement WHERE off_track_since >= %(monday)s::date - 7
UNION ALL
SELECT id, company_id, 'off_track', 'on_track', %(monday)s::date - 3, 'session', now(), false
  FROM engagements_engagement
 WHERE progress = 'on_track' AND ((id - 1) / %(companies)s) %% 100 < 10;

SELECT setval(pg_get_serial_sequence('accounts_company', 'id'), %(companies)s);
SELECT setval(pg_get_serial_sequence('accounts_location', 'id'), 2 * %(companies)s);
SELECT setval(pg_get_serial_sequence('accounts_user', 'id'), %(first_coachee)s + %(engagements)s);
SELECT setval(pg_get_serial_sequence('templates_app_engagementtemplate', 'id'), %(companies)s);
SELECT setval(pg_get_serial_sequence('engagements_engagement', 'id'), %(engagements)s);
"""


def weekly_database_url(url=None):
    if url:
        return url
    base = os.environ.get("DATABASE_URL")
    if not base:
        sys.exit("Set DATABASE_URL (`source /tmp/optify-bench/env`) or pass --database-url.")
    return urlunsplit(urlsplit(base)._replace(path="/optify_bench_weekly"))


def seeded(engagements, companies):
    """Whether the database already holds this size's data (for --reuse)."""
    from accounts.models import Company
    from engagements.models import Engagement

    return (Company.objects.count() == companies
            and Engagement.objects.count() == engagements)


def forget_digests():
    """A reused database's earlier digests out of the outbox, so building starts afresh."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE notifications_nudge, notifications_nudgeitem CASCADE")


def seed(engagements, companies):
    from django.db import connection

    params = {"companies": companies, "coaches": COACHES, "engagements": engagements,
              "first_coach": 3 * companies, "first_coachee": companies * (3 + COACHES),
              "monday": MONDAY, "started": MONDAY - dt.timedelta(days=90)}
    started = time.monotonic()
    with connection.cursor() as cursor:
        for statement in SEED_SQL.split(";\n"):
            if statement.strip():
                cursor.execute(statement, params)
        cursor.execute("VACUUM ANALYZE")
    return time.monotonic() - started


class Counter:
    """Counts statements (connection.queries is capped, and off with DEBUG off)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def bench(engagements, companies, sample, reuse=False):
    from django.db import connection, transaction

    from notifications import sender
    from notifications.models import Nudge, Role
    from notifications.weekly import build_due_weekly_digests

    if reuse and seeded(engagements, companies):
        forget_digests()
        print(f"\n== {engagements:,} engagements, {companies} companies (reused)")
    else:
        seconds = seed(engagements, companies)
        print(f"\n== {engagements:,} engagements, {companies} companies "
              f"(seeded in {seconds:.0f} s)")

    started, cpu = time.monotonic(), time.process_time()
    queries = Counter()
    with transaction.atomic(), connection.execute_wrapper(queries):
        built = build_due_weekly_digests(NOW)
    building = time.monotonic() - started, time.process_time() - cpu
    digests = sum(built.values())
    print(f"build: {digests} digests for {len(built)} companies, "
          f"{queries.count} queries, {building[0]:.1f} s "
          f"(CPU {building[1]:.1f} s), {loadavg()}")

    # As the sender reads a claimed batch (sender.send_due_nudges).
    nudges = list(Nudge.objects.filter(role=Role.WEEKLY_DIGEST)
                  .select_related("recipient__company", "company")
                  .prefetch_related("recipient__administered_locations").order_by("pk"))
    if sample:  # every k-th digest, global and location administrators alike
        nudges = nudges[::max(1, len(nudges) // sample)][:sample]
    per_digest, size, slowest = set(), 0, 0
    started, cpu = time.monotonic(), time.process_time()
    for nudge in nudges:
        queries = Counter()
        one = time.monotonic()
        with connection.execute_wrapper(queries):
            message = sender.compose(nudge)
        size = max(size, len(message.message().as_bytes()))
        slowest = max(slowest, time.monotonic() - one)
        per_digest.add(queries.count)
    composing = time.monotonic() - started, time.process_time() - cpu
    print(f"compose: {len(nudges)} of {digests} digests, queries per digest "
          f"{sorted(per_digest)}, {composing[0]:.1f} s (CPU {composing[1]:.1f} s; "
          f"{composing[0] / max(len(nudges), 1) * 1000:.0f} ms each, slowest "
          f"{slowest * 1000:.0f} ms), largest {size:,} bytes, {loadavg()}")
    print(f"in all: {building[0] + composing[0]:.1f} s"
          + (f" (composing a sample of {len(nudges)} of {digests})"
             if len(nudges) < digests else " (building and composing every digest)")
          + f", {loadavg()}")


def compose_count(value):
    return 0 if value == "all" else int(value)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--companies", type=int, default=500)
    parser.add_argument("--compose", type=compose_count, default=0, metavar="all|N",
                        help="compose every digest (all, the default) or a sample of N")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the database's data when it already has this size")
    parser.add_argument("--database-url")
    args = parser.parse_args()
    url = weekly_database_url(args.database_url)
    ensure_database(url)
    setup_django(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(f"at start: {loadavg()}")
    for size in args.sizes:
        bench(size, args.companies, args.compose, args.reuse)
    print(f"at end: {loadavg()}")


if __name__ == "__main__":
    main()
