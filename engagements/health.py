"""
Connected calendars watched from outside (engagements/calendars.py): feeds that keep failing,
and feeds nobody has read for an hour. Reported by /healthz and `manage.py check_health`
(optify/health.py), and as `optify_health_problems` gauges.
"""

import datetime as dt

from django.db.models import Count, Min
from django.db.models.functions import Coalesce

from engagements.models import CalendarFeed
from engagements.tasks import REFRESH_EVERY_MINUTES

# A calendar server that hiccups is read again at the next tick; failing for an hour (four
# ticks) is worth a look. Its owner is emailed after a day (calendars.TELL_OWNER_AFTER).
FAILING_AFTER = dt.timedelta(hours=1)
# Beat reads every feed every 15 minutes: four ticks missed means nobody is reading them.
UNREAD_AFTER = 4 * dt.timedelta(minutes=REFRESH_EVERY_MINUTES)
LISTED = 20


def failing_calendar_feeds(now):
    """
    None, or {"count", "companies"} of connected calendars that have failed to be read for
    over an hour (no answer, an error status, not iCalendar), with up to 20 of their owners'
    companies. The owners fix their addresses; many at once points at our outbound network.
    """
    failing = CalendarFeed.objects.filter(failing_since__lte=now - FAILING_AFTER)
    count = failing.count()
    if not count:
        return None
    companies = (failing.filter(owner__company__isnull=False).order_by("owner__company__slug")
                 .values_list("owner__company__slug", flat=True).distinct())
    return {"count": count, "companies": list(companies[:LISTED])}


def unread_calendar_feeds(now):
    """
    None, or {"count", "oldest_read_at", "oldest_minutes"} of connected calendars not read
    (successfully or not) for over an hour — or never, an hour after being connected: beat's
    15-minute tick or the workers are missing, or one pass over all feeds takes that long.
    """
    last_read = Coalesce("last_checked_at", "created_at")
    row = (CalendarFeed.objects.alias(last_read=last_read)
           .filter(last_read__lte=now - UNREAD_AFTER)
           .aggregate(count=Count("pk"), oldest=Min(last_read)))
    if not row["count"]:
        return None
    return {
        "count": row["count"],
        "oldest_read_at": row["oldest"].astimezone(dt.UTC).isoformat(),
        "oldest_minutes": int((now - row["oldest"]).total_seconds() // 60),
    }
