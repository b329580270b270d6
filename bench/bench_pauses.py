"""
What pauses (DESIGN.md rule 9) cost the evaluation: the same code, on the same database,
with no pauses and with 2 % of the running engagements paused, in one run.

    scripts/services.sh start /tmp/optify-dev && source /tmp/optify-dev/env
    .venv/bin/python bench/bench_pauses.py --engagements 100000   # seeds its own database
    .venv/bin/python bench/bench_pauses.py                        # against bench/seed.py's

Each round sets up one variant (no pause at all, or an approved pause for a random 2 % of
the running engagements: half of them in force today, the others starting within the next
three weeks or over), commits a full set-based evaluation of every engagement so that the
statuses are the variant's own, times a second one (tracking.evaluation.evaluate_many: every
engagement read and decided, nothing left to write, as on any day the full evaluation runs
again), then times the daily run of the next day
(tracking.jobs.run_daily_evaluations, every company at once, with what its receivers write,
rolled back). Rounds alternate the
variants (none, paused, none, paused, ...) so that a noisy neighbour on a shared machine
weighs on both; the medians are compared. Target: pauses add at most 10 %.
"""

import argparse
import datetime as dt
import logging
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from seed import bench_database_url, roll_back_after_commit_checks, setup_django  # noqa: E402


def load():
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])

# An approved pause for 2 % of the running engagements, picked by a hash of the id so that
# every round pauses the same ones: half in force today, half still to come or just over.
PAUSE_SQL = """
INSERT INTO engagements_pause (engagement_id, starts_on, ends_on, reason, note, status,
                               created_at, updated_at)
SELECT e.id,
       %(today)s::date
           + (CASE WHEN e.id %% 2 = 0 THEN -(e.id %% 10) ELSE e.id %% 21 - 5 END)::int,
       %(today)s::date
           + (CASE WHEN e.id %% 2 = 0 THEN -(e.id %% 10) ELSE e.id %% 21 - 5 END)::int
           + (3 + e.id %% 25)::int,
       'leave', '', 'approved', now(), now()
FROM engagements_engagement e
WHERE e.status IN ('active', 'coach_matching') AND (e.id * 7919) %% 100 < 2
"""


def timed(fn):
    started = time.monotonic()
    result = fn()
    return time.monotonic() - started, result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engagements", type=int, default=None,
                        help="seed a fresh database of this size first")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--today", type=dt.date.fromisoformat, default=dt.date.today())
    parser.add_argument("--rounds", type=int, default=3, help="rounds per variant")
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

    # One log line per company and run would bury the figures.
    logging.getLogger("tracking.daily").setLevel(logging.WARNING)
    logging.getLogger("notifications.outbox").setLevel(logging.WARNING)

    from accounts.models import Company
    from engagements.models import Engagement, Pause
    from tracking.evaluation import Cause, evaluate_many
    from tracking.jobs import run_daily_evaluations

    today, tomorrow = args.today, args.today + dt.timedelta(days=1)
    companies = list(Company.objects.only("pk", "slug", "timezone", "plan"))
    total = Engagement.objects.count()
    print(f"database {url.rsplit('/', 1)[-1]}: {total:,} engagements, "
          f"{len(companies)} companies; today={today}")

    def set_up(paused):
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM engagements_pause")
            if paused:
                cursor.execute(PAUSE_SQL, {"today": today})
            cursor.execute("VACUUM ANALYZE engagements_pause")
            cursor.execute("VACUUM ANALYZE engagements_engagement")

    def full():
        with transaction.atomic():
            return evaluate_many({c.pk: today for c in companies}, cause=Cause.MANUAL)

    def daily():
        # As the Celery task runs it, receivers included (the nudges' outbox, the webhooks'
        # events), then rolled back after what its commit checks (seed.py).
        with transaction.atomic():
            runs = run_daily_evaluations([(c, tomorrow) for c in companies])
            roll_back_after_commit_checks()
        return sum(run.evaluated for run in runs)

    times = {False: {"full": [], "daily": []}, True: {"full": [], "daily": []}}
    for round_ in range(args.rounds):
        for paused in (False, True):
            set_up(paused)
            full()  # settled: the variant's own statuses written (pauses begun or lifted)
            full_s, counts = timed(full)
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE engagements_engagement")
            daily_s, due = timed(daily)
            times[paused]["full"].append(full_s)
            times[paused]["daily"].append(daily_s)
            print(f"round {round_ + 1} {'2% paused' if paused else 'no pauses'}: "
                  f"full {full_s:.2f}s (paused={counts.paused:,}, "
                  f"pauses={Pause.objects.count():,}), daily {daily_s:.2f}s ({due:,} due)"
                  f"  load {load()}",
                  flush=True)
    set_up(False)
    full()  # the database as it was: evaluated on `today`, without pauses

    print()
    for step in ("full", "daily"):
        none = statistics.median(times[False][step])
        some = statistics.median(times[True][step])
        ratio = some / none
        print(f"{step:5}: median {none:.2f}s without pauses, {some:.2f}s with 2% paused: "
              f"{ratio - 1:+.1%} (target <= +10%) {'OK' if ratio <= 1.10 else 'MISSED'}"
              f"  load {load()}")


if __name__ == "__main__":
    main()
