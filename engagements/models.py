from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from engagements import visibility
from engagements.visibility import PROGRESS_HIDDEN  # noqa: F401 - imported from here too
from templates_app.models import EngagementKind

ACTIVE_STATUSES = ("active", "coach_matching")
ENDED_STATUSES = ("ended_early", "completed")


class Progress(models.TextChoices):
    ON_TRACK = "on_track", _("On Track")
    OFF_TRACK = "off_track", _("Off Track")
    PAUSED = "paused", _("Paused")
    NOT_TRACKED = "not_tracked", _("Not tracking")


class EngagementQuerySet(models.QuerySet):
    def restrict(self, user, action="view"):
        """
        Tenancy in one place: the only public entry to engagements for a user. Every page,
        export, action, form dropdown and email reads engagements through it; what it leaves
        out answers 404. `action` is "view" or "manage"; the rows are annotated with
        `sees_progress` and what the viewer is shown of progress (engagements/visibility.py).
        """
        return visibility.restrict(self, user, action)


class Engagement(models.Model):
    Kind = EngagementKind

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        COACH_MATCHING = "coach_matching", _("Coach matching")
        ACTIVE = "active", _("Active")
        ENDED_EARLY = "ended_early", _("Ended early")
        COMPLETED = "completed", _("Completed")

    class EndReason(models.TextChoices):
        GOALS_ACHIEVED_EARLY = "goals_achieved_early", _("Goals achieved early")
        CLIENT_LEFT = "client_left", _("Client left the organisation")
        CLIENT_REQUEST = "client_request", _("Client request")
        COACH_UNAVAILABLE = "coach_unavailable", _("Coach unavailable")
        BUDGET_CHANGE = "budget_change", _("Budget or contract change")
        NO_RESPONSE = "no_response", _("No response from client")
        OTHER = "other", _("Other")

    # The foreign keys' own single-column indexes are left out (db_index=False): each is
    # either the first column of a composite index below or read by no query that needs one
    # (Meta.indexes says which query each index serves; docs/benchmarks.md, "Index diet").
    company = models.ForeignKey(
        "accounts.Company", on_delete=models.PROTECT, related_name="engagements",
        db_index=False,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_engagements",
        help_text=_("The administrator responsible."), db_index=False,
    )
    location = models.ForeignKey(
        "accounts.Location", on_delete=models.PROTECT, null=True, blank=True,
        related_name="engagements", db_index=False,
    )
    template = models.ForeignKey(
        "templates_app.EngagementTemplate", on_delete=models.PROTECT, related_name="engagements",
        db_index=False,
    )
    kind = models.CharField(max_length=20, choices=EngagementKind)
    coachee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="coachee_engagements",
        db_index=False,
    )
    coach = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="coach_engagements", db_index=False,
    )
    # The coach's company when it is not the owner company (a coaching provider), else null.
    # Its global administrators see the row; storing it makes that an indexed lookup instead
    # of a join inside every list's WHERE clause. `save()` keeps it, and so does a change of
    # the coach's company (engagements/signals.py).
    provider_company = models.ForeignKey(
        "accounts.Company", on_delete=models.PROTECT, null=True, blank=True, editable=False,
        related_name="provided_engagements", db_index=False,
    )
    status = models.CharField(max_length=20, choices=Status, default=Status.DRAFT)

    created_at = models.DateTimeField(auto_now_add=True)
    launched_at = models.DateTimeField(null=True, blank=True)
    # The progress clock's start: the day it was activated or went into active coach matching.
    started_on = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", db_index=False,
    )
    end_reason = models.CharField(max_length=30, choices=EndReason, blank=True)
    end_note = models.TextField(blank=True)

    # Tracking snapshot, copied from the template at launch.
    tracking_threshold_days = models.PositiveIntegerField(null=True, blank=True)
    offtrack_notifications_enabled = models.BooleanField(default=False)
    offtrack_reminder_every_days = models.PositiveIntegerField(null=True, blank=True)
    early_warning_days = models.PositiveIntegerField(null=True, blank=True)

    # Stored progress, kept current by tracking/ (the evaluation of one and of many).
    progress = models.CharField(max_length=20, choices=Progress, default=Progress.NOT_TRACKED)
    off_track_since = models.DateField(null=True, blank=True)
    last_activity_on = models.DateField(null=True, blank=True)
    next_event_on = models.DateField(null=True, blank=True)
    # The next company-local day on which time alone can change this engagement's progress
    # (Healthchecks' `alert_after`). In no index: the daily job finds the rows due through
    # tracking.ProgressDue, its agenda, so that moving this day is a HOT update.
    progress_due_on = models.DateField(null=True, blank=True)
    progress_evaluated_on = models.DateField(null=True, blank=True)
    # On track with nothing scheduled: the day it goes off track unless something happens,
    # counted past the pauses (rule 9); what rule 10's reason and rule 11's warning read.
    goes_off_track_on = models.DateField(null=True, blank=True)
    # Paused: the last day of the pause in force.
    paused_until = models.DateField(null=True, blank=True)

    objects = EngagementQuerySet.as_manager()

    class Meta:
        ordering = ["-started_on", "-pk"]
        # Thirteen indexes in all with the primary key and eng_off_track_since_desc (migration
        # 0004): each serves a query of docs/benchmarks.md. The columns the evaluation writes
        # every day (last activity, next event, due day, goes-off-track day, paused until,
        # evaluated on) are in none, so that writing them alone is a HOT update (fillfactor
        # 90, migration 0009); progress and off-track-since change only when the status flips.
        indexes = [
            # A tenant's rows by status and progress: the lists' and the report's filters and
            # totals.
            models.Index(fields=["company", "status", "progress"], name="eng_company_status_prog"),
            # The report's Off Track Since range, within a tenant: only off-track rows.
            models.Index(fields=["company", "off_track_since"], name="eng_company_offtrack",
                         condition=Q(off_track_since__isnull=False)),
            # A tenant's rows in the lists' order.
            models.Index(fields=["company", "started_on"], name="eng_company_started"),
            # A tenant's rows newest first: the API's cursor pages (its administered part,
            # engagements/api/views.py), read backwards from the cursor without sorting.
            models.Index(fields=["company", "id"], name="eng_company_id"),
            # The lists' default order, read backwards to the first page without sorting.
            models.Index(fields=["started_on", "id"], name="eng_started"),
            # The same order within one progress: the Off Track filter's first page.
            models.Index(fields=["progress", "started_on", "id"], name="eng_progress_started"),
            # What a coach, a coachee and a location administrator see (the gate's terms).
            models.Index(fields=["coach", "status"], name="eng_coach_status"),
            models.Index(fields=["coachee", "status"], name="eng_coachee_status"),
            models.Index(fields=["location", "status"], name="eng_location_status"),
            # The daily outbox's reminders and early warnings (notifications.outbox): a
            # company's rows that have either switched on at launch, not all its rows. Both
            # are snapshots that never change, so the index costs the evaluation's updates
            # nothing.
            models.Index(fields=["company"], name="eng_company_nudge_settings",
                         condition=Q(offtrack_reminder_every_days__isnull=False)
                         | Q(early_warning_days__isnull=False)),
            # What a provider's administrator sees: the few rows coached by its coaches.
            models.Index(fields=["provider_company"], name="eng_provider_company",
                         condition=Q(provider_company__isnull=False)),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["draft", "coach_matching", "active", "ended_early",
                                        "completed"]),
                name="engagement_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["one_on_one", "on_demand", "coach_matching"]),
                name="engagement_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(progress__in=["on_track", "off_track", "paused", "not_tracked"]),
                name="engagement_progress_valid",
            ),
            # Only a coach-matching engagement may be without a coach once it has launched.
            models.CheckConstraint(
                condition=Q(coach__isnull=False) | Q(status__in=["draft", "coach_matching"])
                | Q(kind="coach_matching"),
                name="engagement_coach_required",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["coach_matching", "active", "ended_early", "completed"],
                            started_on__isnull=False)
                | Q(status="draft"),
                name="engagement_launched_has_start",
            ),
            # Ended <=> it has an end date; only "ended early" carries a reason.
            models.CheckConstraint(
                condition=Q(status__in=ENDED_STATUSES, ended_on__isnull=False)
                | (~Q(status__in=ENDED_STATUSES) & Q(ended_on__isnull=True)),
                name="engagement_ended_has_date",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(started_on__isnull=True)
                | Q(ended_on__gte=F("started_on")),
                name="engagement_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(status="ended_early") | Q(end_reason=""),
                name="engagement_reason_only_when_ended_early",
            ),
            models.CheckConstraint(
                condition=~Q(status="ended_early") | ~Q(end_reason=""),
                name="engagement_ended_early_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(off_track_since__isnull=True) | Q(progress="off_track"),
                name="engagement_off_track_since_only_off_track",
            ),
            models.CheckConstraint(
                condition=Q(tracking_threshold_days__isnull=True)
                | Q(tracking_threshold_days__gte=1),
                name="engagement_threshold_positive",
            ),
        ]

    def __str__(self):
        return f"{self.coachee} — {self.template}"

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        coach_set = update_fields is None or "coach" in update_fields
        if coach_set:
            self.provider_company_id = self.coach_provider_company_id()
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "provider_company"}
        super().save(*args, **kwargs)
        if coach_set and self.coach_id is not None and not self.coach.is_coach:
            # Coaching one engagement makes a person a coach (the pickers' flag).
            type(self.coach).objects.filter(pk=self.coach_id).update(is_coach=True)
            self.coach.is_coach = True

    def get_absolute_url(self):
        return reverse("engagements:detail", args=[self.pk])

    def coach_provider_company_id(self):
        if self.coach_id is None:
            return None
        coach_company_id = self.coach.company_id
        return coach_company_id if coach_company_id != self.company_id else None

    @property
    def is_running(self):
        return self.status in ACTIVE_STATUSES

    @property
    def is_ended(self):
        return self.status in ENDED_STATUSES



class EventStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class ScheduledEvent(models.Model):
    """A dated event of an engagement; the progress rules read its date and status."""

    Status = EventStatus

    # No index of its own: each concrete event's (engagement, starts_at) index serves it.
    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, db_index=False)
    starts_at = models.DateTimeField()
    duration_minutes = models.PositiveIntegerField(default=60)
    status = models.CharField(max_length=20, choices=EventStatus, default=EventStatus.SCHEDULED)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # RFC 5545's SEQUENCE of the invitation (engagements/invites.py): each move or
    # cancellation raises it, so calendars take the update over what they hold.
    calendar_sequence = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["starts_at"]

    @classmethod
    def event_constraints(cls, prefix):
        return [
            models.CheckConstraint(
                condition=Q(status__in=["scheduled", "completed", "cancelled"]),
                name=f"{prefix}_status_valid",
            ),
            # A cancelled event knows when it was cancelled: a future one counts from that day.
            models.CheckConstraint(
                condition=Q(status="cancelled", cancelled_at__isnull=False)
                | (~Q(status="cancelled") & Q(cancelled_at__isnull=True)),
                name=f"{prefix}_cancelled_has_time",
            ),
        ]


class Session(ScheduledEvent):
    # The coach's notes: private to the coach, or shared with the coachee. Nobody else reads
    # them (not even administrators): coaching is confidential.
    notes = models.TextField(blank=True)
    notes_shared = models.BooleanField(default=False)
    # Booked outside Optify: read from a connected calendar feed (engagements/calendars.py).
    # The event's UID, and for one occurrence of a recurring event its RECURRENCE-ID.
    calendar_feed = models.ForeignKey(
        "engagements.CalendarFeed", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="sessions",
    )
    calendar_uid = models.CharField(max_length=400, blank=True, default="")

    class Meta(ScheduledEvent.Meta):
        default_related_name = "sessions"
        indexes = [
            models.Index(fields=["engagement", "starts_at"], name="session_eng_starts"),
            models.Index(fields=["calendar_feed", "calendar_uid"], name="session_from_calendar",
                         condition=~Q(calendar_uid="")),
        ]
        constraints = ScheduledEvent.event_constraints("session")

    def __str__(self):
        return f"Session {self.starts_at:%Y-%m-%d %H:%M} ({self.get_status_display()})"


class DiscoveryCall(ScheduledEvent):
    coach = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="discovery_calls",
        help_text=_("The candidate coach."),
    )

    class Meta(ScheduledEvent.Meta):
        default_related_name = "discovery_calls"
        indexes = [models.Index(fields=["engagement", "starts_at"], name="call_eng_starts")]
        constraints = ScheduledEvent.event_constraints("call")

    def __str__(self):
        return f"Discovery call {self.starts_at:%Y-%m-%d %H:%M} with {self.coach}"


class CoachSelection(models.Model):
    """The coach chosen in a coach-matching engagement, and the day: it counts as activity."""

    engagement = models.OneToOneField(
        Engagement, on_delete=models.CASCADE, related_name="coach_selection"
    )
    coach = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    selected_on = models.DateField()
    selected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.coach} selected on {self.selected_on}"


MAX_PAUSE_DAYS = 90


class Pause(models.Model):
    """
    A dated window (first and last day included, company-local) during which an engagement's
    progress is not tracked: it shows Paused, nobody is nudged, and its days do not count
    toward the threshold (DESIGN.md rule 9). Only approved pauses count; a coach's request
    waits for an administrator. The approved pauses of one engagement never overlap (the
    actions refuse it, under the engagement's lock), which the evaluation relies on.
    """

    class Reason(models.TextChoices):
        LEAVE = "leave", _("leave")
        HOLIDAY = "holiday", _("holiday")
        PROGRAMME_BREAK = "programme_break", _("programme break")
        OTHER = "other", _("other")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")
        # A pause ("pausa") is feminine in Spanish, unlike other things cancelled.
        CANCELLED = "cancelled", pgettext_lazy("pause", "Cancelled")

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="pauses")
    starts_on = models.DateField()
    ends_on = models.DateField()
    reason = models.CharField(max_length=20, choices=Reason)
    note = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=Status, default=Status.APPROVED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_on", "pk"]
        indexes = [
            # The evaluation joins an engagement's approved pauses; few rows have any.
            models.Index(fields=["engagement", "starts_on"], name="pause_eng_starts",
                         condition=Q(status="approved")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")),
                                   name="pause_ends_after_start"),
            models.CheckConstraint(
                condition=Q(reason__in=["leave", "holiday", "programme_break", "other"]),
                name="pause_reason_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["requested", "approved", "declined", "cancelled"]),
                name="pause_status_valid",
            ),
        ]

    def __str__(self):
        return f"Pause {self.starts_on} – {self.ends_on} ({self.get_reason_display()})"

    @property
    def days(self):
        return (self.ends_on - self.starts_on).days + 1


# Lengths the forms and the actions both hold text to: long enough for what people write, short
# enough that a page of a thread, or an email, stays a page.
GOAL_TITLE_MAX = 200
GOAL_DETAIL_MAX = 2_000
MESSAGE_MAX = 4_000


class Goal(models.Model):
    """
    What the coachee works toward in an engagement, set and kept by its coach and coachee;
    the administrators who manage the engagement read them (DESIGN.md, "Goals, notes and
    messages"). After the end they stay readable and nothing changes.
    """

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="goals")
    title = models.CharField(max_length=GOAL_TITLE_MAX)
    detail = models.TextField(blank=True)
    # When it was marked achieved (and by whom); cleared if it is reopened.
    achieved_at = models.DateTimeField(null=True, blank=True)
    achieved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["engagement", "created_at"], name="goal_eng_created")]
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="goal_has_title"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_achieved(self):
        return self.achieved_at is not None


class Message(models.Model):
    """
    One message of an engagement's thread, between its coachee, its coach and the
    administrators who manage it; newest last. The author's name is copied so the thread
    reads the same after their account is gone. Emails about it: notifications/messages.py.
    """

    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="messages"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    author_name = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["engagement", "created_at"], name="message_eng_created"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(body=""), name="message_has_body"),
        ]

    def __str__(self):
        return f"{self.author_name or 'Someone'} on {self.created_at:%Y-%m-%d %H:%M}"


class AuditEvent(models.Model):
    """
    Who did what, when: life-cycle actions on engagements and changes of a template's
    tracking settings. The actor's name is copied so the record outlives the account.
    """

    class Action(models.TextChoices):
        DRAFT_CREATED = "draft_created", _("Draft created")
        EDITED = "edited", _("Edited")
        LAUNCHED = "launched", _("Launched")
        COACH_SELECTED = "coach_selected", _("Coach selected")
        ENDED_EARLY = "ended_early", _("Ended early")
        COMPLETED = "completed", _("Marked complete")
        SESSION_SCHEDULED = "session_scheduled", _("Session scheduled")
        SESSION_MOVED = "session_moved", _("Session moved")
        SESSION_CANCELLED = "session_cancelled", _("Session cancelled")
        SESSION_COMPLETED = "session_completed", _("Session held")
        SESSION_NOTES_WRITTEN = "session_notes_written", _("Session notes written")
        DISCOVERY_CALL_SCHEDULED = "discovery_call_scheduled", _("Discovery call scheduled")
        DISCOVERY_CALL_MOVED = "discovery_call_moved", _("Discovery call moved")
        DISCOVERY_CALL_CANCELLED = "discovery_call_cancelled", _("Discovery call cancelled")
        DISCOVERY_CALL_COMPLETED = "discovery_call_completed", _("Discovery call held")
        TEMPLATE_TRACKING_CHANGED = "template_tracking_changed", _("Template tracking changed")
        PAUSED = "paused", _("Tracking paused")
        PAUSE_CHANGED = "pause_changed", _("Pause changed")
        PAUSE_ENDED = "pause_ended", _("Pause ended early")
        PAUSE_REQUESTED = "pause_requested", _("Pause requested")
        PAUSE_APPROVED = "pause_approved", _("Pause approved")
        PAUSE_DECLINED = "pause_declined", _("Pause declined")
        GOAL_ADDED = "goal_added", _("Goal added")
        GOAL_EDITED = "goal_edited", _("Goal edited")
        GOAL_ACHIEVED = "goal_achieved", _("Goal achieved")
        GOAL_REOPENED = "goal_reopened", _("Goal reopened")
        MESSAGE_POSTED = "message_posted", _("Message written")

    company = models.ForeignKey("accounts.Company", on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    actor_name = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=40, choices=Action)
    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, null=True, blank=True, related_name="audit_events"
    )
    template = models.ForeignKey(
        "templates_app.EngagementTemplate", on_delete=models.CASCADE, null=True, blank=True,
        related_name="audit_events",
    )
    changes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["engagement", "created_at"], name="audit_eng_created")]

    def __str__(self):
        return f"{self.get_action_display()} by {self.actor_name or 'system'}"

    @classmethod
    def record(cls, action, *, actor, company, engagement=None, template=None, **changes):
        return cls.objects.create(
            action=action, actor=actor, actor_name=str(actor) if actor else "",
            company=company, engagement=engagement, template=template, changes=changes,
        )


class CalendarFeed(models.Model):
    """
    A calendar a coach (or a company administrator) connected on Settings: its iCalendar
    address is read periodically and the events whose attendees include a coachee of one of
    their running engagements become sessions "from calendar" (engagements/calendars.py).
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    url = models.URLField(max_length=2000)
    etag = models.CharField(max_length=400, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    # The first failure since the last success; its owner is told after a day of them.
    failing_since = models.DateTimeField(null=True, blank=True)
    failure_notified_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    events_seen = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return f"Calendar of {self.owner}"


class CalendarToken(models.Model):
    """
    The secret of a user's private calendar feed (their sessions and discovery calls as an
    .ics address to subscribe to). Only its SHA-256 is stored; a new one replaces the old.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_token"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"Calendar feed of {self.user}"
