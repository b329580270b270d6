"""
The daily job watches itself, as a cron monitor watches a job: a company whose local
evaluation hour has passed must have a finished EvaluationRun for that local day. One that
has none an hour after it was due is late (the hourly beat tick has had its chance to run it
once or twice by then). Reported by /healthz and `manage.py check_health` (optify/health.py).
"""

import datetime as dt

from django.conf import settings
from django.utils import timezone

from accounts.models import Company
from tracking.models import EvaluationRun

GRACE = dt.timedelta(hours=1)
LISTED = 20  # companies named in the report; the count covers them all


def last_due(company, now):
    """(company-local day, aware moment) of the latest evaluation hour at or before `now`."""
    local = timezone.localtime(now, company.tzinfo)
    hour = dt.time(settings.PROGRESS_EVALUATION_HOUR)
    day = local.date()
    due = dt.datetime.combine(day, hour, tzinfo=company.tzinfo)
    if due > local:
        day -= dt.timedelta(days=1)
        due = dt.datetime.combine(day, hour, tzinfo=company.tzinfo)
    return day, due


def late_evaluations(now):
    """
    None when every company has a finished run for its latest due day, else
    {"count": N, "companies": [{"company", "day", "due_at", "late_minutes"}, ...]} (the
    longest late first, at most LISTED). A company created after its due moment owes nothing
    yet. Two queries, whatever the number of companies.
    """
    owed = []
    for company in Company.objects.only("pk", "slug", "timezone", "created_at"):
        day, due = last_due(company, now)
        if now - due > GRACE and company.created_at <= due:
            owed.append((company, day, due))
    if not owed:
        return None
    done = set(
        EvaluationRun.objects.filter(
            company_id__in=[c.pk for c, _, _ in owed], day__in={d for _, d, _ in owed},
            finished_at__isnull=False,
        ).values_list("company_id", "day")
    )
    late = sorted(
        ((c, d, due) for c, d, due in owed if (c.pk, d) not in done),
        key=lambda item: (item[2], item[0].slug),
    )
    if not late:
        return None
    return {
        "count": len(late),
        "companies": [
            {
                "company": company.slug,
                "day": day.isoformat(),
                "due_at": due.astimezone(dt.UTC).isoformat(),
                "late_minutes": int((now - due).total_seconds() // 60),
            }
            for company, day, due in late[:LISTED]
        ],
    }
