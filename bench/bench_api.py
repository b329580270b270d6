"""
GET /api/v1/engagements/ for the big tenant (bench/seed.py: 200,000 engagements in
`bench-big` of 1,000,000), with a bearer token, as the web process answers it.

    source /tmp/optify-dev/env   # or the env of `scripts/services.sh start DIR`
    .venv/bin/python bench/seed.py                         # once: optify_bench
    .venv/bin/python bench/bench_api.py --runs 15

Prints, per viewer and scenario, the median and worst time of a page (50 rows, the default)
through Django's test client, with its query count, and the same count for a small tenant's
administrator (queries must not grow with the tenant). Then walks the whole tenant by cursor
(1,000 rows a page, ended engagements included) and prints engagements per second. Issues
one token per viewer and deletes them at the end.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
# As in production: DEBUG off, plain HTTP to the test client; no rate limit in the way.
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 40)
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("API_THROTTLE_RATE", "1000000/minute")

from seed import bench_database_url, setup_django, viewers  # noqa: E402

setup_django(bench_database_url())

from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import ApiToken, User  # noqa: E402

URL = "/api/v1/engagements/"
SCENARIOS = {
    "unfiltered": {},
    "off track": {"progress": "off_track"},
    "text search": {"q": "smith"},
    "kind and status": {"kind": "one_on_one", "status": ["active", "coach_matching"]},
    "include completed": {"include_completed": "on"},
}


def client_for(user, tokens):
    token, text = ApiToken.issue(user=user, name="bench", write_enabled=False)
    tokens.append(token.pk)
    return Client(HTTP_AUTHORIZATION=f"Bearer {text}", HTTP_ACCEPT="application/json")


def timed(client, url, params=None):
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, response.content[:300]
    return elapsed, len(queries), response


def small_tenant_admin():
    """A global administrator of a company with few engagements, for the query count."""
    return (User.objects.filter(is_global_admin=True, company__isnull=False)
            .annotate(n=Count("company__engagements")).filter(n__gt=50).order_by("n")
            .first())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--admin", default="admin@bench-big.test")
    parser.add_argument("--walk-page-size", type=int, default=1000)
    args = parser.parse_args()
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
                timed(client, URL, params)  # warm up (and the token's last-used write)
                timings, counts = [], set()
                for _ in range(args.runs):
                    elapsed, count, _ = timed(client, URL, params)
                    timings.append(elapsed)
                    counts.add(count)
                _, small_count, _ = timed(small_client, URL, params)
                print(f"{who:15} {label:18} median {statistics.median(timings):7.1f} ms  "
                      f"max {max(timings):7.1f} ms  queries {sorted(counts)} "
                      f"(small tenant {small_count})")
        admin = User.objects.get(email=args.admin)
        client = client_for(admin, tokens)
        timed(client, URL)
        url = f"{URL}?include_completed=on&page_size={args.walk_page_size}"
        rows = pages = 0
        started = time.perf_counter()
        while url:
            _, _, response = timed(client, url)
            body = response.json()
            rows += len(body["results"])
            pages += 1
            url = body["next"]
        elapsed = time.perf_counter() - started
        print(f"cursor walk ({admin.email}): {rows:,} engagements in {pages} pages, "
              f"{elapsed:.1f} s: {rows / elapsed:,.0f} engagements/s")
    finally:
        ApiToken.objects.filter(pk__in=tokens).delete()


if __name__ == "__main__":
    main()
