"""
Where the daily run's time goes: tracking.jobs.run_daily_evaluations for every company of a
database seeded by bench/seed.py, as bench_tracking.py times it (receivers included, the checks
its commit would make, then rolled back), split into its parts, each the median of --rounds:

    lock       the advisory locks and the runs already done (tracking.jobs._lock)
    statement  the evaluation statement, which also records the runs (tracking.evaluation)
    runs       building the EvaluationRun objects the receivers get, from its rows (Python)
    outbox     the nudges' outbox (notifications.outbox.build_outbox_for_runs)
    webhooks   the webhooks' events (notifications.webhooks.build_outbox_for_runs)
    commit     what COMMIT checks (the deferred foreign keys), checked before the rollback
    total      all of it, as the task runs it

    source /tmp/optify-bench/env
    .venv/bin/python bench/bench_daily_parts.py --engagements 1000000 [--companies 500]

The database is migrated first (not seeded: bench_tracking.py seeds). The parts are timed by
wrapping those functions for this process only; the load average is printed with the figures.
"""

import argparse
import datetime as dt
import functools
import logging
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_tracking import database_for, load  # noqa: E402
from seed import roll_back_after_commit_checks, setup_django  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engagements", type=int, default=1_000_000)
    parser.add_argument("--companies", type=int, default=500)
    parser.add_argument("--database-url", default=None,
                        help="any URL of the server ($DATABASE_URL by default)")
    parser.add_argument("--database", default=None,
                        help="this database of the server instead of optify_bench_N (a copy)")
    parser.add_argument("--day", type=dt.date.fromisoformat, default=dt.date(2026, 12, 1),
                        help="the day of the daily run (the databases are seeded on the day "
                             "before)")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    url = database_for(args.engagements, args.companies, args.database_url)
    if args.database:
        url = f"{url.rsplit('/', 1)[0]}/{args.database}"
    setup_django(url)

    from django.core.management import call_command
    from django.db import transaction

    from accounts.models import Company
    from notifications import outbox, webhooks
    from tracking import evaluation, jobs

    call_command("migrate", verbosity=0)
    logging.getLogger("tracking.daily").setLevel(logging.WARNING)
    logging.getLogger("notifications.outbox").setLevel(logging.WARNING)
    times = defaultdict(list)

    def timing(module, name, part):
        original = getattr(module, name)

        @functools.wraps(original)
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                times[part].append(time.perf_counter() - started)

        setattr(module, name, timed)

    timing(jobs, "_lock", "lock")
    timing(evaluation, "_execute", "statement")
    timing(jobs, "evaluate_due_recording_runs", "statement + runs")
    timing(outbox, "build_outbox_for_runs", "outbox")
    timing(webhooks, "build_outbox_for_runs", "webhooks")

    companies = list(Company.objects.only("pk", "slug", "timezone", "plan"))

    def daily():
        started = time.perf_counter()
        with transaction.atomic():
            runs = jobs.run_daily_evaluations([(c, args.day) for c in companies])
            checked = time.perf_counter()
            roll_back_after_commit_checks()
            times["commit"].append(time.perf_counter() - checked)
        times["total"].append(time.perf_counter() - started)
        return runs

    daily()  # warm-up
    times.clear()
    for _ in range(args.rounds):
        runs = daily()
    times["runs"] = [both - statement for both, statement
                     in zip(times.pop("statement + runs"), times["statement"], strict=True)]
    due = sum(run.evaluated for run in runs)
    print(f"{url.rsplit('/', 1)[-1]}: daily run of {args.day}, {len(runs)} companies, "
          f"{due:,} due, {args.rounds} rounds; load {load()}")
    for part in ("lock", "statement", "runs", "outbox", "webhooks", "commit", "total"):
        print(f"  {part:10s} {statistics.median(times[part]) * 1000:7.1f} ms"
              f"  (min {min(times[part]) * 1000:.1f})")


if __name__ == "__main__":
    main()
