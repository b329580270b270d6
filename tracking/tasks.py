from celery import shared_task

from accounts.models import Company
from tracking.jobs import companies_due, parse_day, run_daily_evaluation


@shared_task
def schedule_daily_evaluations():
    """Hourly (celery beat): one evaluate_company task per company whose local day is due."""
    due = companies_due()
    for company, day in due:
        evaluate_company.delay(company.pk, day.isoformat())
    return len(due)


# acks_late: a worker killed mid-run leaves the task on the queue; the rolled-back run is
# redone by the next worker (CELERY_TASK_REJECT_ON_WORKER_LOST), and a committed one is a no-op.
@shared_task(acks_late=True)
def evaluate_company(company_id, day):
    company = Company.objects.filter(pk=company_id).first()
    if company is None:
        return None
    run = run_daily_evaluation(company, parse_day(day))
    return run.pk if run else None
