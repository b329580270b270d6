"""
The Engagements page for the big tenant's global administrator, against the seeded
benchmark database (bench/seed.py: 1,000,000 engagements, 200,000 in `bench-big`).

    source /tmp/optify-dev/env
    DATABASE_URL=${DATABASE_URL%/*}/optify_bench .venv/bin/python bench/bench_list.py --runs 15

Prints, per viewer and scenario, the median and worst time of a full request through
Django's test client and its query count (which must equal the count with 100 engagements).
The viewers: the tenant's global administrator, one of its location administrators and one
of its coaches (`--admin` picks another global administrator).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "optify.settings")
# As in production: DEBUG off (no query log, no debug context); plain HTTP to the test client.
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from seed import viewers  # noqa: E402

SCENARIOS = {
    "unfiltered": {},
    "off track": {"progress": "off_track"},
    "sorted by off-track-since": {"sort": "-off_track_since"},
    "text search": {"q": "smith"},
    "coach by name": {"coach_name": "coach 42 "},
    "kind and status": {"kind": "one_on_one", "status": ["active", "coach_matching"]},
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--admin", default="admin@bench-big.test")
    args = parser.parse_args()
    for who, user in viewers(args.admin).items():
        if user is None:
            print(f"{who}: none in this data set")
            continue
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        for label, params in SCENARIOS.items():
            client.get("/engagements/", params)  # warm up
            timings = []
            for _ in range(args.runs):
                started = time.perf_counter()
                with CaptureQueriesContext(connection) as queries:
                    response = client.get("/engagements/", params)
                timings.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
            print(f"{who:15} {label:27} median {statistics.median(timings):7.1f} ms  "
                  f"max {max(timings):7.1f} ms  queries {len(queries)}")


if __name__ == "__main__":
    main()
