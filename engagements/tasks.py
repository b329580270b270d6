import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerError

from engagements import calendars
from engagements.models import CalendarFeed

logger = logging.getLogger("engagements.calendars")

# Beat reads every connected calendar this often (optify/celery.py); a failing one is simply
# tried again at the next tick.
REFRESH_EVERY_MINUTES = 15


@shared_task(name="engagements.refresh_calendar_feeds", ignore_result=True,
             autoretry_for=(OperationalError, InterfaceError), retry_backoff=5,
             retry_backoff_max=300, max_retries=3)
def refresh_calendar_feeds():
    """Every connected calendar (engagements/calendars.py)."""
    return calendars.refresh_all()


@shared_task(name="engagements.refresh_calendar_feed", ignore_result=True)
def refresh_calendar_feed(feed_pk):
    """One calendar, just connected: its sessions count at once rather than at the next tick."""
    feed = CalendarFeed.objects.select_related("owner__company").filter(pk=feed_pk).first()
    if feed is not None:
        return calendars.refresh_feed(feed)
    return None


def enqueue_refresh(feed_pk):
    try:
        refresh_calendar_feed.delay(feed_pk)
    except BrokerError as error:
        logger.warning("calendar_refresh_enqueue_failed",
                       extra={"error": type(error).__name__, "fallback": "beat"})
