from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class EngagementKind(models.TextChoices):
    ONE_ON_ONE = "one_on_one", "1:1"
    ON_DEMAND = "on_demand", _("On-demand")
    COACH_MATCHING = "coach_matching", _("Coach matching")


class ThresholdUnit(models.TextChoices):
    DAYS = "days", _("days")
    WEEKS = "weeks", _("weeks")


class EngagementTemplate(models.Model):
    """
    What an engagement is launched from. Its tracking settings are copied onto each
    engagement at launch (a snapshot): editing them later leaves running engagements alone.
    """

    company = models.ForeignKey(
        "accounts.Company", on_delete=models.CASCADE, related_name="engagement_templates"
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=EngagementKind)
    description = models.TextField(blank=True)
    # Entered as a number of days or weeks, stored as days; empty means tracking is off.
    tracking_threshold_days = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(3650)]
    )
    tracking_threshold_unit = models.CharField(
        max_length=5, choices=ThresholdUnit, default=ThresholdUnit.DAYS,
        help_text=_("How the threshold was entered, to show it back the same way."),
    )
    offtrack_notifications_enabled = models.BooleanField(default=True)
    # Off by default: repeat the nudge every N days while the engagement stays off track.
    offtrack_reminder_every_days = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    # Off by default: a heads-up to the coachee and the coach N days before it would go off
    # track with nothing scheduled (rule 11).
    early_warning_days = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["company", "name"], name="template_unique_name"),
            models.CheckConstraint(
                condition=models.Q(tracking_threshold_days__isnull=True)
                | models.Q(tracking_threshold_days__gte=1),
                name="template_threshold_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(offtrack_reminder_every_days__isnull=True)
                | models.Q(offtrack_reminder_every_days__gte=1),
                name="template_reminder_positive",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("templates_app:edit", args=[self.pk])

    @property
    def is_tracked(self):
        return self.tracking_threshold_days is not None

    @property
    def threshold_display(self):
        days = self.tracking_threshold_days
        if days is None:
            return "Not tracked"
        if self.tracking_threshold_unit == ThresholdUnit.WEEKS and days % 7 == 0:
            weeks = days // 7
            return f"{weeks} week{'s' if weeks != 1 else ''}"
        return f"{days} day{'s' if days != 1 else ''}"

    def tracking_snapshot(self):
        """The settings an engagement keeps from its template at launch."""
        return {
            "tracking_threshold_days": self.tracking_threshold_days,
            "offtrack_notifications_enabled": self.offtrack_notifications_enabled,
            "offtrack_reminder_every_days": self.offtrack_reminder_every_days,
            "early_warning_days": self.early_warning_days,
        }
