"""
Benchmark of the Billing page's counts (issue 6) on the seeded data set (bench/seed.py).

    source /tmp/optify-dev/env
    .venv/bin/python bench/bench_billing.py            # optify_bench, tenant bench-big

Times `billing_summary()` for the big enterprise tenant (today's counts, the 12 monthly
maxima for the company and per location): median and best of --runs. Read-only.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from seed import BIG_SLUG, bench_database_url, setup_django  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    setup_django(bench_database_url(args.database_url))

    from accounts.models import Company
    from engagements.billing import billing_summary
    from engagements.models import Engagement

    company = Company.objects.get(slug=BIG_SLUG)
    rows = Engagement.objects.filter(company=company).count()
    today = company.local_today()
    timings = []
    for _ in range(args.runs):
        started = time.perf_counter()
        summary = billing_summary(company, today)
        timings.append(time.perf_counter() - started)
    print(f"tenant {BIG_SLUG}: {rows} engagements, {len(summary.locations)} locations")
    print(f"today: {summary.today_counts.clients} clients, {summary.today_counts.coaches} coaches")
    print(f"billing_summary: median {statistics.median(timings) * 1000:.0f} ms, "
          f"best {min(timings) * 1000:.0f} ms over {args.runs} runs")


if __name__ == "__main__":
    main()
