"""
Benchmark of the off-track nudges (issue 4): building the outbox and composing the emails.

    source /tmp/optify-dev/env
    .venv/bin/python bench/bench_nudges.py                       # 10,000 then 100,000
    .venv/bin/python bench/bench_nudges.py --sizes 2000 --compose 50 --repeat 1  # quick
    .venv/bin/python bench/bench_nudges.py --reuse     # composing again, on the last seed

For each size N it (re)seeds the database `optify_bench_nudges` (never `optify_bench`) with
N active engagements across --companies companies that all turn Off Track on one day — the
state the daily evaluation leaves just before it sends `evaluation_committing`: engagements
off track since that day, one ProgressTransition per engagement and one EvaluationRun per
company. Each company has one global administrator (owner of all its engagements), 20
coaches, and a coachee per engagement (1 in 20 an internal record, who is not nudged).
Seeding is INSERT ... SELECT generate_series, in SQL.

Then it measures:
1. building the outbox: `build_outbox_for_runs(runs)` for every company's run at once, in
   one transaction, as the daily job does; the number of queries (must grow neither with N nor
   with the companies) and the time;
2. composing: `sender.compose(nudge)` (the digest's query through restrict + rendering the
   subject, text and HTML) and the MIME bytes, for a sample of each role's nudges, --repeat
   times; ms per email, wall clock and CPU, with the load average;
3. sending: `send_due_nudges()` through Django's in-memory mail backend for --send nudges
   (claim, compose, hand over, record); ms per email.
"""

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from seed import ensure_database, setup_django  # noqa: E402

DAY = dt.date(2026, 3, 23)
COACHES_PER_COMPANY = 20

SEED_SQL = """
TRUNCATE accounts_company, accounts_location, accounts_user, templates_app_engagementtemplate,
         engagements_engagement, tracking_evaluationrun, tracking_progresstransition,
         notifications_nudge, notifications_nudgeitem, notifications_nudgepreference
         RESTART IDENTITY CASCADE;

INSERT INTO accounts_company (id, name, slug, timezone, plan, created_at)
SELECT c, 'Nudge Company ' || c, 'nudge-' || c, 'UTC', 'standard', now()
  FROM generate_series(1, %(companies)s) c;

-- Users: administrators 1..C, then coaches, then one coachee per engagement.
INSERT INTO accounts_user (id, password, is_superuser, email, full_name, status,
                           is_global_admin, is_staff, date_joined, preferences, company_id)
SELECT c, '!', false, 'admin' || c || '@nudge.test', 'Admin ' || c, 'active', true, false,
       now(), '{}', c
  FROM generate_series(1, %(companies)s) c;
INSERT INTO accounts_user (id, password, is_superuser, email, full_name, status,
                           is_global_admin, is_staff, date_joined, preferences, company_id)
SELECT %(companies)s + k, '!', false, 'coach' || k || '@nudge.test', 'Coach ' || k,
       'active', false, false, now(), '{}', (k - 1) / %(coaches)s + 1
  FROM generate_series(1, %(companies)s * %(coaches)s) k;
INSERT INTO accounts_user (id, password, is_superuser, email, full_name, status,
                           is_global_admin, is_staff, date_joined, preferences, company_id)
SELECT %(first_coachee)s + e, '!', false, 'coachee' || e || '@nudge.test',
       'Coachee ' || lpad(e::text, 7, '0'),
       CASE WHEN e %% 20 = 0 THEN 'internal_record' ELSE 'active' END, false, false, now(), '{}',
       (e - 1) %% %(companies)s + 1
  FROM generate_series(1, %(engagements)s) e;

INSERT INTO templates_app_engagementtemplate
       (id, name, kind, description, tracking_threshold_days, tracking_threshold_unit,
        offtrack_notifications_enabled, created_at, updated_at, company_id)
SELECT c, 'Leadership 1:1', 'one_on_one', '', 21, 'days', true, now(), now(), c
  FROM generate_series(1, %(companies)s) c;

INSERT INTO engagements_engagement
       (id, kind, status, created_at, launched_at, started_on, end_reason, end_note,
        tracking_threshold_days, offtrack_notifications_enabled, progress, off_track_since,
        last_activity_on, coach_id, coachee_id, company_id, owner_id, template_id)
SELECT e, 'one_on_one', 'active', now(), now(), %(started)s, '', '', 21, true, 'off_track',
       %(day)s, %(started)s,
       %(companies)s + ((e - 1) %% %(companies)s) * %(coaches)s
           + ((e - 1) / %(companies)s) %% %(coaches)s + 1,
       %(first_coachee)s + e, (e - 1) %% %(companies)s + 1, (e - 1) %% %(companies)s + 1,
       (e - 1) %% %(companies)s + 1
  FROM generate_series(1, %(engagements)s) e;

INSERT INTO tracking_evaluationrun (id, company_id, day, started_at, evaluated, on_track,
                                    off_track, paused, not_tracked, transitions_count)
SELECT c, c, %(day)s, now(), 0, 0, 0, 0, 0, 0 FROM generate_series(1, %(companies)s) c;

INSERT INTO tracking_progresstransition (engagement_id, company_id, from_status, to_status, day,
                                         cause, run_id, created_at)
SELECT e, (e - 1) %% %(companies)s + 1, 'on_track', 'off_track', %(day)s, 'daily',
       (e - 1) %% %(companies)s + 1, now()
  FROM generate_series(1, %(engagements)s) e;

-- As the evaluation counts them (the outbox reads the flips of the runs that wrote some).
UPDATE tracking_evaluationrun r
   SET transitions_count = (SELECT count(*) FROM tracking_progresstransition t
                             WHERE t.run_id = r.id);

SELECT setval(pg_get_serial_sequence('accounts_company', 'id'), %(companies)s);
SELECT setval(pg_get_serial_sequence('accounts_user', 'id'), %(first_coachee)s + %(engagements)s);
SELECT setval(pg_get_serial_sequence('templates_app_engagementtemplate', 'id'), %(companies)s);
SELECT setval(pg_get_serial_sequence('engagements_engagement', 'id'), %(engagements)s);
SELECT setval(pg_get_serial_sequence('tracking_evaluationrun', 'id'), %(companies)s);
"""


def nudges_database_url(url=None):
    import os

    if url:
        return url
    base = os.environ.get("DATABASE_URL")
    if not base:
        sys.exit("Set DATABASE_URL (e.g. `source /tmp/optify-dev/env`) or pass --database-url.")
    return urlunsplit(urlsplit(base)._replace(path="/optify_bench_nudges"))


def ms(seconds):
    return f"{seconds * 1000:.1f} ms"


def summary(times):
    times = sorted(times)
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    return (f"mean {ms(statistics.fmean(times))}, median {ms(statistics.median(times))}, "
            f"p95 {ms(p95)}, max {ms(times[-1])} (n={len(times)})")


def seed(engagements, companies):
    from django.db import connection

    params = {
        "companies": companies, "coaches": COACHES_PER_COMPANY, "engagements": engagements,
        "first_coachee": companies * (1 + COACHES_PER_COMPANY), "day": DAY,
        "started": DAY - dt.timedelta(days=60),
    }
    started = time.monotonic()
    with connection.cursor() as cursor:
        for statement in SEED_SQL.split(";\n"):
            if statement.strip():
                cursor.execute(statement, params)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return time.monotonic() - started


def bench_outbox():
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from notifications.models import Nudge, NudgeItem
    from notifications.outbox import build_outbox_for_runs
    from tracking.models import EvaluationRun

    runs = list(EvaluationRun.objects.select_related("company").order_by("pk"))
    started = time.monotonic()
    # As the daily job does: every company's run at once, in one transaction.
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        build_outbox_for_runs(runs)
    elapsed = time.monotonic() - started  # including the COMMIT
    return {
        "runs": len(runs), "queries_per_run": [len(queries.captured_queries)],
        "seconds": elapsed,
        "nudges": Nudge.objects.count(), "items": NudgeItem.objects.count(),
    }


def bench_compose(sample):
    """ms per email for `sample` nudges of each role: wall clock and this process's CPU."""
    import os

    from notifications import sender
    from notifications.models import Nudge

    results = {}
    for role in ["administrator", "coach", "coachee"]:
        nudges = list(Nudge.objects.filter(role=role).select_related("recipient", "company")
                      .order_by("pk")[:sample])
        sender.compose(nudges[0])  # warm the template cache
        times, cpu, items = [], [], 0
        for nudge in nudges:
            t0, c0 = time.perf_counter(), time.process_time()
            message = sender.compose(nudge)
            message.message()  # the MIME bytes, as the backend would build them
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
            items = max(items, nudge.items.count())
        results[role] = (f"wall {summary(times)}; CPU {summary(cpu)}; "
                         f"load average {os.getloadavg()[0]:.1f}", items)
    return results


def print_compose(sample, repeat):
    for attempt in range(1, repeat + 1):
        for role, (line, items) in bench_compose(sample).items():
            print(f"compose #{attempt} {role:<13} (up to {items} engagements per digest): {line}")


def bench_send(count):
    from django.conf import settings
    from django.core import mail

    from notifications import sender
    from notifications.models import Nudge

    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    keep = list(Nudge.objects.order_by("?").values_list("pk", flat=True)[:count])
    Nudge.objects.exclude(pk__in=keep).update(status=Nudge.Status.CANCELLED)
    mail.outbox = []
    t0 = time.perf_counter()
    counts = sender.send_due_nudges()
    elapsed = time.perf_counter() - t0
    return counts, elapsed, len(mail.outbox)


def main(argv=None):
    import os

    # Measure what production runs: DEBUG off (no query log, no template debug info), and
    # without per-email INFO log lines.
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000",
                        help="comma-separated numbers of engagements")
    parser.add_argument("--companies", type=int, default=500)
    parser.add_argument("--compose", type=int, default=200, help="emails composed per role")
    parser.add_argument("--repeat", type=int, default=3,
                        help="times the composing is measured (the machine is shared)")
    parser.add_argument("--send", type=int, default=1000, help="emails sent (locmem backend)")
    parser.add_argument("--reuse", action="store_true",
                        help="only measure composing, on the nudges already in the database "
                             "(from an earlier run of the last size); no seeding, no sending")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)

    url = nudges_database_url(args.database_url)
    ensure_database(url)
    setup_django(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if args.reuse:
        print(f"== reusing the seeded database (load average {os.getloadavg()[0]:.1f} "
              f"on {os.cpu_count()} CPUs)")
        print_compose(args.compose, args.repeat)
        return
    for size in [int(s) for s in args.sizes.split(",")]:
        print(f"== {size:,} engagements off track on {DAY} across {args.companies} companies"
              f" (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
        print(f"seeded in {seed(size, args.companies):.1f}s")
        outbox = bench_outbox()
        print(f"outbox: {outbox['runs']} runs at once, {outbox['queries_per_run'][0]} queries, "
              f"{outbox['nudges']:,} nudges with {outbox['items']:,} items "
              f"in {outbox['seconds']:.2f}s with the commit "
              f"(load average {os.getloadavg()[0]:.1f})")
        print_compose(args.compose, args.repeat)
        counts, elapsed, delivered = bench_send(args.send)
        print(f"send: {delivered} emails in {elapsed:.2f}s "
              f"({ms(elapsed / max(delivered, 1))} per email) {counts}")


if __name__ == "__main__":
    main()
