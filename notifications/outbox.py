"""
The outbox: what the daily evaluation owes people by email, written in its own transaction.

`build_outbox_for_runs(runs)` is called (through the `evaluation_committing` signal) inside
the daily evaluation's transaction, after the engagements' progress and their
ProgressTransition rows are written, with the runs of every company evaluated together. It
costs one statement on PostgreSQL whatever the number of engagements, recipients or
companies, which writes

1. one `Nudge` per (recipient, role) that has something due ... ON CONFLICT DO NOTHING;
2. one `NudgeItem` per (nudge, engagement) ... ON CONFLICT DO NOTHING

(two statements on SQLite, whose WITH cannot hold an INSERT).

The day's early warnings (rule 11) are rows of the same statements, in the role
"early_warning": a digest of their own, with their own switch. Flips to Off Track found at
once (not by the daily run) are handed over by `hand_over_flips`, with the same rows.

Because both are in the evaluation's transaction, a crash either loses the status changes and
the nudges together (the re-run recreates both) or keeps both (the sender finds the rows).
The unique keys make a re-run for the same day add nothing.
"""

import datetime as dt
import logging
from collections import Counter

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from engagements.models import Engagement, Progress
from engagements.visibility import ROLES_MANAGING, sees_progress_sql
from notifications.models import Nudge, NudgeItem, NudgePreference, Role
from optify import metrics
from optify.sql import pg_array, rowcount
from tracking.models import ProgressTransition

logger = logging.getLogger("notifications.outbox")

# What the daily run owes, as rows (engagement, reason, off_track_since, user, role) of people
# who may receive it. The owner administrator is nudged only while they still manage the
# engagement (global admin of its company, or admin of its location): the digest shows
# progress, and "Who may see progress" says only they and the coach may see it. That condition
# is the gate's own rule, as SQL (`{owner_manages}`, engagements/visibility.py).
#
# `runs` (run, company, day) are the daily runs the rows are owed for, all of them in one
# statement (the day's companies together, whatever their number); an at-once flip is one row
# without a run. `flipped` are those of them whose flips are read: the daily runs that wrote
# transitions (most companies' runs write none on most days, and with 5,000 runs PostgreSQL
# read every transition ever written to find a few hundred), or the at-once row. `{flips}`
# picks the transitions that count: a run's, or the one flip's.
_ELIGIBLE_SQL = """
WITH runs (run_id, company_id, day) AS ({runs}),
flipped (run_id, company_id, day) AS ({flipped}),
due AS (
    SELECT e.id AS engagement_id, e.company_id, r.day, e.coachee_id, e.coach_id, e.owner_id,
           e.location_id, e.off_track_since, %(reason_off_track)s AS reason
      FROM flipped r
      JOIN {transition} t ON {flips}
      JOIN {engagement} e ON e.id = t.engagement_id
     WHERE t.to_status = %(off_track)s
       AND e.progress = %(off_track)s AND e.offtrack_notifications_enabled
    UNION ALL
    -- The optional reminder: every N days while it stays off track (N snapshotted at launch).
    SELECT e.id, e.company_id, r.day, e.coachee_id, e.coach_id, e.owner_id,
           e.location_id, e.off_track_since, %(reason_reminder)s
      FROM runs r
      JOIN {engagement} e ON e.company_id = r.company_id
     WHERE %(daily)s
       AND e.status IN (%(active)s, %(coach_matching)s)
       AND e.progress = %(off_track)s AND e.offtrack_notifications_enabled
       AND e.offtrack_reminder_every_days IS NOT NULL
       AND e.off_track_since < r.day
       AND ({days_off}) %% e.offtrack_reminder_every_days = 0
       AND NOT EXISTS (SELECT 1 FROM {transition} t2
                        WHERE t2.run_id = r.run_id AND t2.engagement_id = e.id)
),
recipients AS (
    SELECT d.engagement_id, d.company_id, d.day, d.reason, d.off_track_since,
           d.coachee_id AS user_id, %(role_coachee)s AS role
      FROM due d JOIN {user} u ON u.id = d.coachee_id
     WHERE u.status IN (%(user_active)s, %(user_invited)s)
    UNION ALL
    SELECT d.engagement_id, d.company_id, d.day, d.reason, d.off_track_since, d.coach_id,
           %(role_coach)s
      FROM due d JOIN {user} u ON u.id = d.coach_id
     WHERE u.status IN (%(user_active)s, %(user_invited)s)
    UNION ALL
    SELECT d.engagement_id, d.company_id, d.day, d.reason, d.off_track_since, d.owner_id,
           %(role_administrator)s
      FROM due d JOIN {user} o ON o.id = d.owner_id
     WHERE o.status IN (%(user_active)s, %(user_invited)s) AND {owner_manages}
),
eligible AS (
    SELECT r.engagement_id, r.company_id, r.day, r.reason, r.off_track_since, r.user_id,
           r.role
      FROM recipients r
     WHERE NOT EXISTS (SELECT 1 FROM {preference} p
                        WHERE p.user_id = r.user_id AND p.role = r.role AND NOT p.enabled)
    UNION ALL
    -- Rule 11: on-track engagements with nothing scheduled that go off track exactly W days
    -- from the run's day (W snapshotted at launch): a heads-up to the coachee and the coach.
    SELECT x.engagement_id, x.company_id, x.day, %(reason_early_warning)s, x.off_on, u.id,
           %(role_early_warning)s
      FROM (SELECT e.id AS engagement_id, e.company_id, r.day,
                   e.goes_off_track_on AS off_on, e.coachee_id AS coachee_id,
                   e.coach_id AS coach_id
              FROM runs r
              JOIN {engagement} e ON e.company_id = r.company_id
             WHERE %(daily)s
               AND e.status IN (%(active)s, %(coach_matching)s) AND e.progress = %(on_track)s
               AND e.next_event_on IS NULL AND e.early_warning_days IS NOT NULL
               AND {warn_on} = r.day) x
      JOIN {user} u ON u.id IN (x.coachee_id, x.coach_id)
     WHERE u.status IN (%(user_active)s, %(user_invited)s)
       AND NOT EXISTS (SELECT 1 FROM {preference} p
                        WHERE p.user_id = u.id AND p.role = %(role_early_warning)s
                          AND NOT p.enabled)
)
"""

_INSERT_NUDGES_SQL = """
INSERT INTO {nudge} (company_id, recipient_id, role, day, status, attempts, next_attempt_at,
                     message_id, last_error, created_at)
SELECT DISTINCT el.company_id, el.user_id, el.role, el.day, %(pending)s, 0, %(now)s, '', '',
       %(now)s
  FROM eligible el WHERE TRUE
ON CONFLICT (recipient_id, role, company_id, day) DO NOTHING
RETURNING company_id, role
"""

# PostgreSQL writes the nudges and their items in one statement, so that `eligible` is read
# once. `found` is one row per nudge owed (recipient, role, company, day) carrying its items:
# the id of that nudge if one was written before (an at-once flip's, a re-run's; 0 once it
# is handed to the mailer, when it gets no items), else a new id from the nudges' sequence,
# in the order the nudges were always numbered. No step joins another: the planner knows
# nothing of how many rows these steps hold, and joining them on its guesses read the 5,570
# items of the 1,000,000 seed against its 506 new nudges one by one (640 ms). `found` looks
# the nudges up by their unique key before the statement writes any (`created` sorts what
# it writes, which reads `found` to the end first), so the plan needs no statistics of the
# nudges it writes. A nudge another transaction committed while this statement ran (an
# at-once flip's, the same day: ON CONFLICT waited for it) is invisible here: then the new
# nudges' items are not written (`placed` is false), and the items statement below writes
# them after this one, in a snapshot of its own, as it does on SQLite (whose WITH cannot
# hold an INSERT).
_INSERT_NUDGES_AND_ITEMS_SQL = """,
owed AS (
    SELECT el.company_id, el.user_id, el.role, el.day,
           array_agg(el.engagement_id) AS engagement_ids, array_agg(el.reason) AS reasons,
           array_agg(el.off_track_since) AS off_track_sinces
      FROM eligible el
     GROUP BY el.company_id, el.user_id, el.role, el.day
     ORDER BY el.company_id, el.user_id, el.role, el.day
),
probed AS (
    SELECT o.*, (SELECT CASE WHEN n.status = %(pending)s THEN n.id ELSE 0 END FROM {nudge} n
                  WHERE n.recipient_id = o.user_id AND n.role = o.role
                    AND n.company_id = o.company_id AND n.day = o.day) AS nudge_id
      FROM owed o
    OFFSET 0
),
found AS MATERIALIZED (
    SELECT p.*, CASE WHEN p.nudge_id IS NULL THEN nextval({nudge_sequence}) END AS new_id
      FROM probed p
),
created AS (
    INSERT INTO {nudge} (id, company_id, recipient_id, role, day, status, attempts,
                         next_attempt_at, message_id, last_error, created_at)
    SELECT f.new_id, f.company_id, f.user_id, f.role, f.day, %(pending)s, 0, %(now)s, '', '',
           %(now)s
      FROM found f
     WHERE f.new_id IS NOT NULL
     ORDER BY f.new_id
    ON CONFLICT (recipient_id, role, company_id, day) DO NOTHING
    RETURNING company_id, role
),
placed (placed) AS (
    SELECT (SELECT count(*) FROM created) = (SELECT count(*) FROM found WHERE new_id IS NOT NULL)
),
added AS (
    INSERT INTO {item} (nudge_id, engagement_id, reason, off_track_since)
    SELECT f.nudge_id, i.engagement_id, MIN(i.reason), MIN(i.off_track_since)
      FROM found f,
           unnest(f.engagement_ids, f.reasons, f.off_track_sinces)
               AS i (engagement_id, reason, off_track_since)
     WHERE f.nudge_id > 0
     GROUP BY f.nudge_id, i.engagement_id
    ON CONFLICT (nudge_id, engagement_id) DO NOTHING
    RETURNING 1
),
-- A new nudge's items cannot be there already: no ON CONFLICT (which checks the key before
-- each row as well as when inserting it).
listed AS (
    INSERT INTO {item} (nudge_id, engagement_id, reason, off_track_since)
    SELECT f.new_id, i.engagement_id, MIN(i.reason), MIN(i.off_track_since)
      FROM found f,
           unnest(f.engagement_ids, f.reasons, f.off_track_sinces)
               AS i (engagement_id, reason, off_track_since)
     WHERE f.new_id IS NOT NULL AND (SELECT placed FROM placed)
     GROUP BY f.new_id, i.engagement_id
    RETURNING 1
)
SELECT ARRAY(SELECT c.company_id FROM created c), ARRAY(SELECT c.role FROM created c),
       (SELECT count(*) FROM added) + (SELECT count(*) FROM listed),
       NOT (SELECT placed FROM placed), {analyzed_rows}
"""

# Items join only nudges still pending: one already handed to the mailer is never changed.
# Each eligible row finds its nudge through the nudges' unique key, once (`probed`, a
# subquery per row rather than a join, materialised): the nudges just written have no
# statistics yet, and PostgreSQL, believing the table empty, read them first and computed
# `eligible` again for each, or probed through the partial index of pending nudges (which a
# status condition here would let it pick) and read them all for each row. The status is read,
# not filtered on, so that only the unique key can serve the probe.
_INSERT_ITEMS_SQL = """,
probed AS MATERIALIZED (
    SELECT (SELECT CASE WHEN n.status = %(pending)s THEN n.id END FROM {nudge} n
             WHERE n.recipient_id = el.user_id AND n.role = el.role
               AND n.company_id = el.company_id AND n.day = el.day) AS nudge_id,
           el.engagement_id, el.reason, el.off_track_since
      FROM eligible el
)
INSERT INTO {item} (nudge_id, engagement_id, reason, off_track_since)
SELECT x.nudge_id, x.engagement_id, MIN(x.reason), MIN(x.off_track_since)
  FROM probed x
 WHERE x.nudge_id IS NOT NULL
 GROUP BY x.nudge_id, x.engagement_id
ON CONFLICT (nudge_id, engagement_id) DO NOTHING
"""


# An at-once flip (a session moved, an edit, a pause ending) joins the recipient's digest of
# the day while it is still pending; once that one is on its way it waits for the next day's,
# due at the evaluation hour: still one email per recipient, role and day, and the engagement
# in at most one of them per day (the item's unique key within a nudge, and the day's nudge).
_AT_ONCE_DAY = """
CASE WHEN EXISTS (SELECT 1 FROM {nudge} n0
                   WHERE n0.recipient_id = el.user_id AND n0.role = el.role
                     AND n0.company_id = %(company)s AND n0.day = %(day)s
                     AND n0.status <> %(pending)s)
     THEN {then} ELSE {otherwise} END
"""

_INSERT_AT_ONCE_NUDGES_SQL = """
INSERT INTO {nudge} (company_id, recipient_id, role, day, status, attempts, next_attempt_at,
                     message_id, last_error, created_at)
SELECT DISTINCT %(company)s, el.user_id, el.role, {day}, %(pending)s, 0, {attempt}, '', '',
       %(now)s
  FROM eligible el WHERE TRUE
ON CONFLICT (recipient_id, role, company_id, day) DO NOTHING
RETURNING role
"""

_INSERT_AT_ONCE_ITEMS_SQL = """
INSERT INTO {item} (nudge_id, engagement_id, reason, off_track_since)
SELECT n.id, el.engagement_id, el.reason, el.off_track_since
  FROM eligible el
  JOIN {nudge} n ON n.id = (
       SELECT n2.id FROM {nudge} n2
        WHERE n2.recipient_id = el.user_id AND n2.role = el.role
          AND n2.company_id = %(company)s AND n2.day IN (%(day)s, %(next_day)s)
          AND n2.status = %(pending)s
        ORDER BY n2.day LIMIT 1)
 WHERE NOT EXISTS (
       SELECT 1 FROM {item} i JOIN {nudge} n3 ON n3.id = i.nudge_id
        WHERE i.engagement_id = el.engagement_id AND n3.recipient_id = el.user_id
          AND n3.role = el.role AND n3.day = %(day)s)
ON CONFLICT (nudge_id, engagement_id) DO NOTHING
"""


# The choices the statements compare with, passed as parameters from their TextChoices, so that
# the SQL never spells a status of its own.
CHOICES = {
    "active": Engagement.Status.ACTIVE,
    "coach_matching": Engagement.Status.COACH_MATCHING,
    "off_track": Progress.OFF_TRACK,
    "on_track": Progress.ON_TRACK,
    "reason_off_track": NudgeItem.Reason.OFF_TRACK,
    "reason_reminder": NudgeItem.Reason.REMINDER,
    "reason_early_warning": NudgeItem.Reason.EARLY_WARNING,
    "role_early_warning": Role.EARLY_WARNING,
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
        "nudge_sequence": f"pg_get_serial_sequence('{Nudge._meta.db_table}', 'id')",
        # What the statistics know of the nudges (reltuples; -1 never analysed), returned
        # with the nudges written; SQLite keeps no such statistics.
        "analyzed_rows": (
            f"(SELECT reltuples FROM pg_class WHERE oid = '{Nudge._meta.db_table}'::regclass)"
            if connection.vendor == "postgresql" else "NULL"
        ),
        "days_off": (
            "(r.day - e.off_track_since)"
            if connection.vendor == "postgresql"
            else "CAST(julianday(r.day) - julianday(e.off_track_since) AS INTEGER)"
        ),
        "warn_on": (
            "e.goes_off_track_on - e.early_warning_days"
            if connection.vendor == "postgresql"
            else "date(e.goes_off_track_on, '-' || e.early_warning_days || ' days')"
        ),
    }


def runs_step(rows, name="runs"):
    """
    The `runs` step of _ELIGIBLE_SQL for `rows` [(run id or None, company id, day)]: its SQL
    and parameters (named after `name`), one array each on PostgreSQL, a VALUES list on SQLite
    (which has no arrays).
    """
    if connection.vendor == "postgresql":
        return (f"SELECT * FROM unnest(CAST(%({name}_run_ids)s AS bigint[]),"
                f" CAST(%({name}_company_ids)s AS bigint[]), CAST(%({name}_days)s AS date[]))",
                {f"{name}_run_ids": pg_array(run_id for run_id, _, _ in rows),
                 f"{name}_company_ids": pg_array(company_id for _, company_id, _ in rows),
                 f"{name}_days": pg_array(day for _, _, day in rows)})
    if not rows:
        return "SELECT NULL, NULL, NULL WHERE 0 = 1", {}
    params = {}
    for n, (run_id, company_id, day) in enumerate(rows):
        params.update({f"{name}_run_{n}": run_id, f"{name}_company_{n}": company_id,
                       f"{name}_day_{n}": day})
    values = ", ".join(f"(%({name}_run_{n})s, %({name}_company_{n})s, %({name}_day_{n})s)"
                       for n in range(len(rows)))
    return f"VALUES {values}", params


def build_outbox(run):
    """build_outbox_for_runs() of one run."""
    return build_outbox_for_runs([run])


def build_outbox_for_runs(runs):
    """
    Writes the nudges owed for `runs` (tracking.EvaluationRun, of the day's companies; the
    flips of those whose `transitions_count` is not 0) into the outbox, in the caller's
    transaction. One statement on PostgreSQL, whatever the number of runs, engagements or
    recipients (two when another transaction wrote one of the day's nudges meanwhile, and on
    SQLite). Returns the number of nudges created (0 on a re-run).
    """
    if not runs:
        return 0
    tables = _tables()
    rows = [(run.id, run.company_id, run.day) for run in runs]
    runs_sql, params = runs_step(rows)
    flipped_sql, flipped_params = runs_step(
        [row for row, run in zip(rows, runs, strict=True) if run.transitions_count],
        name="flipped")
    eligible = _ELIGIBLE_SQL.format(runs=runs_sql, flipped=flipped_sql,
                                    flips="t.run_id = r.run_id", **tables)
    params.update({"now": timezone.now(), "daily": True, **flipped_params, **CHOICES})
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(eligible + _INSERT_NUDGES_AND_ITEMS_SQL.format(**tables), params)
            companies, roles, items, unplaced, analyzed = cursor.fetchone()
            created = list(zip(companies, roles, strict=True))
        else:
            cursor.execute(eligible + _INSERT_NUDGES_SQL.format(**tables), params)
            created = cursor.fetchall()
            items, unplaced, analyzed = 0, True, None
        if unplaced:
            # The items find their nudges by the nudges' unique key; when this run wrote many
            # more than PostgreSQL's statistics know of (the day a young database's first big
            # flips come), its plan for that could read every nudge for each item (minutes at
            # 100,000): what autovacuum would do a minute later, done now, at its threshold.
            if analyzed is not None and len(created) > 50 + 0.1 * max(analyzed, 0):
                cursor.execute(f"ANALYZE {tables['nudge']}")
            cursor.execute(eligible + _INSERT_ITEMS_SQL.format(**tables), params)
            items += rowcount(cursor)
    metrics.nudges_queued([role for _, role in created])
    per_company = Counter(company_id for company_id, _ in created)
    for run in runs if per_company else ():
        if nudges := per_company.get(run.company_id):
            logger.info("outbox_built", extra={
                "company": run.company.slug, "day": run.day, "run": run.pk,
                "nudges": nudges})
    logger.info("outbox_run", extra={"runs": len(runs), "nudges": len(created), "items": items})
    return len(created)


def build_outbox_for_flip(transition, today, tz):
    """
    Writes the nudges owed for one at-once flip to Off Track (`transition`, found on the
    company-local day `today`; `tz` the company's timezone) in the caller's transaction. Two
    statements. Returns the number of nudges created.
    """
    tables = _tables()
    runs_sql, params = runs_step([(None, transition.company_id, today)])
    eligible = _ELIGIBLE_SQL.format(runs=runs_sql, flipped="SELECT * FROM runs",
                                    flips="t.id = %(transition)s", **tables)
    next_day = today + dt.timedelta(days=1)
    params |= {
        "transition": transition.pk, "company": transition.company_id, "day": today,
        "next_day": next_day, "now": timezone.now(), "daily": False, "run": None,
        "later": dt.datetime.combine(next_day, dt.time(settings.PROGRESS_EVALUATION_HOUR),
                                     tzinfo=tz).astimezone(dt.UTC),
        **CHOICES,
    }
    nudges = _INSERT_AT_ONCE_NUDGES_SQL.format(
        day=_AT_ONCE_DAY.format(then="%(next_day)s", otherwise="%(day)s", **tables),
        attempt=_AT_ONCE_DAY.format(then="%(later)s", otherwise="%(now)s", **tables),
        **tables)
    with connection.cursor() as cursor:
        cursor.execute(eligible + nudges, params)
        roles = [role for (role,) in cursor.fetchall()]
        cursor.execute(eligible + _INSERT_AT_ONCE_ITEMS_SQL.format(**tables), params)
        items = rowcount(cursor)
    metrics.nudges_queued(roles)
    logger.info("outbox_built_at_once", extra={
        "company": transition.company_id, "day": today, "transition": transition.pk,
        "nudges": len(roles), "items": items})
    return len(roles)


def hand_over_flips(limit=500):
    """
    The outbox step for flips to Off Track found at once (a session moved back to its real
    date, an edit, a pause ended early): the flip's transaction marked its transition
    `awaits_outbox`; here, in one transaction per batch, its nudges are written and the mark
    cleared, so each is nudged exactly once (SKIP LOCKED: two senders never take the same).
    The day is the company-local day the flip was found. Run before each sending (tasks.py).
    Returns the number of flips handed over.
    """
    with transaction.atomic():
        flips = list(
            ProgressTransition.objects.filter(awaits_outbox=True)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("company").order_by("pk")[:limit]
        )
        for flip in flips:
            build_outbox_for_flip(flip, flip.company.local_today(flip.created_at),
                                  flip.company.tzinfo)
        if flips:
            ProgressTransition.objects.filter(pk__in=[f.pk for f in flips]).update(
                awaits_outbox=False)
    return len(flips)


def on_progress_flipped(sender, transition, **kwargs):
    """Receiver of tracking's `progress_flipped`: wake the sender once the flip commits."""
    from notifications.tasks import enqueue_sender

    transaction.on_commit(enqueue_sender)


def on_evaluation_committing(sender, runs, **kwargs):
    """Receiver of tracking's `evaluation_committing`: the outbox, then the sender after commit."""
    from notifications.tasks import enqueue_sender

    if build_outbox_for_runs(runs):
        # After commit, so the worker sees the rows; if this enqueue is lost (the broker is
        # down), the periodic sender still finds them.
        transaction.on_commit(enqueue_sender)

