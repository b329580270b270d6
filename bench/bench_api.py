"""
GET /api/v1/engagements/ for the big tenant (bench/seed.py: 200,000 engagements in
`bench-big` of 1,000,000), with a bearer token, as the web process answers it.

    source /tmp/optify-dev/env   # or the env of `scripts/services.sh start DIR`
    .venv/bin/python bench/bench_api.py --runs 15                  # optify_bench
    .venv/bin/python bench/bench_api.py --database-url postgres://.../optify_bench_100000

Prints, per viewer and scenario, the median and worst time of a page (50 rows, the default)
through Django's test client, the median CPU time this process spent on it (which a busy
shared machine inflates less than the wall clock), its query count and the count for a
small tenant's global administrator (they must not grow with the tenant), with the load
average. Then walks the whole tenant by cursor as its global administrator (1,000 rows a
page, ended engagements included) and prints engagements per second, by the wall clock and
by this process's CPU. Production-like settings (bench/seed.py's `setup_django`: DEBUG
off). Issues one read-only token per viewer and deletes them at the end.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from seed import BIG_ADMIN_EMAIL, bench_database_url, loadavg, setup_django, viewers  # noqa: E402

# No rate limit in the way of a benchmark (set before Django reads its settings).
os.environ.setdefault("API_THROTTLE_RATE", "1000000/minute")

URL = "/api/v1/engagements/"
SCENARIOS = {
    "unfiltered": {},
    "off track": {"progress": "off_track"},
    "text search": {"q": "smith"},
    "kind and status": {"kind": "one_on_one", "status": ["active", "coach_matching"]},
    "include completed": {"include_completed": "on"},
}


def client_for(user, tokens):
    from django.test import Client

    from accounts.models import ApiToken

    token, text = ApiToken.issue(user=user, name="bench", write_enabled=False)
    tokens.append(token.pk)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {text}", HTTP_ACCEPT="application/json")
    client.get(URL)  # the token's first use is recorded (an UPDATE): not part of a page
    return client


def timed(client, url, params=None):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    started, started_cpu = time.perf_counter(), time.process_time()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    elapsed = (time.perf_counter() - started) * 1000
    cpu = (time.process_time() - started_cpu) * 1000
    assert response.status_code == 200, response.content[:300]
    return elapsed, cpu, len(queries), response


def small_tenant_admin():
    """A global administrator of a company with few engagements, for the query count."""
    from django.db.models import Count

    from accounts.models import User

    return (User.objects.filter(is_global_admin=True, company__isnull=False)
            .annotate(n=Count("company__engagements")).filter(n__gt=50).order_by("n")
            .first())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--admin", default=BIG_ADMIN_EMAIL)
    parser.add_argument("--walk-page-size", type=int, default=1000)
    args = parser.parse_args()
    setup_django(bench_database_url(args.database_url))
    from django.db import connection

    from accounts.models import ApiToken, User

    print(f"database {connection.settings_dict['NAME']}, DEBUG off")
    tokens = []
    try:
        small = small_tenant_admin()
        small_client = client_for(small, tokens)
        print(f"small tenant for the query count: {small.company} "
              f"({small.company.engagements.count()} engagements)")
        for who, user in viewers(args.admin).items():
            if user is None:
                continue
            client = client_for(user, tokens)
            for label, params in SCENARIOS.items():
                timed(client, URL, params)  # warm up
                timings, cpu, counts = [], [], set()
                for _ in range(args.runs):
                    elapsed, used, count, _ = timed(client, URL, params)
                    timings.append(elapsed)
                    cpu.append(used)
                    counts.add(count)
                small_count = timed(small_client, URL, params)[2]
                print(f"{who:15} {label:18} median {statistics.median(timings):7.1f} ms  "
                      f"max {max(timings):7.1f} ms  (CPU median {statistics.median(cpu):5.1f} "
                      f"ms)  queries {'/'.join(map(str, sorted(counts)))} (small tenant "
                      f"{small_count})  {loadavg()}", flush=True)
        admin = User.objects.get(email=args.admin)
        client = client_for(admin, tokens)
        url = f"{URL}?include_completed=on&page_size={args.walk_page_size}"
        rows = pages = 0
        started, started_cpu = time.perf_counter(), time.process_time()
        while url:
            response = timed(client, url)[3]
            body = response.json()
            rows += len(body["results"])
            pages += 1
            url = body["next"]
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - started_cpu
        print(f"cursor walk ({admin.email}): {rows:,} engagements in {pages} pages, "
              f"{elapsed:.1f} s: {rows / elapsed:,.0f} engagements/s by the wall clock, "
              f"{rows / cpu:,.0f}/s of this process's CPU ({cpu:.1f} s)  {loadavg()}")
    finally:
        ApiToken.objects.filter(pk__in=tokens).delete()


if __name__ == "__main__":
    main()
