"""
The Engagements page (and the home page) for the big tenant's global administrator, against
the seeded benchmark database (bench/seed.py: 1,000,000 engagements, 200,000 in `bench-big`).

    source /tmp/optify-dev/env
    .venv/bin/python bench/bench_list.py --runs 15            # optify_bench
    .venv/bin/python bench/bench_list.py --database-url postgres://.../optify_bench_100k
    .venv/bin/python bench/bench_list.py --profile "off track"  # where one scenario's time goes

Prints, per viewer and scenario, the median and worst time of a full request through
Django's test client (every middleware, the session, the template), the median CPU time this
process spent on it (Python's share, which a busy shared machine inflates less than the wall
clock), and its query count (which must equal the count with 100 engagements), with the
load average. The viewers: the tenant's
global administrator, one of its location administrators and one of its coaches (`--admin`
picks another global administrator). Production-like settings (bench/seed.py's
`setup_django`: DEBUG off). `--profile SCENARIO` runs the global administrator's scenario
under cProfile and prints the functions that take the most time, by their own time and with
what they call.
"""

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from seed import BIG_ADMIN_EMAIL, bench_database_url, loadavg, setup_django, viewers  # noqa: E402

# Each scenario is a request of the Engagements page, but for "home": the viewer's home page,
# the first page an administrator sees (its numbers and what needs attention).
SCENARIOS = {
    "home": {},
    "unfiltered": {},
    "off track": {"progress": "off_track"},
    "sorted by off-track-since": {"sort": "-off_track_since"},
    "text search": {"q": "smith"},
    "coach by name": {"coach_name": "coach 42 "},
    "kind and status": {"kind": "one_on_one", "status": ["active", "coach_matching"]},
    "off track within 7 days": {"off_track_within": "7", "sort": "days_until_off_track"},
}


def path(label):
    return "/" if label == "home" else "/engagements/"


def profile(client, label, runs, lines=35):
    params = SCENARIOS[label]
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        client.get(path(label), params)
    profiler.disable()
    stats = pstats.Stats(profiler).strip_dirs()
    stats.sort_stats("tottime").print_stats(lines)
    stats.sort_stats("cumulative").print_stats(lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--admin", default=BIG_ADMIN_EMAIL)
    parser.add_argument("--profile", choices=SCENARIOS, default=None)
    args = parser.parse_args()
    setup_django(bench_database_url(args.database_url))
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    print(f"database {connection.settings_dict['NAME']}, DEBUG off")
    for who, user in viewers(args.admin).items():
        if user is None:
            print(f"{who}: none in this data set")
            continue
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        if args.profile:
            client.get(path(args.profile), SCENARIOS[args.profile])  # warm up
            profile(client, args.profile, args.runs)
            return
        for label, params in SCENARIOS.items():
            client.get(path(label), params)  # warm up
            timings, cpu = [], []
            for _ in range(args.runs):
                started, started_cpu = time.perf_counter(), time.process_time()
                with CaptureQueriesContext(connection) as queries:
                    response = client.get(path(label), params)
                timings.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - started_cpu) * 1000)
                assert response.status_code == 200
            print(f"{who:15} {label:27} median {statistics.median(timings):7.1f} ms  "
                  f"max {max(timings):7.1f} ms  (this process's CPU: median "
                  f"{statistics.median(cpu):5.1f} ms)  queries {len(queries):3}  {loadavg()}",
                  flush=True)


if __name__ == "__main__":
    main()
