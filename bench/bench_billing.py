"""
Benchmark of the Billing page (issue 6) on the seeded data set (bench/seed.py).

    source /tmp/optify-dev/env
    .venv/bin/python bench/bench_billing.py            # optify_bench, tenant bench-big

For the big enterprise tenant (today's active clients and coaches, the 12 monthly maxima for the
company and per location), times `billing_summary()` in the four situations the page meets:
  - cold: no day stored yet (the first visit ever): the days are swept and stored;
  - today recounted: the first visit of a new day, or after a coach selection (one day
    counted from the engagements);
  - warm: every day stored (most visits);
and what an ending or a launch today adds to its own transaction instead: moving today's stored
counts by one engagement (`count_change_today`, timed as an ending, then undone untimed so the
data set is left as it was);
and the whole page (GET /reports/billing/ as the tenant's global administrator, warm).
Median and best of --runs each. Writes only the tenant's stored billing days (BillingDay).
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from seed import BIG_ADMIN_EMAIL, BIG_SLUG, bench_database_url, setup_django  # noqa: E402


def timed(runs, prepare, action):
    timings = []
    for _ in range(runs):
        prepare()
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return timings


def line(label, timings):
    return (f"{label:<24} median {statistics.median(timings) * 1000:7.0f} ms, "
            f"best {min(timings) * 1000:7.0f} ms over {len(timings)} runs")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cold-runs", type=int, default=2)
    args = parser.parse_args(argv)
    setup_django(bench_database_url(args.database_url))

    from django.test import Client
    from django.urls import reverse

    from accounts.models import Company, User
    from engagements.models import Engagement
    from reports.billing import billing_summary, count_change_today, forget_billing_from
    from reports.models import BillingDay

    company = Company.objects.get(slug=BIG_SLUG)
    rows = Engagement.objects.filter(company=company).count()
    today = company.local_today()

    def forget_all():
        BillingDay.objects.filter(company=company).delete()

    def forget_today():
        forget_billing_from(company.pk, today)

    def nothing():
        pass

    def summary():
        return billing_summary(company, today)

    results = []
    if args.cold_runs:
        results.append(line("cold (nothing stored)", timed(args.cold_runs, forget_all, summary)))
    results.append(line("today recounted", timed(args.runs, forget_today, summary)))
    results.append(line("warm", timed(args.runs, nothing, summary)))
    sample = (Engagement.objects.filter(company=company, status=Engagement.Status.ACTIVE,
                                        started_on__lte=today).order_by("pk").first())

    def move_today():
        count_change_today(company, [sample], today, -1)

    def undo_move():
        count_change_today(company, [sample], today, +1)

    moves = []
    for _ in range(args.runs):
        moves += timed(1, nothing, move_today)
        undo_move()
    results.append(line("ending moves today", moves))
    client = Client()
    client.force_login(User.objects.get(email=BIG_ADMIN_EMAIL))
    url = reverse("reports:billing")
    assert client.get(url).status_code == 200
    results.append(line("page GET, warm", timed(args.runs, nothing, lambda: client.get(url))))
    results.append(line("CSV export, warm", timed(
        args.runs, nothing, lambda: client.get(reverse("reports:billing_csv")))))

    result = summary()
    print(f"tenant {BIG_SLUG}: {rows} engagements, {len(result.locations)} locations; "
          f"today: {result.today_counts.clients} clients, {result.today_counts.coaches} coaches")
    print("\n".join(results))


if __name__ == "__main__":
    main()
