"""
The People page and the CSV import for the big tenant, against the seeded benchmark database
(bench/seed.py: with the default 1,000,000 engagements, `bench-big` has 200,000 coachees).

    source /tmp/optify-dev/env
    DATABASE_URL=${DATABASE_URL%/*}/optify_bench .venv/bin/python bench/bench_people.py --runs 15

Prints, per viewer and scenario, the median and worst time of a full request through Django's
test client and its query count (which must not grow with the tenant), then the time of a
5,000-row import through the pages (upload and preview, then confirm), rolled back so the
database is left as seeded.
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

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from seed import viewers  # noqa: E402

from accounts.models import Location, PeopleImport, User  # noqa: E402

SCENARIOS = {
    "unfiltered": {},
    "page 40": {"page": "40"},
    "text search": {"q": "coachee 1234"},
    "role coach": {"role": "coach"},
    "status invited": {"status": "invited"},
    "a location": {"location": "__location__"},
    "sorted by status": {"sort": "status"},
}


def load_average():
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


class Rollback(Exception):
    pass


def time_page(client, params, runs, path="/people/"):
    client.get(path, params)  # warm up
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path, params)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    return statistics.median(timings), max(timings), len(queries)


def time_import(admin, rows):
    location = Location.objects.filter(company=admin.company).order_by("pk").first()
    lines = ["email,name,location"] + [
        f"bench-import-{n}@example.test,Imported Person {n},{location.name if n % 2 else ''}"
        for n in range(rows)]
    data = ("\n".join(lines) + "\n").encode()
    client = Client()
    client.force_login(admin, backend="django.contrib.auth.backends.ModelBackend")
    timings = {}
    try:
        with transaction.atomic():
            started = time.perf_counter()
            response = client.post("/people/import/", {
                "file": SimpleUploadedFile("bench.csv", data, content_type="text/csv")})
            assert response.status_code == 302, response.status_code
            preview = client.get(response.url)
            assert preview.status_code == 200
            timings["upload and preview"] = time.perf_counter() - started
            pending = PeopleImport.objects.filter(created_by=admin).latest("pk")
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                response = client.post(f"/people/import/{pending.pk}/confirm/")
            timings["confirm"] = time.perf_counter() - started
            assert response.status_code == 302
            added = User.objects.filter(email__startswith="bench-import-").count()
            assert added == rows, added
            timings["confirm queries"] = len(queries)
            raise Rollback
    except Rollback:
        pass
    return timings


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--admin", default="admin@bench-big.test")
    parser.add_argument("--import-rows", type=int, default=5000)
    args = parser.parse_args()
    everyone = viewers(args.admin)
    admin = everyone["global admin"]
    print(f"tenant {admin.company.slug}: {User.objects.filter(company=admin.company).count():,} "
          f"people; load average {load_average()}")
    location = Location.objects.filter(company=admin.company).order_by("pk").first()
    for who in ("global admin", "location admin"):
        user = everyone[who]
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        # The machine is shared: the Engagements page (bench_list.py's first scenario), timed
        # in the same minutes, says how much of a figure is the load.
        median, worst, queries = time_page(client, {}, args.runs, "/engagements/")
        print(f"{who:15} {'(Engagements page)':18} median {median:7.1f} ms  "
              f"max {worst:7.1f} ms  queries {queries}")
        for label, params in SCENARIOS.items():
            if params.get("location") == "__location__":
                if location is None:
                    continue
                params = {"location": str(location.pk)}
            median, worst, queries = time_page(client, params, args.runs)
            print(f"{who:15} {label:18} median {median:7.1f} ms  max {worst:7.1f} ms  "
                  f"queries {queries}")
    timings = time_import(admin, args.import_rows)
    print(f"import of {args.import_rows:,} rows: upload and preview "
          f"{timings['upload and preview']:.2f} s, confirm {timings['confirm']:.2f} s "
          f"({timings['confirm queries']} queries), total "
          f"{timings['upload and preview'] + timings['confirm']:.2f} s")
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
