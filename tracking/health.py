"""
The daily job watches itself, as a cron monitor watches a job: a company whose local
evaluation hour has passed must have a finished EvaluationRun for that local day. One that
has none an hour after it was due is late (the hourly beat tick has had its chance to run it
once or twice by then). Reported by /healthz and `manage.py check_health` (optify/health.py).
"""

import datetime as dt
import zoneinfo
from collections import defaultdict

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.models import Company
from tracking.models import EvaluationRun

GRACE = dt.timedelta(hours=1)
LISTED = 20  # companies named in the report; the count covers them all


def last_due(tzinfo, now):
    """(local day, aware moment) of the latest evaluation hour at or before `now` in `tzinfo`."""
    local = timezone.localtime(now, tzinfo)
    hour = dt.time(settings.PROGRESS_EVALUATION_HOUR)
    day = local.date()
    due = dt.datetime.combine(day, hour, tzinfo=tzinfo)
    if due > local:
        day -= dt.timedelta(days=1)
        due = dt.datetime.combine(day, hour, tzinfo=tzinfo)
    return day, due


def late_evaluations(now):
    """
    None when every company has a finished run for its latest due day, else
    {"count": N, "companies": [{"company", "day", "due_at", "late_minutes"}, ...]} (the
    longest late first, at most LISTED). A company created after its due moment owes nothing
    yet. At most four queries, whatever the number of companies: the timezones in use, then
    the late companies of each local day owed, so a probe reads only the late companies.
    """
    due_by_zone, zones_by_day = {}, defaultdict(list)
    for name in Company.objects.order_by().values_list("timezone", flat=True).distinct():
        day, due = last_due(zoneinfo.ZoneInfo(name), now)
        due = due.astimezone(dt.UTC)  # compared with many UTC datetimes below: convert once
        if now - due > GRACE:
            due_by_zone[name] = (day, due)
            zones_by_day[day].append(name)
    late = []
    # One query per local day owed somewhere (two, at most three, whatever the timezones):
    # the companies of those timezones without a finished run that day, a NOT EXISTS probe
    # of the runs' unique (company, day) index.
    for day, names in zones_by_day.items():
        finished = EvaluationRun.objects.filter(
            company=OuterRef("pk"), day=day, finished_at__isnull=False)
        rows = (Company.objects.filter(timezone__in=names).filter(~Exists(finished))
                .values_list("slug", "timezone", "created_at"))
        late += [(slug, day, due_by_zone[name][1]) for slug, name, created in rows
                 if created <= due_by_zone[name][1]]
    late.sort(key=lambda item: (item[2], item[0]))
    if not late:
        return None
    return {
        "count": len(late),
        "companies": [
            {
                "company": slug,
                "day": day.isoformat(),
                "due_at": due.isoformat(),
                "late_minutes": int((now - due).total_seconds() // 60),
            }
            for slug, day, due in late[:LISTED]
        ],
    }
