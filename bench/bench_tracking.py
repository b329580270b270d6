"""
Benchmark of progress tracking against a database seeded by bench/seed.py.

    source /tmp/optify-dev/env
    .venv/bin/python bench/seed.py                 # once: 1,000,000 engagements in optify_bench
    .venv/bin/python bench/bench_tracking.py       # the figures of docs/benchmarks.md
    .venv/bin/python bench/bench_tracking.py --engagements 20000   # quick: seeds its own DB

Measures, in one run:
1. the full set-based evaluation of every engagement (tracking.evaluation.evaluate_many, all
   companies) against a baseline: one hand-written SQL UPDATE computing the same statuses;
   target ratio <= 1.5. Both write every engagement row.
2. the daily run on the next day (tracking.jobs.run_daily_evaluation for each of the 500
   companies, exactly as the Celery tasks run it) against the same baseline; target ratio
   <= 0.1. It runs with dry_run (everything rolled back at the end of each company's
   transaction), so the shared database stays as seeded.
3. peak memory (max RSS) of this process, which runs the evaluations: target < 300 MB.
"""

import argparse
import datetime as dt
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from seed import bench_database_url, setup_django  # noqa: E402

# The baseline: what a person would write by hand to compute every engagement's status in
# one UPDATE (status and off-track-since only; no last activity, next event, due day or
# history), to compare the project's evaluation with.
BASELINE_SQL = """
UPDATE engagements_engagement e SET
    progress = b.progress,
    off_track_since = CASE WHEN b.progress = 'off_track' THEN b.last_activity + b.threshold END
FROM (
    SELECT e.id, e.tracking_threshold_days AS threshold,
           GREATEST(e.started_on, sel.selected_on, ev.last_event) AS last_activity,
           CASE
               WHEN e.status NOT IN ('active', 'coach_matching')
                    OR e.tracking_threshold_days IS NULL THEN 'not_tracked'
               WHEN ev.has_next
                    OR %(today)s < GREATEST(e.started_on, sel.selected_on, ev.last_event)
                                   + e.tracking_threshold_days THEN 'on_track'
               ELSE 'off_track'
           END AS progress
    FROM engagements_engagement e
    JOIN accounts_company c ON c.id = e.company_id
    LEFT JOIN engagements_coachselection sel
           ON sel.engagement_id = e.id AND e.status = 'active'
    LEFT JOIN (
        SELECT x.engagement_id,
               max(CASE WHEN (x.starts_at AT TIME ZONE c.timezone)::date <= %(today)s
                        THEN (x.starts_at AT TIME ZONE c.timezone)::date
                        ELSE (x.cancelled_at AT TIME ZONE c.timezone)::date END) AS last_event,
               bool_or(x.status = 'scheduled'
                       AND (x.starts_at AT TIME ZONE c.timezone)::date > %(today)s) AS has_next
        FROM (SELECT engagement_id, starts_at, cancelled_at, status, 'active' AS phase
              FROM engagements_session
              UNION ALL
              SELECT engagement_id, starts_at, cancelled_at, status, 'coach_matching'
              FROM engagements_discoverycall) x
        JOIN engagements_engagement xe ON xe.id = x.engagement_id AND xe.status = x.phase
        JOIN accounts_company c ON c.id = xe.company_id
        GROUP BY x.engagement_id
    ) ev ON ev.engagement_id = e.id
) b
WHERE e.id = b.id
"""


def timed(label, fn):
    started = time.monotonic()
    result = fn()
    seconds = time.monotonic() - started
    print(f"{label}: {seconds:.2f}s", flush=True)
    return seconds, result


def vacuum():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE engagements_engagement")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engagements", type=int, default=None,
                        help="seed a fresh database of this size first (quick runs)")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--today", type=dt.date.fromisoformat, default=dt.date.today(),
                        help="the day the database was seeded on (seed.py's --today)")
    args = parser.parse_args(argv)

    url = args.database_url
    if args.engagements is not None:
        url = bench_database_url(url).rsplit("/", 1)[0] + f"/optify_bench_{args.engagements}"
        import seed

        seed.main(["--engagements", str(args.engagements), "--database-url", url,
                   "--today", args.today.isoformat()])
    else:
        url = bench_database_url(url)
        setup_django(url)

    from django.db import connection, transaction

    from accounts.models import Company
    from engagements.models import Engagement
    from tracking.evaluation import Cause, evaluate_many
    from tracking.jobs import run_daily_evaluation

    today = args.today
    tomorrow = today + dt.timedelta(days=1)
    companies = list(Company.objects.only("pk", "slug", "timezone"))
    total = Engagement.objects.count()
    print(f"database {url.rsplit('/', 1)[-1]}: {total:,} engagements, "
          f"{len(companies)} companies; today={today}")

    vacuum()

    def baseline():
        with connection.cursor() as cursor:
            cursor.execute(BASELINE_SQL, {"today": today})
            return cursor.rowcount

    base_s, base_rows = timed("baseline: one hand-written UPDATE", baseline)
    vacuum()

    def full():
        with transaction.atomic():
            return evaluate_many({c.pk: today for c in companies}, cause=Cause.MANUAL)

    full_s, counts = timed("full set-based evaluation", full)
    vacuum()
    print(f"  {counts.evaluated:,} evaluated: on_track={counts.on_track:,} "
          f"off_track={counts.off_track:,} not_tracked={counts.not_tracked:,} "
          f"transitions={counts.transitions:,} (baseline wrote {base_rows:,} rows)")

    def daily():
        totals = {"evaluated": 0, "transitions": 0}
        for company in companies:
            run = run_daily_evaluation(company, tomorrow, dry_run=True)
            if run is not None:
                totals["evaluated"] += run.evaluated
                totals["transitions"] += run.transitions_count
        return totals

    daily_s, daily_totals = timed(f"daily run on {tomorrow} ({len(companies)} companies, "
                                  "rolled back)", daily)
    print(f"  {daily_totals['evaluated']:,} due engagements evaluated "
          f"({daily_totals['evaluated'] / max(total, 1):.2%}), "
          f"{daily_totals['transitions']:,} status changes "
          f"({daily_totals['transitions'] / max(total, 1):.2%})")

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    full_ratio, daily_ratio = full_s / base_s, daily_s / base_s
    print()
    print(f"full evaluation / baseline = {full_ratio:.2f}  (target <= 1.5) "
          f"{'OK' if full_ratio <= 1.5 else 'MISSED'}")
    print(f"daily run / baseline       = {daily_ratio:.3f} (target <= 0.1) "
          f"{'OK' if daily_ratio <= 0.1 else 'MISSED'}")
    print(f"peak memory of this process = {peak_mb:.0f} MB (target < 300 MB) "
          f"{'OK' if peak_mb < 300 else 'MISSED'}")


if __name__ == "__main__":
    main()
