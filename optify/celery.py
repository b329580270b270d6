import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "optify.settings")

app = Celery("optify")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# OPTIFY_BEAT_EVERY_SECONDS shortens the hourly tick (the end-to-end test runs a real beat).
_every = os.environ.get("OPTIFY_BEAT_EVERY_SECONDS")

app.conf.beat_schedule = {
    # Hourly, so that each company is evaluated soon after its own local
    # PROGRESS_EVALUATION_HOUR whatever its timezone; the task skips companies already done.
    "progress-daily-evaluation": {
        "task": "tracking.tasks.schedule_daily_evaluations",
        "schedule": float(_every) if _every else crontab(minute=5),
    },
    # Hourly too: each company's Billing days are stored soon after its own midnight.
    "billing-days": {
        "task": "reports.tasks.store_billing_days",
        "schedule": crontab(minute=20),
    },
}
