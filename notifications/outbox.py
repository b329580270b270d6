"""
The outbox: what the daily evaluation owes people by email, written in its own transaction.

`build_outbox(run)` is called (through the `evaluation_committing` signal) inside the daily
evaluation's transaction, after the engagements' progress and their ProgressTransition rows are
written. It costs two statements whatever the number of engagements, recipients or companies:

1. INSERT one `Nudge` per (recipient, role) that has something due ... ON CONFLICT DO NOTHING;
2. INSERT one `NudgeItem` per (nudge, engagement) ... ON CONFLICT DO NOTHING.

Because both are in the evaluation's transaction, a crash either loses the status changes and
the nudges together (the re-run recreates both) or keeps both (the sender finds the rows).
The unique keys make a re-run for the same day add nothing.
"""

import logging

from django.db import connection
from django.utils import timezone

from accounts.models import User
from engagements.models import Engagement, Progress
from engagements.visibility import ROLES_MANAGING, sees_progress_sql
from notifications.models import Nudge, NudgeItem, NudgePreference, Role
from optify import metrics
from tracking.models import ProgressTransition

logger = logging.getLogger("notifications.outbox")

# What the daily run owes, as rows (engagement, reason, off_track_since, user, role) of people
# who may receive it. The owner administrator is nudged only while they still manage the
# engagement (global admin of its company, or admin of its location): the digest shows
# progress, and "Who may see progress" says only they and the coach may see it. That condition
# is the gate's own rule, as SQL (`{owner_manages}`, engagements/visibility.py).
_ELIGIBLE_SQL = """
WITH due AS (
    SELECT e.id AS engagement_id, e.company_id, e.coachee_id, e.coach_id, e.owner_id,
           e.location_id, e.off_track_since, %(reason_off_track)s AS reason
      FROM {transition} t
      JOIN {engagement} e ON e.id = t.engagement_id
     WHERE t.run_id = %(run)s AND t.to_status = %(off_track)s
       AND e.progress = %(off_track)s AND e.offtrack_notifications_enabled
    UNION ALL
    -- The optional reminder: every N days while it stays off track (N snapshotted at launch).
    SELECT e.id, e.company_id, e.coachee_id, e.coach_id, e.owner_id,
           e.location_id, e.off_track_since, %(reason_reminder)s
      FROM {engagement} e
     WHERE e.company_id = %(company)s AND e.status IN (%(active)s, %(coach_matching)s)
       AND e.progress = %(off_track)s AND e.offtrack_notifications_enabled
       AND e.offtrack_reminder_every_days IS NOT NULL
       AND e.off_track_since < %(day)s
       AND ({days_off}) %% e.offtrack_reminder_every_days = 0
       AND NOT EXISTS (SELECT 1 FROM {transition} t2
                        WHERE t2.run_id = %(run)s AND t2.engagement_id = e.id)
),
recipients AS (
    SELECT d.engagement_id, d.reason, d.off_track_since, d.coachee_id AS user_id,
           %(role_coachee)s AS role
      FROM due d
    UNION ALL
    SELECT d.engagement_id, d.reason, d.off_track_since, d.coach_id, %(role_coach)s
      FROM due d WHERE d.coach_id IS NOT NULL
    UNION ALL
    SELECT d.engagement_id, d.reason, d.off_track_since, d.owner_id, %(role_administrator)s
      FROM due d JOIN {user} o ON o.id = d.owner_id
     WHERE {owner_manages}
),
eligible AS (
    SELECT r.engagement_id, r.reason, r.off_track_since, r.user_id, r.role
      FROM recipients r JOIN {user} u ON u.id = r.user_id
     WHERE u.status IN (%(user_active)s, %(user_invited)s)
       AND NOT EXISTS (SELECT 1 FROM {preference} p
                        WHERE p.user_id = r.user_id AND p.role = r.role AND NOT p.enabled)
)
"""

_INSERT_NUDGES_SQL = """
INSERT INTO {nudge} (company_id, recipient_id, role, day, status, attempts, next_attempt_at,
                     message_id, last_error, created_at)
SELECT DISTINCT %(company)s, el.user_id, el.role, %(day)s, %(pending)s, 0, %(now)s, '', '',
       %(now)s
  FROM eligible el WHERE TRUE
ON CONFLICT (recipient_id, role, company_id, day) DO NOTHING
RETURNING role
"""

# Items join only nudges still pending: one already handed to the mailer is never changed.
_INSERT_ITEMS_SQL = """
INSERT INTO {item} (nudge_id, engagement_id, reason, off_track_since)
SELECT n.id, el.engagement_id, MIN(el.reason), MIN(el.off_track_since)
  FROM eligible el
  JOIN {nudge} n ON n.recipient_id = el.user_id AND n.role = el.role
                AND n.company_id = %(company)s AND n.day = %(day)s
 WHERE n.status = %(pending)s
 GROUP BY n.id, el.engagement_id
ON CONFLICT (nudge_id, engagement_id) DO NOTHING
"""


# The choices the statements compare with, passed as parameters from their TextChoices, so that
# the SQL never spells a status of its own.
CHOICES = {
    "active": Engagement.Status.ACTIVE,
    "coach_matching": Engagement.Status.COACH_MATCHING,
    "off_track": Progress.OFF_TRACK,
    "reason_off_track": NudgeItem.Reason.OFF_TRACK,
    "reason_reminder": NudgeItem.Reason.REMINDER,
    "role_coachee": Role.COACHEE,
    "role_coach": Role.COACH,
    "role_administrator": Role.ADMINISTRATOR,
    "user_active": User.Status.ACTIVE,
    "user_invited": User.Status.INVITED,
    "pending": Nudge.Status.PENDING,
}
CHOICES = {name: str(value) for name, value in CHOICES.items()}


def _tables():
    return {
        "transition": ProgressTransition._meta.db_table,
        "engagement": Engagement._meta.db_table,
        "user": User._meta.db_table,
        "owner_manages": sees_progress_sql("d", "o", roles=ROLES_MANAGING),
        "preference": NudgePreference._meta.db_table,
        "nudge": Nudge._meta.db_table,
        "item": NudgeItem._meta.db_table,
        "days_off": (
            "(CAST(%(day)s AS date) - e.off_track_since)"
            if connection.vendor == "postgresql"
            else "CAST(julianday(%(day)s) - julianday(e.off_track_since) AS INTEGER)"
        ),
    }


def build_outbox(run):
    """
    Writes the nudges owed for `run` (a tracking.EvaluationRun) into the outbox, in the
    caller's transaction. Two statements, whatever the size of the run. Returns the number of
    nudges created (0 on a re-run).
    """
    tables = _tables()
    eligible = _ELIGIBLE_SQL.format(**tables)
    params = {"run": run.pk, "company": run.company_id, "day": run.day, "now": timezone.now(),
              **CHOICES}
    with connection.cursor() as cursor:
        cursor.execute(eligible + _INSERT_NUDGES_SQL.format(**tables), params)
        roles = [role for (role,) in cursor.fetchall()]
        created = len(roles)
        cursor.execute(eligible + _INSERT_ITEMS_SQL.format(**tables), params)
        items = cursor.rowcount
    metrics.nudges_queued(roles)
    logger.info("outbox_built", extra={
        "company": run.company.slug, "day": run.day, "run": run.pk, "nudges": created,
        "items": items})
    return created


def on_evaluation_committing(sender, run, **kwargs):
    """Receiver of tracking's `evaluation_committing`: the outbox, then the sender after commit."""
    from django.db import transaction

    from notifications.tasks import enqueue_sender

    if build_outbox(run):
        # After commit, so the worker sees the rows; if this enqueue is lost (the broker is
        # down), the periodic sender still finds them.
        transaction.on_commit(enqueue_sender)

