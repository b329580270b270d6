"""
Emails about new messages in an engagement's thread: written with the message, sent grouped.

Who is told: the thread's people other than the author — the coachee, the coach, the
administrator responsible (the owner) and any other administrator who has written in it (every
administrator who manages the engagement reads and writes the thread; only these are emailed,
so that a company's whole administration is not told of every message). Internal records and
inactive people are never emailed. At sending time, whoever no longer takes part in the thread
(`actions.is_participant`), or has turned these emails off (`Role.MESSAGES`, on the Settings
page or through the unsubscribe link), gets nothing.

1. `on_engagement_changed` (the `engagement_changed` signal, inside the transaction that posts
   the message) writes one `MessageNotice` per recipient: the message and its emails commit
   together or not at all. Writing in a thread also cancels what its author was about to be
   told about it: they have just read it.
2. `tasks.on_engagement_change_committed` queues the sender after commit, `WAIT` later.
3. `send_due_message_emails` sends each recipient ONE email for all their pending notices, once
   the oldest of them has waited `WAIT`: the first message of a burst opens the window, and
   what follows within it goes in the same email. Beat runs it every minute too (a lost
   enqueue, a retry). On the embedded default (tasks in-process) there is no waiting: each
   message is sent at once.

Delivery, decided here: per recipient, the pending rows are locked (SELECT ... FOR UPDATE SKIP
LOCKED), the email is handed to the mailer, and the rows are marked sent, all in ONE
transaction. So a second run, or a second worker at once, finds nothing to send (exactly once);
a mailer error rolls the marking back and the rows are tried again after a backoff
(sender.backoff), up to `MAX_ATTEMPTS`. Only a crash between the provider accepting the email
and the commit sends it again: at-least-once, like the nudges (notifications/sender.py).
"""

import datetime as dt
import logging
from itertools import groupby

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import mailers
from django.db import transaction
from django.db.models import F, Min, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from engagements.models import AuditEvent, Engagement, Message
from notifications.emails import build_email
from notifications.models import MessageNotice, NudgePreference, Role
from notifications.sender import PERMANENT, RETRYABLE, backoff, unsubscribe_url

logger = logging.getLogger("notifications.messages")
User = get_user_model()

# How long the first message of a burst waits for the others before its email goes out.
WAIT = dt.timedelta(minutes=2)
MAX_ATTEMPTS = 12
Status = MessageNotice.Status


# -- 1 and 2: written with the message, queued after commit ---------------------------------


def on_engagement_changed(sender, action, engagement, by, changes, **kwargs):
    if action != AuditEvent.Action.MESSAGE_POSTED:
        return
    message = Message.objects.only("pk", "created_at").get(pk=changes["message"])
    earlier_authors = (Message.objects.filter(engagement=engagement, author__isnull=False)
                       .values("author_id"))
    recipients = (
        User.objects.filter(Q(pk__in=[engagement.coachee_id, engagement.coach_id,
                                      engagement.owner_id]) | Q(pk__in=earlier_authors))
        .exclude(pk=by.pk)
        .filter(is_active=True, status__in=[User.Status.ACTIVE, User.Status.INVITED])
        .values_list("pk", flat=True)
    )
    MessageNotice.objects.bulk_create([
        MessageNotice(message=message, recipient_id=pk, created_at=message.created_at,
                      next_attempt_at=message.created_at)
        for pk in recipients
    ], ignore_conflicts=True)
    MessageNotice.objects.filter(
        recipient_id=by.pk, status=Status.PENDING, message__engagement_id=engagement.pk,
        message__created_at__lte=message.created_at,
    ).update(status=Status.CANCELLED, last_error="Wrote in the thread since.")


# -- 3: sending, one email per recipient -----------------------------------------------------


def due_recipients(now, wait=WAIT):
    """Recipients whose oldest pending notice has waited `wait`, and whose retry is due."""
    return list(
        MessageNotice.objects.filter(status=Status.PENDING)
        .values("recipient_id")
        .annotate(oldest=Min("created_at"), retry=Min("next_attempt_at"))
        .filter(oldest__lte=now - wait, retry__lte=now)
        .order_by("recipient_id")
        .values_list("recipient_id", flat=True)
    )


def send_due_message_emails(now=None, wait=WAIT):
    """Sends what is due; returns {status: number of recipients}."""
    now = now or timezone.now()
    counts = {}
    connection = mailers.default
    connection.open()
    try:
        for recipient_id in due_recipients(now, wait):
            status = send_to(recipient_id, now, connection)
            if status:
                counts[status] = counts.get(status, 0) + 1
    finally:
        connection.close()
    if counts:
        logger.info("message_emails_run", extra={str(k): v for k, v in counts.items()})
    return counts


def send_to(recipient_id, now, connection):
    """One recipient's email for all of their pending notices. Returns what became of it."""
    claimed = []
    try:
        with transaction.atomic():
            notices = list(
                MessageNotice.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(recipient_id=recipient_id, status=Status.PENDING)
                .select_related("recipient__company", "message__engagement__company",
                                "message__engagement__coachee", "message__engagement__coach",
                                "message__engagement__template")
                .order_by("message__engagement_id", "created_at", "pk")
            )
            if not notices:
                return None  # another worker has them
            claimed = [notice.pk for notice in notices]
            recipient = notices[0].recipient
            keep, why = _what_they_may_read(recipient, notices)
            dropped = [notice.pk for notice in notices if notice not in keep]
            if dropped:
                MessageNotice.objects.filter(pk__in=dropped).update(
                    status=Status.CANCELLED, last_error=why)
            if not keep:
                return Status.CANCELLED
            connection.send_messages([compose(recipient, keep)])
            MessageNotice.objects.filter(pk__in=[notice.pk for notice in keep]).update(
                status=Status.SENT, sent_at=now, attempts=F("attempts") + 1, last_error="")
        logger.info("message_email_sent", extra={"recipient": recipient_id,
                                                 "messages": len(keep)})
        return Status.SENT
    except RETRYABLE as error:
        # Rolled back: the rows are pending again. Tried again after a backoff, then failed.
        pending = MessageNotice.objects.filter(pk__in=claimed, status=Status.PENDING)
        pending.update(attempts=F("attempts") + 1, last_error=f"{type(error).__name__}: {error}"[
            :2000])
        attempts = max(pending.values_list("attempts", flat=True), default=0)
        failed = isinstance(error, PERMANENT) or attempts >= MAX_ATTEMPTS
        pending.update(status=Status.FAILED if failed else Status.PENDING,
                       next_attempt_at=now + backoff(attempts))
        logger.warning("message_email_failed", extra={
            "recipient": recipient_id, "attempt": attempts, "error": type(error).__name__})
        return Status.FAILED if failed else Status.PENDING


def _what_they_may_read(recipient, notices):
    """The notices still for `recipient`, and why the others are not."""
    if not recipient.is_active or not recipient.can_sign_in:
        return [], "The recipient cannot sign in."
    if NudgePreference.objects.filter(user=recipient, role=Role.MESSAGES,
                                      enabled=False).exists():
        return [], "Turned off by the recipient."
    engagement_ids = {notice.message.engagement_id for notice in notices}
    readable = set(
        Engagement.objects.restrict(recipient).filter(pk__in=engagement_ids)
        .filter(Q(coachee_id=recipient.pk) | Q(coach_id=recipient.pk) | Q(can_manage=True))
        .values_list("pk", flat=True)
    )
    keep = [notice for notice in notices if notice.message.engagement_id in readable]
    return keep, "No longer takes part in the thread."


def message_id_for(notices):
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip("> ") or "optify"
    return f"<messages-{min(notice.pk for notice in notices)}@{domain}>"


def compose(recipient, notices):
    """The one email telling `recipient` about `notices`, grouped by engagement."""
    # The recipient's language (their own, else their company's), for the dates and the
    # subject composed here as much as for the templates (build_email).
    with translation.override(recipient.language_code):
        groups = []
        for _engagement_id, items in groupby(notices, key=lambda n: n.message.engagement_id):
            items = list(items)
            engagement = items[0].message.engagement
            tz = engagement.company.tzinfo
            groups.append({
                "title": _engagement_title(engagement, recipient),
                "company": engagement.company,
                "url": (f"{settings.SITE_URL}{engagement.get_absolute_url()}"
                        f"#messages-{engagement.pk}"),
                "messages": [{
                    "author": n.message.author_name or _("Someone"),
                    "when": date_format(timezone.localtime(n.message.created_at, tz),
                                        "j M Y, H:i"),
                    "body": n.message.body,
                } for n in items],
            })
        messages = [m for group in groups for m in group["messages"]]
        authors = list(dict.fromkeys(m["author"] for m in messages))
        companies = {group["company"].pk: group["company"] for group in groups}
        context = {
            "recipient": recipient,
            "groups": groups,
            "count": len(messages),
            "authors": ", ".join(authors),
            "company": next(iter(companies.values())) if len(companies) == 1 else None,
            "settings_url": settings.SITE_URL + reverse("notifications:settings"),
            "subject": ngettext("New message from %(authors)s",
                                "%(count)d new messages from %(authors)s", len(messages))
            % {"count": len(messages), "authors": ", ".join(authors)},
        }
        return build_email("messages", to=recipient.email, context=context,
                           headers={"Message-ID": message_id_for(notices)},
                           unsubscribe_url=unsubscribe_url(recipient, Role.MESSAGES))


def _engagement_title(engagement, recipient):
    if recipient.pk == engagement.coachee_id:
        if engagement.coach_id:
            return _("Your coaching with %(coach)s") % {"coach": engagement.coach}
        return _("Your coaching engagement")
    return f"{engagement.coachee} · {engagement.template.name}"
