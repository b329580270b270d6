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

    nudge = models.ForeignKey(Nudge, on_delete=models.CASCADE, related_name="items")
    engagement = models.ForeignKey(
        "engagements.Engagement", on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(max_length=20, choices=Reason, default=Reason.OFF_TRACK)
    off_track_since = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["nudge", "engagement"], name="nudge_item_once"),
        ]

    def __str__(self):
        return f"{self.nudge_id}: engagement {self.engagement_id}"
