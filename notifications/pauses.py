"""
The coach is told when an administrator answers their request for a pause (rule 9).

What follows the answer, after its transaction has committed (the actions'
`engagement_change_committed`, the hook every action calls): a task sends one email to whoever
asked. At least once, like the password-reset email: a mail server's passing failure is
retried, and a second copy of an answer is harmless where a lost one leaves the coach waiting.
"""

import logging

from celery import shared_task
from django.conf import settings
from kombu.exceptions import OperationalError as BrokerError

from accounts.models import User
from engagements.models import AuditEvent, Pause
from notifications.emails import send_email

logger = logging.getLogger("notifications.pauses")

ANSWERS = {AuditEvent.Action.PAUSE_APPROVED, AuditEvent.Action.PAUSE_DECLINED}


def on_engagement_change_committed(sender, action, engagement, by, changes, **kwargs):
    """Receiver of engagements' `engagement_change_committed`: an answered request."""
    if action not in ANSWERS:
        return
    try:
        send_pause_answer.delay(changes["pause"], answered_by=str(by or ""))
    except BrokerError as error:
        # The answer stands and the page says so; only the email is lost, and logged.
        logger.warning("pause_answer_enqueue_failed", extra={
            "pause": changes["pause"], "error": type(error).__name__})


@shared_task(name="notifications.send_pause_answer", ignore_result=True,
             autoretry_for=(OSError,), retry_backoff=5, max_retries=3)
def send_pause_answer(pause_id, *, answered_by=""):
    pause = (Pause.objects.select_related("engagement__company", "engagement__coachee",
                                          "requested_by")
             .filter(pk=pause_id, status__in=[Pause.Status.APPROVED, Pause.Status.DECLINED])
             .first())
    if pause is None or pause.requested_by is None:
        return
    recipient = pause.requested_by
    if recipient.status not in (User.Status.ACTIVE, User.Status.INVITED):
        return
    engagement = pause.engagement
    send_email("pause-answer", to=recipient.email, context={
        "recipient": recipient, "company": engagement.company, "engagement": engagement,
        "pause": pause, "approved": pause.status == Pause.Status.APPROVED,
        "answered_by": answered_by,
        "url": settings.SITE_URL + engagement.get_absolute_url(),
    })
    logger.info("pause_answer_sent", extra={"pause": pause.pk, "status": pause.status})
