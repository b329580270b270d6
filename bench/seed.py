"""
Seed a PostgreSQL database with a large, realistic Optify data set, fast (COPY).

    .venv/bin/python bench/seed.py                      # 1,000,000 engagements into optify_bench
    .venv/bin/python bench/seed.py --engagements 20000  # a quick one

Creates the database if it is missing, migrates it, empties Optify's tables, then COPYs:
500 companies (one enterprise tenant, slug `bench-big`, with 20% of the engagements and 20
locations), their administrators (the global administrator of bench-big signs in as
`admin@bench-big.test` / `bench-password`), coaches, one coachee per engagement, four
templates per company (tracked in days, in weeks, and untracked), engagements of every kind and
status, about four sessions each (discovery calls and coach selections for coach matching), and
finally computes every engagement's stored progress with tracking.evaluation. Deterministic for
a given --seed and --today.

The database URL defaults to $DATABASE_URL with its database name replaced by `optify_bench`.
Other benchmarks import `bench_database_url()` and `setup_django()` from here.
"""

import argparse
import datetime as dt
import os
import random
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BIG_SLUG = "bench-big"
BIG_ADMIN_EMAIL = "admin@bench-big.test"
PROVIDER_SLUG = "bench-provider"
PASSWORD = "bench-password"
TIMEZONES = [
    "UTC", "Europe/London", "America/New_York", "America/Los_Angeles", "Asia/Tokyo",
    "Australia/Sydney", "Pacific/Auckland", "Pacific/Honolulu", "Europe/Berlin", "Asia/Kolkata",
]
# (name, kind, threshold days, unit, weight)
TEMPLATES = [
    ("1:1 coaching (3 weeks)", "one_on_one", 21, "weeks", 50),
    ("On-demand coaching (30 days)", "on_demand", 30, "days", 15),
    ("Coach matching (2 weeks)", "coach_matching", 14, "weeks", 20),
    ("Leadership 1:1 (untracked)", "one_on_one", None, "days", 15),
]
END_REASONS = ["goals_achieved_early", "client_left", "client_request", "coach_unavailable"]


def bench_database_url(url=None):
    """--database-url, or $DATABASE_URL pointing at the `optify_bench` database."""
    if url:
        return url
    base = os.environ.get("DATABASE_URL")
    if not base:
        sys.exit("Set DATABASE_URL (e.g. `source /tmp/optify-dev/env`) or pass --database-url.")
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path="/optify_bench"))


def ensure_database(url):
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    admin_url = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")


# What every benchmark runs with, unless the environment says otherwise: production's settings
# (DEBUG off: no query log, no template debug information; the manifest static storage, hence
# the collectstatic below; logs from WARNING up), with plain HTTP for Django's test client.
PRODUCTION_LIKE = {
    "DJANGO_SETTINGS_MODULE": "optify.settings",
    "DEBUG": "false",
    "SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    "SECURE_SSL_REDIRECT": "false",
    "ALLOWED_HOSTS": "testserver,localhost,127.0.0.1",
    "LOG_LEVEL": "WARNING",
    # Their own static files: collecting into the project's staticfiles/ while a test run
    # serves from it pulls files from under the tests.
    "STATIC_ROOT": str(ROOT / "var" / "bench-static"),
}


def production_like():
    """Sets PRODUCTION_LIKE's defaults in the environment, before Django reads its settings."""
    for name, value in PRODUCTION_LIKE.items():
        os.environ.setdefault(name, value)


def roll_back_after_commit_checks():
    """
    Inside a measured transaction that is rolled back (so that it can be measured again): the
    checks its COMMIT would make, made now. The foreign keys are DEFERRABLE INITIALLY DEFERRED
    (Django's), so each row inserted queues a check that runs at commit, a locking read of
    the parent row; a rollback skips them, and the figure would leave out what production
    pays.
    """
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    transaction.set_rollback(True)


def collectstatic():
    """Pages render `{% static %}` from the manifest that DEBUG off needs (STATIC_ROOT)."""
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)


def loadavg():
    """The machine's load average (1, 5, 15 minutes), printed with every figure."""
    with open("/proc/loadavg") as f:
        return "load " + " ".join(f.read().split()[:3])


def setup_django(url):
    """Point Django at `url` and set it up (benchmarks run the project's own code)."""
    os.environ["DATABASE_URL"] = url
    production_like()
    os.environ.setdefault("CONN_MAX_AGE", "0")
    import django

    django.setup()
    collectstatic()


def viewers(admin_email=BIG_ADMIN_EMAIL):
    """
    A tenant's global administrator, one of its location administrators, one coach, and a
    global administrator of a coaching provider whose coaches coach some of its engagements
    (None if there is none).
    """
    from accounts.models import User
    from engagements.models import Engagement

    admin = User.objects.get(email=admin_email)
    location_admin = (User.objects.filter(company=admin.company, is_global_admin=False)
                      .exclude(administered_locations=None).order_by("pk").first())
    coach = User.objects.filter(
        pk__in=Engagement.objects.filter(company=admin.company).exclude(coach=None)
        .values("coach_id")[:1]
    ).first()
    provider_admin = User.objects.filter(
        is_global_admin=True,
        company__in=Engagement.objects.filter(company=admin.company, provider_company__isnull=False)
        .values("provider_company_id")[:1],
    ).first()
    return {"global admin": admin, "location admin": location_admin, "coach": coach,
            "provider admin": provider_admin}


def line(*values):
    """One row of COPY text format."""
    out = []
    for v in values:
        if v is None:
            out.append("\\N")
        elif v is True:
            out.append("t")
        elif v is False:
            out.append("f")
        else:
            out.append(str(v))
    return "\t".join(out) + "\n"


class Rows:
    """COPY text rows for one table, kept as large joined chunks until written."""

    def __init__(self, table, columns):
        self.table, self.columns = table, columns
        self.chunks, self.buffer, self.rows = [], [], 0

    def add(self, *values):
        self.buffer.append(line(*values))
        self.rows += 1
        if len(self.buffer) >= 20000:
            self.chunks.append("".join(self.buffer))
            self.buffer = []

    def write(self, cursor):
        """COPY the rows (one COPY at a time per connection, hence the buffering)."""
        self.chunks.append("".join(self.buffer))
        with cursor.copy(f"COPY {self.table} ({', '.join(self.columns)}) FROM STDIN") as copy:
            while self.chunks:
                copy.write(self.chunks.pop(0))


def seed(*, engagements, companies, today, rng, password_hash):
    """Generate every table's rows; returns {name: Rows} in COPY order and status counts."""
    now = dt.datetime.combine(today, dt.time(5), tzinfo=dt.UTC)
    stamp = now.isoformat()
    big_share = engagements // 5
    rest = engagements - big_share
    per_company = [big_share] + [
        rest // (companies - 1) + (1 if i < rest % (companies - 1) else 0)
        for i in range(companies - 1)
    ]
    out = {
        "company": Rows("accounts_company",
                        ["id", "name", "slug", "timezone", "plan", "created_at"]),
        "location": Rows("accounts_location", ["id", "name", "company_id"]),
        "user": Rows("accounts_user",
                     ["id", "password", "is_superuser", "email", "full_name", "status",
                      "is_global_admin", "is_staff", "date_joined", "preferences",
                      "company_id"]),
        "admin_location": Rows("accounts_user_administered_locations",
                               ["user_id", "location_id"]),
        "template": Rows("templates_app_engagementtemplate",
                         ["id", "name", "kind", "description", "tracking_threshold_days",
                          "tracking_threshold_unit", "offtrack_notifications_enabled",
                          "created_at", "updated_at", "company_id"]),
        "engagement": Rows("engagements_engagement",
                           ["id", "kind", "status", "created_at", "launched_at", "started_on",
                            "ended_on", "ended_at", "end_reason", "end_note",
                            "tracking_threshold_days", "offtrack_notifications_enabled",
                            "progress", "coach_id", "coachee_id", "company_id", "ended_by_id",
                            "location_id", "owner_id", "template_id", "provider_company_id"]),
        "selection": Rows("engagements_coachselection",
                          ["id", "selected_on", "created_at", "coach_id", "selected_by_id",
                           "engagement_id"]),
        "session": Rows("engagements_session",
                        ["starts_at", "duration_minutes", "status", "cancelled_at",
                         "created_at", "notes", "engagement_id", "cancel_reason",
                         "notes_shared", "calendar_sequence", "calendar_uid"]),
        "call": Rows("engagements_discoverycall",
                     ["starts_at", "duration_minutes", "status", "cancelled_at", "created_at",
                      "coach_id", "engagement_id", "cancel_reason", "calendar_sequence"]),
    }
    user_id = location_id = template_id = engagement_id = 0
    weights = [t[4] for t in TEMPLATES]
    statuses = {}

    def add_user(company, email, name, *, status="active", admin=False, usable=False):
        nonlocal user_id
        user_id += 1
        out["user"].add(user_id, password_hash if usable else "!", False, email, name, status,
                        admin, False, stamp, "{}", company)
        return user_id

    # A coaching provider (the last company, no engagements of its own) whose 80 coaches coach
    # one in twenty of bench-big's engagements: its administrator sees them, progress "-".
    provider = companies + 1
    out["company"].add(provider, "Bench Provider", PROVIDER_SLUG, "Europe/London", "standard",
                       stamp)
    add_user(provider, f"admin@{PROVIDER_SLUG}.test", f"Admin {PROVIDER_SLUG}", admin=True,
             usable=True)
    provider_coaches = [add_user(provider, f"coach{n}@{PROVIDER_SLUG}.test",
                                 f"Coach {n} {PROVIDER_SLUG}") for n in range(80)]

    for c, count in enumerate(per_company, start=1):
        big = c == 1
        enterprise = big or c % 5 == 0
        slug = BIG_SLUG if big else f"bench-{c:03d}"
        out["company"].add(c, "Bench Big Enterprise" if big else f"Bench Company {c:03d}", slug,
                           "Europe/London" if big else TIMEZONES[c % len(TIMEZONES)],
                           "enterprise" if enterprise else "standard", stamp)
        admin = add_user(c, BIG_ADMIN_EMAIL if big else f"admin@{slug}.test", f"Admin {slug}",
                         admin=True, usable=True)
        # Locations and their administrators: 20 for bench-big, 3 for other enterprises.
        location_admins = []
        for n in range(20 if big else (3 if enterprise else 0)):
            location_id += 1
            out["location"].add(location_id, f"Location {n + 1}", c)
            uid = add_user(c, f"location{n + 1}@{slug}.test", f"Location Admin {n + 1}",
                           usable=True)
            out["admin_location"].add(uid, location_id)
            location_admins.append((uid, location_id))
        coaches = [add_user(c, f"coach{n}@{slug}.test", f"Coach {n} {slug}")
                   for n in range(max(2, count // 25))]
        company_templates = []
        for name, kind, days, unit, _weight in TEMPLATES:
            template_id += 1
            out["template"].add(template_id, name, kind, "", days, unit, True, stamp, stamp, c)
            company_templates.append((template_id, kind, days))

        for n in range(count):
            engagement_id += 1
            tpl_id, kind, threshold = rng.choices(company_templates, weights)[0]
            roll = rng.random()
            if roll < 0.02:
                status = "draft"
            elif roll < 0.10:
                status = "ended_early"
            elif roll < 0.20:
                status = "completed"
            elif kind == "coach_matching" and rng.random() < 0.4:
                status = "coach_matching"
            else:
                status = "active"
            statuses[status] = statuses.get(status, 0) + 1
            roll = rng.random()
            coachee_status = ("internal_record" if roll < 0.1
                              else "invited" if roll < 0.35 else "active")
            coachee = add_user(c, f"coachee{n}@{slug}.test", f"Coachee {n} {slug}",
                               status=coachee_status)
            if location_admins:
                owner, location = rng.choice(location_admins)
                if rng.random() < 0.3:
                    owner = admin
            else:
                owner, location = admin, None
            coach = rng.choice(coaches)
            provided = big and n % 20 == 7
            if provided:
                coach = rng.choice(provider_coaches)
            started_on = None if status == "draft" else today - dt.timedelta(rng.randint(0, 400))
            ended_on = ended_at = None
            reason = ""
            if status in ("ended_early", "completed"):
                ended_on = started_on + dt.timedelta(rng.randint(0, (today - started_on).days))
                ended_at = dt.datetime.combine(ended_on, dt.time(12), tzinfo=dt.UTC).isoformat()
                reason = rng.choice(END_REASONS) if status == "ended_early" else ""
            matching_phase = kind == "coach_matching" and status in ("draft", "coach_matching")
            if matching_phase:
                coach = None
            elif kind == "coach_matching":
                selected_on = min(today, started_on + dt.timedelta(rng.randint(3, 20)))
                out["selection"].add(engagement_id, selected_on, stamp, coach, owner,
                                     engagement_id)
            launched_at = (None if started_on is None else
                           dt.datetime.combine(started_on, dt.time(9), tzinfo=dt.UTC).isoformat())
            out["engagement"].add(
                engagement_id, kind, status, stamp, launched_at, started_on, ended_on, ended_at,
                reason, "", threshold, True, "not_tracked", coach, coachee, c,
                owner if ended_on else None, location, owner, tpl_id,
                provider if provided and coach is not None else None,
            )
            if started_on is None:
                continue
            for _ in range(rng.randint(1, 3) if matching_phase else rng.randint(2, 6)):
                day = started_on + dt.timedelta(rng.randint(0, 210))
                starts = dt.datetime.combine(day, dt.time(rng.randint(7, 18)), tzinfo=dt.UTC)
                if day < today:
                    ev_status = "completed" if rng.random() < 0.85 else "cancelled"
                    cancelled = starts - dt.timedelta(days=1)
                else:
                    ev_status = "scheduled" if rng.random() < 0.85 else "cancelled"
                    cancelled = now - dt.timedelta(days=rng.randint(0, 30))
                cancelled = cancelled.isoformat() if ev_status == "cancelled" else None
                if matching_phase:
                    out["call"].add(starts.isoformat(), 30, ev_status, cancelled, stamp,
                                    rng.choice(coaches), engagement_id, "", 0)
                else:
                    out["session"].add(starts.isoformat(), 60, ev_status, cancelled, stamp, "",
                                       engagement_id, "", False, 0, "")
    return out, statuses


def replicate(cursor, tables, copies):
    """
    Copies 2..`copies` of the engagements just written, in SQL: the same companies,
    templates, people (a coachee has `copies` engagements), each copy its own engagement ids,
    sessions, discovery calls and coach selections. The statuses and dates repeat, which is
    what the benchmarks of evaluation need (the same mix at every size). The copied tables'
    secondary indexes are dropped during the copy and built again after it (much faster).
    """
    steps = [
        ("engagement", "engagements_engagement", "id", {"id": "x.id + k * %(e)s"}),
        ("session", "engagements_session", "engagement_id",
         {"engagement_id": "x.engagement_id + k * %(e)s"}),
        ("call", "engagements_discoverycall", "engagement_id",
         {"engagement_id": "x.engagement_id + k * %(e)s"}),
        ("selection", "engagements_coachselection", "engagement_id",
         {"id": "x.id + k * %(s)s", "engagement_id": "x.engagement_id + k * %(e)s"}),
    ]
    cursor.execute("SELECT max(id) FROM engagements_engagement")
    engagements = cursor.fetchone()[0]
    cursor.execute("SELECT coalesce(max(id), 0) FROM engagements_coachselection")
    selections = cursor.fetchone()[0]
    names = [table for _, table, _, _ in steps]
    cursor.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = ANY(%s)"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
        [names])
    indexes = cursor.fetchall()
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    for name, table, key, changed in steps:
        columns = tables[name].columns
        values = ", ".join(changed.get(c, f"x.{c}") for c in columns)
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT {values}"
            f" FROM {table} x CROSS JOIN generate_series(1, %(n)s) AS k"
            f" WHERE x.{key} <= %(e)s",
            {"e": engagements, "s": selections, "n": copies - 1})
        print(f"{table}: {copies} copies written", flush=True)
    for _, definition in indexes:
        cursor.execute(definition)
    print(f"{len(indexes)} indexes built again", flush=True)


def clone(url, args, copies):
    """--from-database: the copy of a seeded database, its engagements copied `copies` times."""
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    admin_url = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{args.from_database}"')
    setup_django(url)
    from django.core.management import call_command
    from django.db import connection

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    tables, _ = seed(engagements=2, companies=2, today=args.today, rng=random.Random(0),
                     password_hash="!")  # only for the tables' column lists
    with connection.cursor() as django_cursor:
        cursor = django_cursor.cursor
        cursor.execute("SELECT count(*) FROM engagements_engagement")
        base = cursor.fetchone()[0]
        if base * copies != args.engagements:
            sys.exit(f"{args.from_database} holds {base:,} engagements: "
                     f"{copies} copies are not {args.engagements:,}")
        replicate(cursor, tables, copies)
        set_sequences(cursor)
    finish(url, args, started)


def set_sequences(cursor):
    for table in ["accounts_company", "accounts_location", "accounts_user",
                  "accounts_user_administered_locations", "templates_app_engagementtemplate",
                  "engagements_engagement", "engagements_session",
                  "engagements_discoverycall", "engagements_coachselection"]:
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                       f" coalesce((SELECT max(id) FROM {table}), 1))")


def finish(url, args, started):
    """VACUUM ANALYZE, every engagement's progress, VACUUM ANALYZE again."""
    from django.db import connection

    from tracking.evaluation import evaluate_companies, rebuild_due_agenda

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    t0 = time.monotonic()
    counts = evaluate_companies(args.today)
    rebuild_due_agenda()  # copied rows were written around the evaluation's agenda
    print(f"evaluated progress in {time.monotonic() - t0:.1f}s: on_track={counts.on_track:,} "
          f"off_track={counts.off_track:,} not_tracked={counts.not_tracked:,} "
          f"transitions={counts.transitions:,}")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"seeded {url.rsplit('/', 1)[-1]} in {time.monotonic() - started:.1f}s total")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engagements", type=int, default=1_000_000)
    parser.add_argument("--companies", type=int, default=500)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--today", type=dt.date.fromisoformat, default=dt.date.today())
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--copies", type=int, default=None,
                        help="generate 1/COPIES of the engagements in Python and copy them in "
                             "SQL (default: one copy per 100,000 engagements), since Python "
                             "generates ~300 rows/s per core on a loaded machine")
    parser.add_argument("--from-database", metavar="NAME",
                        help="start from a copy of this seeded database (CREATE DATABASE ..."
                             " TEMPLATE) holding 1/COPIES of the engagements: no Python rows")
    args = parser.parse_args(argv)
    copies = args.copies or max(1, args.engagements // 100_000)

    url = bench_database_url(args.database_url)
    if args.from_database:
        return clone(url, args, copies)
    ensure_database(url)
    setup_django(url)
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection, transaction

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    # One transaction: a seed that fails half-way leaves the tables as they were, never a
    # database that looks seeded (bench_tracking.seeded counts its rows) but is not.
    with transaction.atomic(), connection.cursor() as django_cursor:
        cursor = django_cursor.cursor  # the psycopg 3 cursor, for COPY
        cursor.execute(
            "TRUNCATE accounts_company, accounts_location, accounts_user,"
            " templates_app_engagementtemplate, engagements_engagement RESTART IDENTITY CASCADE"
        )
        tables, statuses = seed(engagements=args.engagements // copies,
                                companies=args.companies,
                                today=args.today, rng=random.Random(args.seed),
                                password_hash=make_password(PASSWORD))
        generated = time.monotonic() - started
        users = tables["user"].rows
        for rows in tables.values():
            rows.write(cursor)
        if copies > 1:
            replicate(cursor, tables, copies)
            statuses = {name: count * copies for name, count in statuses.items()}
        set_sequences(cursor)
        # Whoever coaches is a coach (as Engagement.save and accounts' 0007 keep it).
        cursor.execute("UPDATE accounts_user SET is_coach = TRUE WHERE id IN"
                       " (SELECT coach_id FROM engagements_engagement)")
    copied = time.monotonic() - started
    print(f"generated in {generated:.1f}s, copied {args.engagements:,} engagements, "
          f"{users:,} users in {copied:.1f}s "
          f"({', '.join(f'{k} {v:,}' for k, v in sorted(statuses.items()))})")
    finish(url, args, started)


if __name__ == "__main__":
    main()
