from celery import shared_task

from notifications.sender import send_due_nudges

# Beat runs this every minute (see NotificationsConfig.ready); retries wait at least a minute
# (sender.BACKOFF_BASE), so the minute tick is all the scheduling they need.
SEND_EVERY_SECONDS = 60


@shared_task(name="notifications.send_pending_nudges", ignore_result=True)
def send_pending_nudges():
    """
    Sends every due nudge. Queued after each daily evaluation commits, and every minute by
    beat. Several can run at once: each claims different rows.
    """
    return send_due_nudges()
