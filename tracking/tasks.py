import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from accounts.models import Company
from optify.dates import as_date
from tracking.jobs import companies_due, run_daily_evaluation, run_daily_evaluations

log = logging.getLogger("tracking.daily")

# A database that restarts or drops the connection mid-run: the run's transaction was rolled
# back, so the task is simply run again, after 1, 2, 4 ... s (at most a minute apart, jittered
# so that a fleet of workers does not reconnect in step). Celery's Django fixup closes
# unusable connections before each attempt, so the retry starts on a fresh one.
DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY = {
    "autoretry_for": DATABASE_ERRORS,
    "retry_backoff": 1,
    "retry_backoff_max": 60,
    "max_retries": 10,
}


@shared_task(**RETRY)
def schedule_daily_evaluations():
    """
    Hourly (celery beat): one evaluate_companies task for all the companies whose local day is
    due (one transaction and a fixed number of statements for all of them, tracking/jobs.py).
    """
    due = companies_due()
    if due:
        evaluate_companies.delay([[company.pk, day.isoformat()] for company, day in due])
    days = ",".join(sorted({day.isoformat() for _, day in due})) or "-"
    log.info("evaluation_scheduled", extra={"companies": len(due), "days": days})
    return len(due)


# acks_late: a worker killed mid-run leaves the task on the queue; the rolled-back run is
# redone by the next worker (CELERY_TASK_REJECT_ON_WORKER_LOST) or by beat's next hourly tick,
# and a committed one is a no-op.
@shared_task(acks_late=True, **RETRY)
def evaluate_companies(pairs):
    """The daily run of [[company id, company-local day], ...], together (run_daily_evaluations)."""
    days = {int(pk): as_date(day) for pk, day in pairs}
    companies = Company.objects.filter(pk__in=days).only("pk", "slug", "timezone", "plan")
    runs = run_daily_evaluations([(company, days[company.pk]) for company in companies])
    return [run.pk for run in runs]


# One company's daily run (operators, the fault tests); same guarantees as above.
@shared_task(acks_late=True, **RETRY)
def evaluate_company(company_id, day):
    company = Company.objects.filter(pk=company_id).first()
    if company is None:
        return None
    run = run_daily_evaluation(company, as_date(day))
    return run.pk if run else None
