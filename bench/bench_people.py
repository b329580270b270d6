"""
The People page and the CSV import for the big tenant, against the seeded benchmark database
(bench/seed.py: with the default 1,000,000 engagements, `bench-big` has 200,000 coachees).

    source /tmp/optify-dev/env
    DATABASE_URL=${DATABASE_URL%/*}/optify_bench .venv/bin/python bench/bench_people.py --runs 15

`--grow-to 200000` first tops the tenant up to that many people (SQL, in seconds): each new
person a coachee with one engagement copied from one of the tenant's, in one of its
locations, so that a database seeded with `--engagements 100000` (20,000 people in
`bench-big`) stands for the 200,000-coachee tenant without seeding a million engagements.

Prints, per viewer and scenario, the median and worst time of a full request through Django's
test client and its query count (which must not grow with the tenant), and the first view's
time and queries (the list bases count the matching rows then, and cache the count a
minute), then the time of a 5,000-row import through the pages (upload and preview, then
confirm), rolled back so the database is left as seeded.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from seed import collectstatic, production_like  # noqa: E402

# As in production: DEBUG off (no query log, no debug context); plain HTTP to the test client.
production_like()

import django  # noqa: E402

django.setup()
collectstatic()

from django.core.cache import cache  # noqa: E402
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


def grow(company, target):
    """Top `company` up to `target` people: coachees with one engagement each (see above)."""
    from engagements.models import Engagement

    have = User.objects.filter(company=company).count()
    extra = target - have
    if extra <= 0:
        return 0
    sample = Engagement.objects.filter(company=company, status="active").order_by("pk").first()
    locations = list(Location.objects.filter(company=company).order_by("pk")
                     .values_list("pk", flat=True)) or [None]
    first = User.objects.order_by("-pk").values_list("pk", flat=True).first() + 1
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO accounts_user (id, password, is_superuser, email, full_name, status,
                                       is_global_admin, is_staff, date_joined, preferences,
                                       company_id, location_id)
            SELECT %(first)s + g, '!', false, 'grown' || g || '@bench-big.test',
                   'Coachee G' || g || ' bench-big',
                   (ARRAY['active', 'active', 'invited', 'internal_record'])[1 + g %% 4],
                   false, false, now(), '{}', %(company)s,
                   (%(locations)s::bigint[])[1 + g %% %(n_locations)s]
              FROM generate_series(0, %(extra)s - 1) g
            """,
            {"first": first, "company": company.pk, "extra": extra, "locations": locations,
             "n_locations": len(locations)})
        cursor.execute("SELECT setval(pg_get_serial_sequence('accounts_user', 'id'), "
                       "(SELECT max(id) FROM accounts_user))")
        columns = [f.column for f in Engagement._meta.concrete_fields
                   if f.column not in ("id", "coachee_id", "location_id")]
        cursor.execute(
            f"""
            INSERT INTO engagements_engagement ({", ".join(columns)}, coachee_id, location_id)
            SELECT {", ".join("e." + c for c in columns)}, u.id, u.location_id
              FROM accounts_user u, engagements_engagement e
             WHERE e.id = %(sample)s AND u.id >= %(first)s
            """,
            {"sample": sample.pk, "first": first})
        cursor.execute("ANALYZE accounts_user")
        cursor.execute("ANALYZE engagements_engagement")
    return extra


def time_page(client, params, runs, path="/people/"):
    """Median and worst of `runs` views, their queries, and the first view (it counts)."""
    cache.clear()  # the list bases cache a list's count for a minute: the first view counts
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as first_queries:
        client.get(path, params)
    first = ((time.perf_counter() - started) * 1000, len(first_queries))
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path, params)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    return statistics.median(timings), max(timings), len(queries), first


PICKERS = {
    "new engagement page": ("get", {}),
    "coachee search": ("post", {"find": "coachee", "coachee_q": "person 1"}),
    "coach search": ("post", {"find": "coach", "coach_q": "coach 4"}),
}


def time_pickers(admin, runs):
    """The new-engagement form's people pickers: the page, and a search of each."""
    client = Client()
    client.force_login(admin, backend="django.contrib.auth.backends.ModelBackend")
    for label, (method, data) in PICKERS.items():
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                response = getattr(client, method)("/engagements/new/", data)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
        print(f"{'global admin':15} picker: {label:20} median {statistics.median(timings):7.1f} ms"
              f"  max {max(timings):7.1f} ms  queries {len(queries)}  load {load_average()}")


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
    parser.add_argument("--grow-to", type=int, default=0,
                        help="first top the tenant up to this many people (see above)")
    args = parser.parse_args()
    everyone = viewers(args.admin)
    admin = everyone["global admin"]
    if args.grow_to:
        started = time.perf_counter()
        added = grow(admin.company, args.grow_to)
        print(f"grew {admin.company.slug} by {added:,} coachees and engagements in "
              f"{time.perf_counter() - started:.0f} s")
    print(f"tenant {admin.company.slug}: {User.objects.filter(company=admin.company).count():,} "
          f"people; load average {load_average()}")
    location = Location.objects.filter(company=admin.company).order_by("pk").first()
    for who in ("global admin", "location admin"):
        user = everyone[who]
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        # The machine is shared: the Engagements page (bench_list.py's first scenario), timed
        # in the same minutes, says how much of a figure is the load.
        median, worst, queries, first = time_page(client, {}, args.runs, "/engagements/")
        print(f"{who:15} {'(Engagements page)':18} median {median:7.1f} ms  "
              f"max {worst:7.1f} ms  queries {queries}  first {first[0]:7.1f} ms ({first[1]})")
        for label, params in SCENARIOS.items():
            if params.get("location") == "__location__":
                if location is None:
                    continue
                params = {"location": str(location.pk)}
            median, worst, queries, first = time_page(client, params, args.runs)
            print(f"{who:15} {label:18} median {median:7.1f} ms  max {worst:7.1f} ms  "
                  f"queries {queries}  first {first[0]:7.1f} ms ({first[1]})")
    time_pickers(everyone["global admin"], args.runs)
    timings = time_import(admin, args.import_rows)
    print(f"import of {args.import_rows:,} rows: upload and preview "
          f"{timings['upload and preview']:.2f} s, confirm {timings['confirm']:.2f} s "
          f"({timings['confirm queries']} queries), total "
          f"{timings['upload and preview'] + timings['confirm']:.2f} s")
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
