from django.db import models
from django.utils.translation import gettext_lazy as _

from engagements.models import Progress


class ProgressTransition(models.Model):
    """
    One change of an engagement's progress status, like a monitoring system's state flip.
    `day` is the company-local day the change really happened, not when a job noticed it.
    """

    class Cause(models.TextChoices):
        DAILY = "daily", _("Daily evaluation")
        SESSION = "session", _("Session change")
        DISCOVERY_CALL = "discovery_call", _("Discovery call change")
        COACH_SELECTED = "coach_selected", _("Coach selected")
        LAUNCH = "launch", _("Launch")
        END = "end", _("Engagement ended")
        EDIT = "edit", _("Engagement edited")
        MANUAL = "manual", _("Manual evaluation")
        PAUSE = "pause", _("Pause change")

    # Neither foreign key has an index of its own: the indexes below lead with each.
    engagement = models.ForeignKey(
        "engagements.Engagement", on_delete=models.CASCADE, related_name="progress_transitions",
        db_index=False,
    )
    # The engagement's company, copied for the tenant's indexes. Its integrity is the
    # engagement's (whose foreign key is checked), so the database checks no second key: each
    # check is a locking read of the parent row per transition at commit, and the daily run
    # writes thousands (docs/benchmarks.md). Deleting a company still deletes its transitions
    # (Django's CASCADE).
    company = models.ForeignKey("accounts.Company", on_delete=models.CASCADE, related_name="+",
                                db_index=False, db_constraint=False)
    from_status = models.CharField(max_length=20, choices=Progress)
    to_status = models.CharField(max_length=20, choices=Progress)
    day = models.DateField()
    cause = models.CharField(max_length=20, choices=Cause)
    # Written by the statement that inserts the run itself (tracking.evaluation's `runs`), so
    # not checked again at commit, one locking read per transition (as `company`). Deleting a
    # run still clears it here (Django's SET_NULL).
    run = models.ForeignKey(
        "tracking.EvaluationRun", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="transitions", db_constraint=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # A flip to Off Track found by an at-once evaluation (not the daily run, which hands its
    # own over in its transaction): written True with the flip, in its transaction; the
    # outbox step (notifications.outbox.hand_over_flips) turns it into nudges and clears it
    # in one transaction of its own, so the flip is nudged exactly once.
    awaits_outbox = models.BooleanField(default=False, db_default=False)

    class Meta:
        ordering = ["-day", "-pk"]
        indexes = [
            models.Index(fields=["id"], name="transition_awaits_outbox",
                         condition=models.Q(awaits_outbox=True)),
            models.Index(fields=["engagement", "day"], name="transition_eng_day"),
            models.Index(fields=["company", "to_status", "day"], name="transition_company_to_day"),
            # The report's trend: a company's recent changes, read from the index alone (key
            # columns rather than INCLUDE, which SQLite lacks).
            models.Index(fields=["company", "day", "engagement", "from_status", "to_status"],
                         name="transition_company_day"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(from_status=models.F("to_status")),
                name="transition_changes_status",
            ),
        ]

    def __str__(self):
        return f"{self.engagement_id}: {self.from_status} → {self.to_status} on {self.day}"


class EvaluationRun(models.Model):
    """One daily evaluation of one company for one company-local day."""

    # Indexed by evaluation_run_once_a_day (company, day). Not checked again at commit (a
    # locking read of the company per run, thousands a day): the daily statement inserts each
    # run from the company row it reads (tracking.evaluation's `runs`). Deleting a company
    # still deletes its runs (Django's CASCADE).
    company = models.ForeignKey("accounts.Company", on_delete=models.CASCADE, related_name="+",
                                db_index=False, db_constraint=False)
    day = models.DateField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    evaluated = models.PositiveIntegerField(default=0)
    on_track = models.PositiveIntegerField(default=0)
    off_track = models.PositiveIntegerField(default=0)
    paused = models.PositiveIntegerField(default=0)
    not_tracked = models.PositiveIntegerField(default=0)
    transitions_count = models.PositiveIntegerField(default=0)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-day", "company"]
        constraints = [
            # A company is evaluated once per local day: the unique key makes re-runs no-ops.
            models.UniqueConstraint(fields=["company", "day"], name="evaluation_run_once_a_day"),
        ]

    def __str__(self):
        return f"{self.company} {self.day}"


class ProgressDue(models.Model):
    """
    The daily run's agenda: on `day` (company-local), `engagement` is to be looked at, time
    alone having perhaps changed its progress. Kept apart from the engagement's row, whose
    `progress_due_on` moves every time it is evaluated: an index on the engagement's own due
    day would make each of those writes add an entry to all of its indexes, where a write of
    columns no index holds is a HOT update (docs/benchmarks.md, issue 18).

    A queue, written only by the evaluations: whoever writes an engagement's due day adds its
    row here (INSERT ... ON CONFLICT DO NOTHING) and never removes the old one; the daily run
    takes (deletes) every row of its companies up to their day and evaluates those whose
    stored `progress_due_on` has come, so a row made stale by a later evaluation, an ended or
    deleted engagement is simply dropped on its day. No foreign key constraints: nothing to
    check on insert, nothing to cascade.
    """

    pk = models.CompositePrimaryKey("day", "company", "engagement")
    day = models.DateField()
    company = models.ForeignKey("accounts.Company", on_delete=models.DO_NOTHING,
                                db_constraint=False, db_index=False, related_name="+")
    engagement = models.ForeignKey("engagements.Engagement", on_delete=models.DO_NOTHING,
                                   db_constraint=False, db_index=False, related_name="+")

    def __str__(self):
        return f"{self.engagement_id} due {self.day}"
