import logging

from celery import shared_task

from accounts.models import Company
from reports.billing import store_missing_days_of
from tracking.tasks import RETRY

log = logging.getLogger("reports.billing")


@shared_task(**RETRY)
def store_billing_days():
    """
    Hourly (celery beat): each company's Billing days up to its own today, so that the
    day's first visit to the Billing page reads stored counts. Only missing days are
    computed: after the first run, one day per company per local midnight.
    """
    stored = 0
    for company, days, milliseconds in store_missing_days_of(Company.objects.order_by("pk")):
        if days:
            log.info("billing_days_stored company=%s days=%d duration_ms=%.0f",
                     company.slug, days, milliseconds)
        stored += days
    return stored
