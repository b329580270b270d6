"""
Benchmark of connected calendars (issue 16): ingesting 100 feeds of 500 events each, served
by a local HTTP server, through engagements/calendars.py (conditional GET, parsing,
recurrence expansion, matching, and sessions written through the actions).

    source /tmp/optify-dev/env        # a PostgreSQL (scripts/services.sh start DIR writes one)
    .venv/bin/python bench/bench_calendars.py                 # 100 feeds x 500 events
    .venv/bin/python bench/bench_calendars.py --feeds 10      # a quick one

It (re)creates the database `optify_bench_calendars`: one company (Europe/London), --feeds
coaches with --coachees running engagements each, and one calendar per coach of --events
VEVENTs: one fortnightly series per coachee (over the 120-day window read, about 8
occurrences each: sessions to create) and single meetings with other people (to parse and
skip). Then it times `calendars.refresh_all()`:
  1. the first read: every session created through `do_schedule_session`;
  2. a re-read of unchanged feeds: the server answers 304 to the conditional GET;
  3. a re-read of feeds stamped anew (new ETag, same events): fetched, parsed, compared, and
     nothing to write — the periodic task's usual work;
  4. a re-read after three changes in each feed: one occurrence deleted (EXDATE), one moved
     (an override), one meeting added — written through the actions.
"""

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from seed import bench_database_url, ensure_database, loadavg, production_like  # noqa: E402

NOW = dt.datetime(2026, 3, 23, 7, 0, tzinfo=dt.UTC)


def vevent(uid, start, minutes, attendees, *extra, stamp="20260301T000000Z"):
    end = start + dt.timedelta(minutes=minutes)
    return "\r\n".join([
        "BEGIN:VEVENT", f"UID:{uid}", f"DTSTAMP:{stamp}",
        f"DTSTART;TZID=Europe/London:{start:%Y%m%dT%H%M%S}",
        f"DTEND;TZID=Europe/London:{end:%Y%m%dT%H%M%S}", "SUMMARY:Meeting",
        *[f"ATTENDEE:mailto:{a}" for a in attendees], *extra, "END:VEVENT"])


def feed(coach, coachees, events, *, changed=False, stamp="20260301T000000Z"):
    """
    `changed`: one occurrence deleted (EXDATE), one moved (an override), one meeting added.
    `stamp`: the same events stamped anew (another ETag: parsed and compared, nothing to do).
    """
    parts = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Bench//EN"]
    first = dt.datetime(2026, 2, 23, 9, 0)
    for i, email in enumerate(coachees):
        start = first + dt.timedelta(days=i % 10, hours=i % 7)
        extra = ["RRULE:FREQ=WEEKLY;INTERVAL=2"]
        sixth_week = start + dt.timedelta(weeks=6)
        if changed and i == 0:
            extra.append(f"EXDATE;TZID=Europe/London:{sixth_week:%Y%m%dT%H%M%S}")
        parts.append(vevent(f"series-{coach}-{i}@bench", start, 60, [email], *extra,
                            stamp=stamp))
        if changed and i == 1:
            parts.append(vevent(f"series-{coach}-{i}@bench", sixth_week.replace(hour=15), 60,
                                [email], "RECURRENCE-ID;TZID=Europe/London:"
                                f"{sixth_week:%Y%m%dT%H%M%S}", "SEQUENCE:1", stamp=stamp))
    if changed:
        parts.append(vevent(f"extra-{coach}@bench", dt.datetime(2026, 4, 1, 16, 0), 45,
                            [coachees[-1]], stamp=stamp))
    for j in range(events - len(coachees)):
        start = first + dt.timedelta(hours=9 * j)
        parts.append(vevent(f"other-{coach}-{j}@bench", start.replace(hour=8 + j % 9), 30,
                            [f"colleague{j % 40}@elsewhere.test"], stamp=stamp))
    parts.append("END:VCALENDAR")
    return "\r\n".join(parts) + "\r\n"


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--feeds", type=int, default=100)
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--coachees", type=int, default=8)
    parser.add_argument("--database-url")
    args = parser.parse_args(argv)

    url = bench_database_url(args.database_url).rsplit("/", 1)[0] + "/optify_bench_calendars"
    ensure_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ["OUTBOUND_ALLOW_LOOPBACK"] = "1"
    os.environ.pop("REDIS_URL", None)  # tasks in-process; calendar sessions send no email
    production_like()  # DEBUG off (no query log), warnings only, as in production
    import django

    django.setup()
    import time_machine
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import Company, User
    from engagements import calendars
    from engagements.models import CalendarFeed, Engagement, Session
    from templates_app.models import EngagementTemplate
    from tests.support.http import LocalServer

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE accounts_company, accounts_user RESTART IDENTITY CASCADE")

    company = Company.objects.create(name="Calendars", slug="calendars",
                                     timezone="Europe/London")
    admin = User.objects.create(email="admin@cal.test", full_name="Admin", company=company,
                                status="active", is_global_admin=True)
    template = EngagementTemplate.objects.create(company=company, name="1:1", kind="one_on_one",
                                                 tracking_threshold_days=21,
                                                 offtrack_notifications_enabled=True)
    coaches = User.objects.bulk_create(
        User(email=f"coach{c}@cal.test", full_name=f"Coach {c}", company=company,
             status="active", is_coach=True) for c in range(args.feeds))
    coachees = {c.pk: [f"coachee{c.pk}-{i}@cal.test" for i in range(args.coachees)]
                for c in coaches}
    people = User.objects.bulk_create(
        User(email=email, full_name=email, company=company, status="active")
        for emails in coachees.values() for email in emails)
    by_email = {u.email: u for u in people}
    Engagement.objects.bulk_create(
        Engagement(company=company, owner=admin, template=template, kind="one_on_one",
                   coachee=by_email[email], coach=coach, status="active",
                   started_on=dt.date(2026, 1, 5), launched_at=NOW - dt.timedelta(days=80),
                   tracking_threshold_days=21, offtrack_notifications_enabled=True)
        for coach in coaches for email in coachees[coach.pk])

    with LocalServer() as server:
        for coach in coaches:
            server.serve(f"/{coach.pk}.ics", feed(coach.pk, coachees[coach.pk], args.events))
        CalendarFeed.objects.bulk_create(CalendarFeed(owner=coach, url=server.url(
            f"/{coach.pk}.ics")) for coach in coaches)
        size = sum(len(d) for d in server.documents.values()) / len(server.documents)
        print(f"{args.feeds} feeds x {args.events} events ({size / 1024:.0f} KiB each), "
              f"{args.coachees} coachees per coach; {loadavg()}")

        with time_machine.travel(NOW, tick=True):
            phases = (("first read", None), ("unchanged (304)", None),
                      ("re-stamped", {"stamp": "20260323T000000Z"}),
                      ("3 changes a feed", {"changed": True}))
            for name, change in phases:
                if change:
                    for coach in coaches:
                        server.serve(f"/{coach.pk}.ics", feed(coach.pk, coachees[coach.pk],
                                                              args.events, **change))
                started, cpu = time.perf_counter(), time.process_time()
                totals = calendars.refresh_all()
                wall = time.perf_counter() - started
                print(f"{name:>17}: {wall:6.1f} s wall, {time.process_time() - cpu:6.1f} s CPU "
                      f"({wall / args.feeds * 1000:.0f} ms a feed) {totals}; {loadavg()}")
    print(f"sessions from calendar: {Session.objects.exclude(calendar_uid='').count()}, "
          f"scheduled {Session.objects.filter(status='scheduled').count()}")


if __name__ == "__main__":
    main()
