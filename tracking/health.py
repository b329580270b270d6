"""
The daily job watches itself, as a cron monitor watches a job: a company whose local
evaluation hour has passed must have a finished EvaluationRun for that local day. One that
has none an hour after it was due is late (the hourly beat tick has had its chance to run it
once or twice by then). Reported by /healthz and `manage.py check_health` (optify/health.py).
"""

import datetime as dt
import zoneinfo

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
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
    yet. Two queries: the timezones in use, then the companies late in each (a NOT EXISTS on
    the runs' unique key), so a probe reads only the late companies however many there are.
    """
    owed, due_by_zone = Q(), {}
    for name in Company.objects.order_by().values_list("timezone", flat=True).distinct():
        day, due = last_due(zoneinfo.ZoneInfo(name), now)
        if now - due > GRACE:
            due_by_zone[name] = (day, due)
            finished = EvaluationRun.objects.filter(
                company=OuterRef("pk"), day=day, finished_at__isnull=False)
            owed |= Q(timezone=name, created_at__lte=due) & ~Exists(finished)
    if not due_by_zone:
        return None
    late = sorted(
        ((slug, *due_by_zone[name]) for slug, name in
         Company.objects.filter(owed).values_list("slug", "timezone")),
        key=lambda item: (item[2], item[0]),
    )
    if not late:
        return None
    return {
        "count": len(late),
        "companies": [
            {
                "company": slug,
                "day": day.isoformat(),
                "due_at": due.astimezone(dt.UTC).isoformat(),
                "late_minutes": int((now - due).total_seconds() // 60),
            }
            for slug, day, due in late[:LISTED]
        ],
    }
