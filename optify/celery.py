import os

from celery import Celery, signals
from celery.schedules import crontab
from django.conf import settings

from optify import logs, metrics

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
    # The nudge sender's safety net: pending rows (retries, a lost enqueue) go out within a
    # minute (or at the shortened tick of the end-to-end test).
    "notifications-send-pending-nudges": {
        "task": "notifications.send_pending_nudges",
        "schedule": float(_every) if _every else 60.0,
    },
    # Webhooks (notifications/webhooks.py): retries and a lost enqueue, on the same tick.
    "notifications-deliver-webhooks": {
        "task": "notifications.deliver_webhooks",
        "schedule": float(_every) if _every else 60.0,
    },
    # The message emails' safety net (a lost enqueue, a retry after a mail provider's error).
    "notifications-send-message-emails": {
        "task": "notifications.send_message_emails",
        "schedule": float(_every) if _every else 60.0,
    },
    # Hourly: each company's weekly programme digests soon after its own Monday 08:00.
    "weekly-programme-digests": {
        "task": "notifications.build_weekly_digests",
        "schedule": crontab(minute=10),
    },
    # Connected calendars (engagements/calendars.py): sessions booked outside Optify count.
    "calendar-feeds": {
        "task": "engagements.refresh_calendar_feeds",
        "schedule": crontab(minute="*/15"),
    },
    # Hourly too: each company's Billing days are stored soon after its own midnight.
    "billing-days": {
        "task": "reports.tasks.store_billing_days",
        "schedule": crontab(minute=20),
    },
}


# Logs: Django's LOGGING (optify/logs.py) in workers and beat too, rather than Celery's own
# format; and the run_id travels in each task's message headers.
@signals.setup_logging.connect
def _configure_logging(**kwargs):
    logs.configure(settings.LOGGING)


signals.before_task_publish.connect(logs.on_before_task_publish)
signals.task_prerun.connect(logs.on_task_prerun)
signals.task_postrun.connect(logs.on_task_postrun)
signals.task_failure.connect(logs.on_task_failure)
signals.task_retry.connect(logs.on_task_retry)
signals.task_failure.connect(metrics.on_task_failure)
signals.task_retry.connect(metrics.on_task_retry)


@signals.worker_ready.connect
def _serve_worker_metrics(**kwargs):
    if settings.WORKER_METRICS_PORT:
        metrics.serve_worker_metrics(settings.WORKER_METRICS_PORT)
