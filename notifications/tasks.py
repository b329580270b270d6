import datetime as dt
import logging

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from kombu.exceptions import OperationalError as BrokerError

from engagements.models import AuditEvent
from notifications import messages
from notifications.invites import send_invites
from notifications.outbox import hand_over_flips
from notifications.sender import send_due_nudges
from notifications.webhooks import deliver_due
from notifications.weekly import build_due_weekly_digests

logger = logging.getLogger("notifications.sender")

# Beat runs this every minute (optify/celery.py); retries wait at least a minute
# (sender.BACKOFF_BASE), so the minute tick is all the scheduling they need.


# A database error mid-batch: rows already claimed wait for their lease (sender.LEASE), the
# rest are still pending; running again soon (1, 2, 4 ... s) sends those without waiting a minute.
@shared_task(
    name="notifications.send_pending_nudges", ignore_result=True,
    autoretry_for=(OperationalError, InterfaceError), retry_backoff=1, retry_backoff_max=60,
    max_retries=5,
)
def send_pending_nudges():
    """
    Sends every due nudge. Queued after each daily evaluation commits, and every minute by
    beat. Several can run at once: each claims different rows. First, the flips to Off Track
    found at once since the last run become nudges (outbox.hand_over_flips).
    """
    hand_over_flips()
    return send_due_nudges()


def enqueue_sender():
    """
    Queues the sender now. Only a shortcut: the rows are already committed as pending, and beat
    sends them within a minute anyway. So a broker that is down must not fail the caller (the
    evaluation that just committed, an admin's request): it is logged, not raised.
    """
    try:
        send_pending_nudges.delay()
    except BrokerError as error:
        logger.warning("sender_enqueue_failed",
                       extra={"error": type(error).__name__, "fallback": "beat"})


@shared_task(name="notifications.build_weekly_digests", ignore_result=True,
             autoretry_for=(OperationalError, InterfaceError), retry_backoff=1,
             retry_backoff_max=60, max_retries=5)
def build_weekly_digests():
    """
    Hourly (beat): the weekly digests of every company whose Monday 08:00 has come, into the
    outbox; a re-run, another worker or a later tick of the same Monday adds nothing.
    """
    with transaction.atomic():
        built = build_due_weekly_digests()
        if any(built.values()):
            transaction.on_commit(enqueue_sender)
    logger.info("weekly_digests_built",
                extra={"companies": len(built), "new": sum(built.values())})
    return built


@shared_task(
    name="notifications.deliver_webhooks", ignore_result=True,
    autoretry_for=(OperationalError, InterfaceError), retry_backoff=1, retry_backoff_max=60,
    max_retries=5,
)
def deliver_webhooks():
    """Delivers every due webhook (notifications/webhooks.py): after each change, and by beat."""
    return deliver_due()


def enqueue_webhooks():
    """Queues the webhook sender now; a broker that is down leaves it to beat (as above)."""
    try:
        deliver_webhooks.delay()
    except BrokerError as error:
        logger.warning("webhooks_enqueue_failed",
                       extra={"error": type(error).__name__, "fallback": "beat"})


@shared_task(name="notifications.send_calendar_invites", ignore_result=True,
             autoretry_for=(OperationalError, InterfaceError, OSError), retry_backoff=30,
             retry_backoff_max=3600, max_retries=8)
def send_calendar_invites(kind, pk, method, sequence, action):
    """The calendar invitations of one session change (notifications/invites.py)."""
    return send_invites(kind, pk, method, sequence, action)


@shared_task(name="notifications.send_message_emails", ignore_result=True,
             autoretry_for=(OperationalError, InterfaceError), retry_backoff=1,
             retry_backoff_max=60, max_retries=5)
def send_message_emails(wait_seconds=None):
    """
    The emails about new messages (notifications/messages.py): queued `messages.WAIT` after
    each message, and every minute by beat. Running it twice, or on two workers, sends nothing
    twice.
    """
    wait = messages.WAIT if wait_seconds is None else dt.timedelta(seconds=wait_seconds)
    return messages.send_due_message_emails(wait=wait)


def enqueue_message_emails():
    """
    Queues the message emails `WAIT` from now: the window in which a burst of messages becomes
    one email. Tasks run in-process (the embedded default) cannot wait: they send at once. A
    broker that is down is logged, not raised: beat's minute tick sends them anyway.
    """
    try:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            send_message_emails.delay(wait_seconds=0)
        else:
            send_message_emails.apply_async(countdown=messages.WAIT.total_seconds())
    except BrokerError as error:
        logger.warning("message_emails_enqueue_failed",
                       extra={"error": type(error).__name__, "fallback": "beat"})


def on_engagement_change_committed(sender, action, **kwargs):
    if action == AuditEvent.Action.MESSAGE_POSTED:
        enqueue_message_emails()
