from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """The capacity in which someone is nudged: each gets its own digest and its own switch."""

    COACHEE = "coachee", _("Coachee")
    COACH = "coach", _("Coach")
    ADMINISTRATOR = "administrator", _("Administrator")
    # Rule 11's heads-up to the coachee and the coach, a kind of email with its own switch
    # (and unsubscribe link): as a "role" it gets its own digest per day and its own opt-out.
    EARLY_WARNING = "early_warning", _("Early warnings")
    # The administrators' weekly programme digest (notifications/weekly.py), likewise.
    WEEKLY_DIGEST = "weekly_digest", _("Weekly programme digest")
    # Session emails carrying calendar invitations (engagements/invites.py), on by default.
    CALENDAR_INVITES = "calendar_invites", _("Calendar invitations")
    # Emails about new messages in an engagement's thread (notifications/messages.py).
    MESSAGES = "messages", _("Messages")


class NudgePreference(models.Model):
    """
    A user's choice for the off-track emails of one role. No row means "on": only people who
    turned them off (on the Settings page or through an unsubscribe link) have one.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="nudge_preferences"
    )
    role = models.CharField(max_length=20, choices=Role)
    enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "role"], name="nudge_preference_once"),
        ]

    def __str__(self):
        return f"{self.user} as {self.role}: {'on' if self.enabled else 'off'}"


class Nudge(models.Model):
    """
    One outbox row: the digest one recipient gets, in one role, for one company-local day.
    Written by the daily evaluation's transaction (see outbox.py), sent by tasks.py.

    Database defaults (db_default) let the outbox be filled with one INSERT ... SELECT.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    company = models.ForeignKey("accounts.Company", on_delete=models.CASCADE, related_name="+")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="nudges"
    )
    role = models.CharField(max_length=20, choices=Role)
    day = models.DateField(
        help_text=_("The company-local day of the evaluation that caused it."))
    status = models.CharField(
        max_length=20, choices=Status, default=Status.PENDING, db_default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0, db_default=0)
    next_attempt_at = models.DateTimeField(db_default=Now())
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=255, blank=True, default="", db_default="")
    last_error = models.TextField(blank=True, default="", db_default="")
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ["-day", "pk"]
        constraints = [
            # At most one email per recipient, per role, per company day: re-runs, crashes and
            # concurrent evaluations all meet this key (INSERT ... ON CONFLICT DO NOTHING).
            models.UniqueConstraint(
                fields=["recipient", "role", "company", "day"], name="nudge_once_a_day"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "sending", "sent", "failed", "cancelled"]),
                name="nudge_status_valid",
            ),
        ]
        indexes = [
            # The sender reads only what is due.
            models.Index(
                fields=["next_attempt_at"], name="nudge_due",
                condition=Q(status__in=["pending", "sending"]),
            ),
        ]

    def __str__(self):
        return f"{self.get_role_display()} nudge to {self.recipient} for {self.day}"


class NudgeItem(models.Model):
    """One engagement listed in a nudge's digest."""

    class Reason(models.TextChoices):
        OFF_TRACK = "off_track", _("Went off track")
        REMINDER = "reminder", _("Still off track")
        EARLY_WARNING = "early_warning", _("Goes off track soon")

    # Both keys are written only by the outbox's statements (notifications/outbox.py), which
    # read the nudge and the engagement they point at in the same statement; the database
    # does not check them again at commit, one locking read of each parent per item (the
    # daily run writes thousands: docs/benchmarks.md). Deleting either still deletes the
    # items (Django's CASCADE). The nudge's side is indexed by nudge_item_once.
    nudge = models.ForeignKey(Nudge, on_delete=models.CASCADE, related_name="items",
                              db_index=False, db_constraint=False)
    engagement = models.ForeignKey(
        "engagements.Engagement", on_delete=models.CASCADE, related_name="+",
        db_constraint=False,
    )
    reason = models.CharField(max_length=20, choices=Reason, default=Reason.OFF_TRACK)
    off_track_since = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["nudge", "engagement"], name="nudge_item_once"),
        ]

    def __str__(self):
        return f"{self.nudge_id}: engagement {self.engagement_id}"


# ---------------------------------------------------------------------------------------------
# Webhooks (notifications/webhooks.py): a company's endpoints, the events owed to them (the
# outbox, written in the transaction of the change) and each delivery's log.


class WebhookEventType(models.TextChoices):
    PROGRESS_CHANGED = "engagement.progress_changed", _("Progress changed (on/off track)")
    PAUSED = "engagement.paused", _("Engagement paused")
    RESUMED = "engagement.resumed", _("Engagement resumed after a pause")
    ENDED = "engagement.ended", _("Engagement ended early")
    COMPLETED = "engagement.completed", _("Engagement completed")
    SESSION_SCHEDULED = "session.scheduled", _("Session scheduled")
    SESSION_MOVED = "session.moved", _("Session moved")
    SESSION_CANCELLED = "session.cancelled", _("Session cancelled")
    SESSION_COMPLETED = "session.completed", _("Session held")
    TEST = "webhook.test", _("Test event")


class WebhookEndpoint(models.Model):
    """
    Where a company wants its events POSTed. `events` is stored as ",a,b," so that the outbox's
    INSERT ... SELECT can match a type with LIKE on both engines (JSON containment differs).
    The secret signs every payload (Standard Webhooks): it is shown once, when created; it is
    kept in clear because signing needs it, like every Standard Webhooks sender.
    """

    company = models.ForeignKey(
        "accounts.Company", on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    events = models.CharField(max_length=1000)
    secret = models.CharField(max_length=100)
    is_enabled = models.BooleanField(default=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    # The first failure since the last success: failing for FAILING_DAYS disables it.
    failing_since = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["company", "is_enabled"], name="webhook_company_enabled")]

    def __str__(self):
        return self.url

    @property
    def event_types(self):
        return [t for t in self.events.split(",") if t]

    @event_types.setter
    def event_types(self, types):
        self.events = "," + ",".join(sorted(set(types))) + ","

    def listens_to(self, event_type):
        return f",{event_type}," in self.events


class WebhookMessage(models.Model):
    """
    One event, as the outbox holds it: written in the transaction of the change (an action,
    or the daily evaluation's INSERT ... SELECT). `msg_id` is the `webhook-id` every delivery
    and retry of it carries, so a receiver de-duplicates on it. The payload is composed at its
    first delivery and then kept, so that retries and resends send the same body.
    """

    msg_id = models.CharField(max_length=40, unique=True)
    company = models.ForeignKey("accounts.Company", on_delete=models.CASCADE, related_name="+")
    type = models.CharField(max_length=60, choices=WebhookEventType)
    engagement = models.ForeignKey(
        "engagements.Engagement", on_delete=models.CASCADE, null=True, blank=True,
        related_name="+",
    )
    transition = models.ForeignKey(
        "tracking.ProgressTransition", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    session = models.ForeignKey(
        "engagements.Session", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    data = models.JSONField(default=dict, blank=True)
    payload = models.JSONField(null=True, blank=True)
    occurred_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ["-pk"]

    def __str__(self):
        return f"{self.type} {self.msg_id}"


class WebhookDelivery(models.Model):
    """One message to one endpoint: the delivery log's row, and the sender's work item."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    message = models.ForeignKey(WebhookMessage, on_delete=models.CASCADE,
                                related_name="deliveries")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE,
                                 related_name="deliveries")
    status = models.CharField(max_length=20, choices=Status, default=Status.PENDING,
                              db_default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0, db_default=0)
    next_attempt_at = models.DateTimeField(db_default=Now())
    claimed_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="", db_default="")
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ["-pk"]
        constraints = [
            # Exactly one delivery per event id and endpoint, however often the outbox is built.
            models.UniqueConstraint(fields=["message", "endpoint"], name="webhook_delivery_once"),
        ]
        indexes = [
            models.Index(fields=["next_attempt_at"], name="webhook_delivery_due",
                         condition=Q(status__in=["pending", "sending"])),
        ]

    def __str__(self):
        return f"{self.message} to {self.endpoint_id}: {self.status}"


class MessageNotice(models.Model):
    """
    The message emails' outbox: one row per message and person to tell about it, written in
    the transaction that posts the message (notifications/messages.py). Sent grouped: one
    email per recipient for all of their pending rows, once the first of them has waited
    `messages.WAIT`, so that a burst of messages is one email.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    message = models.ForeignKey(
        "engagements.Message", on_delete=models.CASCADE, related_name="+"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="message_notices"
    )
    status = models.CharField(max_length=20, choices=Status, default=Status.PENDING)
    # The message's time: the grouping window of its recipient opens then.
    created_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["message", "recipient"], name="message_notice_once"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "sent", "failed", "cancelled"]),
                name="message_notice_status_valid",
            ),
        ]
        indexes = [
            # The sender reads only what waits, per recipient.
            models.Index(fields=["recipient", "created_at"], name="message_notice_pending",
                         condition=Q(status="pending")),
        ]

    def __str__(self):
        return f"Message {self.message_id} to {self.recipient_id} ({self.status})"
