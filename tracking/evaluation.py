"""
Evaluating progress: of one engagement at once (when something that feeds the rules changes)
and of many at once (the daily job, backfills, seeding). Both apply the rules of
`tracking/rules.py`; `tests/tracking/test_equivalence.py` holds them to the same answers.

Status changes are conditional UPDATEs: a row is written only if it is still as it was read,
so two evaluations racing each other record each transition once (Healthchecks' sendalerts).
"""

from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import DateField, DateTimeField, Value
from django.utils import timezone

from accounts.models import Company
from engagements.models import (
    ACTIVE_STATUSES,
    CoachSelection,
    DiscoveryCall,
    Engagement,
    EventStatus,
    Pause,
    Progress,
    Session,
)
from optify.sql import pg_array
from tracking import rules
from tracking.models import EvaluationRun, ProgressDue, ProgressTransition
from tracking.signals import progress_flipped

Cause = ProgressTransition.Cause


def transition_day(old_progress, result, today):
    """
    A flip from On Track to Off Track happened on its off-track-since day; any other on the
    day noticed (a pause ending resumes an engagement already off track on the day it ends,
    not on its off-track-since day before the pause).
    """
    if old_progress == Progress.PAUSED:
        return today
    return result.off_track_since or today


# ---------------------------------------------------------------------------------------------
# One engagement


def _local_day(moment, tz):
    return timezone.localtime(moment, tz).date() if moment else None


def engagement_events_and_pauses(engagement, tz):
    """
    The events that count in the engagement's current phase (rules.Event) and its approved
    pauses (rules.Pause), in one query: a UNION of the two, told apart by their columns.
    """
    model = DiscoveryCall if engagement.status == Engagement.Status.COACH_MATCHING else Session
    no_day = Value(None, output_field=DateField())
    no_moment = Value(None, output_field=DateTimeField())
    # Unordered: SQLite refuses an ORDER BY (the models' default ordering) inside a UNION.
    events = model.objects.filter(engagement_id=engagement.pk).order_by().values_list(
        "starts_at", "status", "cancelled_at", no_day, no_day
    )
    pauses = Pause.objects.filter(
        engagement_id=engagement.pk, status=Pause.Status.APPROVED
    ).order_by().values_list(no_moment, "reason", no_moment, "starts_on", "ends_on")
    found_events, found_pauses = [], []
    for starts_at, status, cancelled_at, starts_on, ends_on in events.union(pauses, all=True):
        if starts_on is not None:
            found_pauses.append(rules.Pause(starts_on, ends_on, status))
        else:
            found_events.append(rules.Event(_local_day(starts_at, tz), status,
                                            _local_day(cancelled_at, tz)))
    return found_events, found_pauses


def engagement_events(engagement, tz):
    """The events that count in the engagement's current phase, as rules.Event values."""
    return engagement_events_and_pauses(engagement, tz)[0]


def compute_engagement(engagement, today):
    """The rules' Result for `engagement` on `today` (reads its events; writes nothing)."""
    if engagement.status not in ACTIVE_STATUSES:
        return rules.NOT_TRACKED
    tz = engagement.company.tzinfo
    selected_on = None
    if (engagement.kind == Engagement.Kind.COACH_MATCHING
            and engagement.status == Engagement.Status.ACTIVE):
        selected_on = (
            CoachSelection.objects.filter(engagement_id=engagement.pk)
            .values_list("selected_on", flat=True).first()
        )
    events, pauses = engagement_events_and_pauses(engagement, tz)
    return rules.evaluate(
        status=engagement.status, threshold_days=engagement.tracking_threshold_days,
        started_on=engagement.started_on, today=today, events=events, selected_on=selected_on,
        pauses=pauses,
    )


def evaluate_engagement(engagement, *, cause, today=None):
    """
    Evaluate `engagement` now and store its progress; record a ProgressTransition if its status
    changed. Call it at once, inside your transaction, after a session or discovery call is
    scheduled, moved, cancelled or completed, a coach selected, or the engagement launched or
    ended. `today` defaults to the company-local date. Returns the transition or None.

    Queries: the events of the current phase (plus the coach selection of a matched
    engagement), one conditional UPDATE; when it wrote, one INSERT of the due day on the daily
    run's agenda (tracking.ProgressDue); and one INSERT when the status changed.
    """
    if today is None:
        today = engagement.company.local_today()
    result = compute_engagement(engagement, today)
    values = {
        "progress": result.progress,
        "off_track_since": result.off_track_since,
        "last_activity_on": result.last_activity_on,
        "next_event_on": result.next_event_on,
        "progress_due_on": result.due_on,
        "goes_off_track_on": result.goes_off_track_on,
        "paused_until": result.paused_until,
    }
    row = Engagement.objects.filter(pk=engagement.pk)
    old = engagement.progress
    # Conditional on the status we believe is stored, and written only where a stored value
    # differs (the set-based evaluation's IS DISTINCT FROM; Django's exclude() is NULL-safe):
    # no row version, index entries or WAL for an evaluation that changes nothing. Nothing
    # written: either nothing differed (the status is still `old`) or a concurrent evaluation
    # changed the status first, and then we read the winner's and try again, so that the
    # transition has the right `from`.
    written = False
    for _ in range(3):
        if row.filter(progress=old).exclude(**values).update(**values,
                                                             progress_evaluated_on=today):
            written = True
            break
        stored = row.values_list("progress", flat=True).get()
        if stored == old:
            break
        old = stored
    else:  # pragma: no cover - three concurrent writers in a row
        raise RuntimeError(f"engagement {engagement.pk}: progress kept changing under us")
    for name, value in values.items():
        setattr(engagement, name, value)
    if written:
        engagement.progress_evaluated_on = today
        if result.due_on is not None:
            # Whether the due day itself changed is not known (the stored values are not read
            # back): the agenda ignores a day it already holds.
            ProgressDue.objects.bulk_create(
                [ProgressDue(day=result.due_on, company_id=engagement.company_id,
                             engagement_id=engagement.pk)], ignore_conflicts=True)
    if old == result.progress:
        return None
    # Every flip to Off Track is nudged: the daily run hands its own over in its transaction
    # (evaluation_committing); any other is marked for the outbox in this one.
    at_once_off = cause != Cause.DAILY and result.progress == Progress.OFF_TRACK
    transition = ProgressTransition.objects.create(
        engagement_id=engagement.pk, company_id=engagement.company_id, from_status=old,
        to_status=result.progress, day=transition_day(old, result, today), cause=cause,
        awaits_outbox=at_once_off,
    )
    if at_once_off:
        progress_flipped.send(sender=ProgressTransition, transition=transition)
    return transition


# ---------------------------------------------------------------------------------------------
# Many engagements, in one statement

# One statement evaluates every engagement in scope, writes the rows whose stored values
# changed, and records the transitions. The ORM cannot express UPDATE ... FROM a grouped
# subquery together with an INSERT of the changed rows, so it is raw SQL, kept readable in
# named steps. Each step but `scope` and `decided` is read once, so PostgreSQL inlines it and
# plans the whole with its real sizes (no CTE materialised with a guessed size in between).
# `OFFSET 0` after a step that computes what the next reads several times keeps PostgreSQL
# from copying the expression into every place that reads it (the status, for one, is read
# by a dozen others): each is computed once per row.
#   scope     the companies, the company-local "today" each is evaluated on, and its run
#             (joined to the companies table where it is read: a join inside it cost the
#             full evaluation its parallel workers);
#   consumed  the daily run only: its companies' rows of the agenda (tracking.ProgressDue) up
#             to their day, taken (deleted);
#   target    the engagements to evaluate (all of them, or only those due: on the agenda, and
#             their stored progress_due_on <= today), with what is stored of their progress
#             and the row version read (its ctid and xmin);
#   computed  per engagement, from its events in the current phase (discovery calls while
#             coach matching, sessions otherwise) dated in the company's timezone: latest
#             activity on or before today, next scheduled event after today, first day to come
#             that changes anything; and its approved pauses, as two arrays. Two shapes of the
#             same expressions: for all engagements, one hash aggregate over all events and one
#             over all approved pauses, joined by hash; for the few due ones, a LATERAL
#             aggregate per engagement through the (engagement_id, ...) indexes;
#   paused    for an engagement with approved pauses (only those: CASE evaluates the
#             subqueries for them alone): the one in force, the next, and the paused days that
#             push its off-track day back (rule 9);
#   ruled     the rules of DESIGN.md (same as tracking/rules.py): every stored column's new
#             value, and whether any differs from what is stored (IS DISTINCT FROM);
#   decided   what the rest reads twice (the counts, the UPDATE): the status of every row,
#             and the new values of the rows that changed only, so that it stays narrow;
#   updated   the conditional UPDATE of the rows where a stored value differs (an evaluation
#             that changes nothing writes nothing: no dead rows, no index entries, no WAL),
#             found by the ctid read (a TID scan, no second descent of the primary key),
#             and only that row version (xmin unchanged: a row updated since has another ctid
#             and xmin, and PostgreSQL's recheck of the newer version fails), so a concurrent
#             evaluate_engagement() wins and nothing is recorded twice. The day evaluated is
#             the same for every row of a run: it is stored once (tracking.EvaluationRun.day),
#             and `progress_evaluated_on` is the day a row's stored values were last written.
#             No written column is in an index but for the rare status flip, so most of
#             these writes are HOT (no index entries);
#   scheduled each new due day on the agenda;
#   inserted  one ProgressTransition per changed status, dated when it really happened.
# The result: one row per company (the runs' counts).
EVALUATE_SQL = """
WITH scope (company_id, today, run_id) AS NOT MATERIALIZED (
    SELECT * FROM unnest(CAST(%(company_ids)s AS bigint[]), CAST(%(days)s AS date[]),
                         CAST(%(run_ids)s AS bigint[]))
),{consume}
target AS (
    SELECT e.id, e.company_id, e.ctid AS seen_ctid, e.xmin AS seen_xmin, e.status,
           e.started_on, e.tracking_threshold_days AS threshold, s.today, c.timezone AS tz,
           CASE WHEN e.kind = %(kind_coach_matching)s AND e.status = %(active)s
                THEN cs.selected_on END AS selected_on,
           e.progress AS old_progress, e.off_track_since AS old_off_track_since,
           e.goes_off_track_on AS old_goes_off_track_on, e.paused_until AS old_paused_until,
           e.last_activity_on AS old_last_activity_on, e.next_event_on AS old_next_event_on,
           e.progress_due_on AS old_progress_due_on
    FROM {engagement} e
    JOIN scope s ON s.company_id = e.company_id
    JOIN {company} c ON c.id = e.company_id
    {selection_join}
    WHERE {due_filter}
),
{computed}
paused AS (
    -- An engagement's approved pauses (they never overlap), in order: whether one covers
    -- today, when the next starts, and how many paused days after the last activity push
    -- the off-track day back. A pause counts while the unpaused days between the last
    -- activity and its first day are still fewer than the threshold (tracking.rules.
    -- off_track_day); `counted` is the part of it after the last activity.
    SELECT c.*,
           CASE WHEN c.pause_starts IS NOT NULL THEN (
               SELECT max(u.f) FROM unnest(c.pause_starts, c.pause_ends) AS u (s, f)
               WHERE u.s <= c.today AND u.f >= c.today) END AS pause_ends_on,
           CASE WHEN c.pause_starts IS NOT NULL THEN (
               SELECT min(u.s) FROM unnest(c.pause_starts, c.pause_ends) AS u (s, f)
               WHERE u.s > c.today) END AS next_pause,
           CASE WHEN c.pause_starts IS NOT NULL THEN (
               SELECT sum(z.counted) FILTER (WHERE z.unpaused_before < c.threshold)::int
               FROM (
                   SELECT y.counted,
                          y.first_day - c.last_activity - 1
                          - COALESCE(sum(y.counted) OVER (
                                ORDER BY y.s ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
                            0) AS unpaused_before
                   FROM (
                       SELECT u.s, GREATEST(u.s, c.last_activity + 1) AS first_day,
                              CASE WHEN u.f > c.last_activity
                                   THEN u.f - GREATEST(u.s, c.last_activity + 1) + 1
                                   ELSE 0 END AS counted
                       FROM unnest(c.pause_starts, c.pause_ends) AS u (s, f)
                   ) y
               ) z) END AS skipped
    FROM computed c OFFSET 0
),
ruled AS (
    SELECT v.*,
           (v.old_progress, v.old_off_track_since, v.old_goes_off_track_on,
            v.old_paused_until, v.old_last_activity_on, v.old_next_event_on,
            v.old_progress_due_on)
           IS DISTINCT FROM (v.progress, v.off_track_since, v.goes_off_track_on,
                             v.paused_until, v.last_activity_on, v.next_event_on,
                             v.progress_due_on) AS differs
    FROM (
        SELECT r.id, r.company_id, r.seen_ctid, r.seen_xmin, r.today, r.old_progress, r.progress,
               r.old_off_track_since, r.old_goes_off_track_on, r.old_paused_until,
               r.old_last_activity_on, r.old_next_event_on, r.old_progress_due_on,
               CASE WHEN r.progress = %(off_track)s THEN r.off_on END AS off_track_since,
               CASE WHEN r.progress = %(on_track)s AND r.next_event IS NULL
                    THEN r.off_on END AS goes_off_track_on,
               CASE WHEN r.progress = %(paused)s THEN r.pause_ends_on END AS paused_until,
               CASE WHEN r.status IN (%(active)s, %(coach_matching)s)
                    THEN r.last_activity END AS last_activity_on,
               CASE WHEN r.status IN (%(active)s, %(coach_matching)s)
                    THEN r.next_event END AS next_event_on,
               CASE WHEN r.status NOT IN (%(active)s, %(coach_matching)s) THEN NULL
                    WHEN r.progress = %(not_tracked)s THEN r.changes_on
                    ELSE LEAST(r.changes_on, r.next_pause, r.pause_ends_on + 1,
                               CASE WHEN r.progress = %(on_track)s AND r.next_event IS NULL
                                    THEN r.off_on END) END AS progress_due_on
        FROM (
            SELECT p.*, p.last_activity + p.threshold + COALESCE(p.skipped, 0) AS off_on,
                   CASE WHEN p.status NOT IN (%(active)s, %(coach_matching)s)
                             OR p.threshold IS NULL OR p.started_on > p.today
                            THEN %(not_tracked)s
                        WHEN p.pause_ends_on IS NOT NULL
                            THEN %(paused)s
                        WHEN p.next_event IS NOT NULL OR p.last_activity IS NULL
                             OR p.today < p.last_activity + p.threshold + COALESCE(p.skipped, 0)
                            THEN %(on_track)s
                        ELSE %(off_track)s
                   END AS progress
            FROM paused p OFFSET 0
        ) r
        OFFSET 0
    ) v
    OFFSET 0
),
{decided}
updated AS (
    UPDATE {engagement} e SET
        progress = d.progress,
        off_track_since = d.off_track_since,
        goes_off_track_on = d.goes_off_track_on,
        paused_until = d.paused_until,
        last_activity_on = d.last_activity_on,
        next_event_on = d.next_event_on,
        progress_due_on = d.progress_due_on,
        progress_evaluated_on = d.today
    FROM decided d
    WHERE d.differs AND e.ctid = d.seen_ctid AND e.xmin = d.seen_xmin AND e.id = d.id
    RETURNING e.id, e.company_id, d.old_progress, e.progress, e.off_track_since, d.today,
              e.progress_due_on, d.old_progress_due_on
),
scheduled AS (
    -- The daily run's agenda (tracking.ProgressDue): each new due day written.
    INSERT INTO {due} (day, company_id, engagement_id)
    SELECT u.progress_due_on, u.company_id, u.id FROM updated u
    WHERE u.progress_due_on IS NOT NULL
      AND u.progress_due_on IS DISTINCT FROM u.old_progress_due_on
    ON CONFLICT DO NOTHING
),
written AS (
    SELECT company_id, count(*) AS rows,
           count(*) FILTER (WHERE progress <> old_progress) AS transitions
    FROM updated GROUP BY company_id
),
evaluated AS (
    SELECT company_id,
           count(*) FILTER (WHERE progress = %(on_track)s) AS on_track,
           count(*) FILTER (WHERE progress = %(off_track)s) AS off_track,
           count(*) FILTER (WHERE progress = %(paused)s) AS paused,
           count(*) FILTER (WHERE progress = %(not_tracked)s) AS not_tracked
    FROM decided GROUP BY company_id
),{runs}
inserted AS (
    INSERT INTO {transition}
        (engagement_id, company_id, from_status, to_status, day, cause, run_id, created_at)
    SELECT u.id, u.company_id, u.old_progress, u.progress,
           CASE WHEN u.old_progress = %(paused)s THEN u.today
                ELSE COALESCE(u.off_track_since, u.today) END,
           %(cause)s, s.{run_id}, now()
    FROM updated u JOIN {run_source} s ON s.company_id = u.company_id
    WHERE u.progress <> u.old_progress
)
{result}
"""

# What `decided` holds, from `ruled`.
DECIDED_SELECT = """
    SELECT w.company_id, w.progress, w.differs,
           CASE WHEN w.differs THEN w.id END AS id,
           CASE WHEN w.differs THEN w.seen_ctid END AS seen_ctid,
           CASE WHEN w.differs THEN w.seen_xmin END AS seen_xmin,
           CASE WHEN w.differs THEN w.today END AS today,
           CASE WHEN w.differs THEN w.old_progress END AS old_progress,
           CASE WHEN w.differs THEN w.off_track_since END AS off_track_since,
           CASE WHEN w.differs THEN w.goes_off_track_on END AS goes_off_track_on,
           CASE WHEN w.differs THEN w.paused_until END AS paused_until,
           CASE WHEN w.differs THEN w.last_activity_on END AS last_activity_on,
           CASE WHEN w.differs THEN w.next_event_on END AS next_event_on,
           CASE WHEN w.differs THEN w.progress_due_on END AS progress_due_on,
           CASE WHEN w.differs THEN w.old_progress_due_on END AS old_progress_due_on
    FROM ruled w
"""
# The full evaluation reads and decides in a statement of its own, which writes nothing, so
# that PostgreSQL may share its joins and aggregates among parallel workers (it never does
# for a statement that writes); what it decides is kept in a temporary table that the writing
# statement reads.
DECIDED_TABLE = "tracking_evaluation_decided"

# The result without runs: one row per company with rows evaluated.
COUNTS_RESULT = """
SELECT v.company_id, v.on_track, v.off_track, v.paused, v.not_tracked,
       COALESCE(w.transitions, 0), COALESCE(w.rows, 0), NULL, NULL, NULL
FROM evaluated v LEFT JOIN written w ON w.company_id = v.company_id
"""
# The daily run: the statement records every company's EvaluationRun itself, with its counts
# (no INSERT before and UPDATE after, which cost a round trip and a write per company), and
# the transitions point at them (foreign keys are checked at the end of the statement).
RUNS = """
runs AS (
    INSERT INTO {run} (company_id, day, started_at, finished_at, duration_ms, evaluated,
                       on_track, off_track, paused, not_tracked, transitions_count)
    -- Finished: the run's start (the application's clock, as every other time it stores)
    -- plus what this statement has taken so far.
    SELECT s.company_id, s.today, %(started_at)s,
           %(started_at)s + (clock_timestamp() - statement_timestamp()),
           (extract(epoch FROM clock_timestamp() - statement_timestamp()) * 1000)::int,
           COALESCE(v.on_track + v.off_track + v.paused + v.not_tracked, 0),
           COALESCE(v.on_track, 0), COALESCE(v.off_track, 0), COALESCE(v.paused, 0),
           COALESCE(v.not_tracked, 0), COALESCE(w.transitions, 0)
    FROM scope s
    JOIN {company} c ON c.id = s.company_id
    LEFT JOIN evaluated v ON v.company_id = s.company_id
    LEFT JOIN written w ON w.company_id = s.company_id
    RETURNING id, company_id, on_track, off_track, paused, not_tracked, transitions_count,
              finished_at, duration_ms
),"""
RUNS_RESULT = """
SELECT r.company_id, r.on_track, r.off_track, r.paused, r.not_tracked, r.transitions_count,
       COALESCE(w.rows, 0), r.id, r.finished_at, r.duration_ms
FROM runs r LEFT JOIN written w ON w.company_id = r.company_id
"""

# What `computed` reads from an engagement's events `x` (dated in its timezone, as of
# x.today): latest activity, next scheduled event, first event day still to come.
EVENT_AGGREGATES = """
    max(CASE WHEN x.day <= x.today THEN x.day
             WHEN x.status = %(event_cancelled)s AND x.cancelled_day <= x.today THEN x.cancelled_day
        END) AS last_event,
    min(x.day) FILTER (WHERE x.status = %(event_scheduled)s AND x.day > x.today) AS next_event,
    min(x.day) FILTER (WHERE x.day > x.today) AS future_day
"""
PAUSE_AGGREGATES = """
    array_agg(p.starts_on ORDER BY p.starts_on) AS pause_starts,
    array_agg(p.ends_on ORDER BY p.starts_on) AS pause_ends
"""
COMPUTED_COLUMNS = """
    t.*, a.next_event, pz.pause_starts, pz.pause_ends,
    GREATEST(CASE WHEN t.started_on <= t.today THEN t.started_on END,
             CASE WHEN t.selected_on <= t.today THEN t.selected_on END,
             a.last_event) AS last_activity,
    LEAST(CASE WHEN t.started_on > t.today THEN t.started_on END,
          CASE WHEN t.selected_on > t.today THEN t.selected_on END,
          a.future_day) AS changes_on
"""
# Every engagement: all events joined to their engagements and aggregated (hash), the same
# for the approved pauses. The events' side reads the tables themselves rather than
# `target`, so that the planner sees their sizes and `target` stays inlined.
COMPUTED_ALL = """
agg AS (
    -- Each phase aggregated apart, grouped by the engagement's own id, whose statistics
    -- give the planner the number of groups (a GROUP BY over a UNION has none, and it
    -- guessed 200 for 800,000); an engagement is in one phase, so the two never overlap.
    SELECT x.id, {event_aggregates}
    FROM (
        SELECT e.id, sc.today, s.status, (s.starts_at AT TIME ZONE c.timezone)::date AS day,
               (s.cancelled_at AT TIME ZONE c.timezone)::date AS cancelled_day
        FROM {session} s
        JOIN {engagement} e ON e.id = s.engagement_id AND e.status = %(active)s
        JOIN scope sc ON sc.company_id = e.company_id
        JOIN {company} c ON c.id = e.company_id
    ) x
    GROUP BY x.id
    UNION ALL
    SELECT x.id, {event_aggregates}
    FROM (
        SELECT e.id, sc.today, d.status, (d.starts_at AT TIME ZONE c.timezone)::date AS day,
               (d.cancelled_at AT TIME ZONE c.timezone)::date AS cancelled_day
        FROM {call} d
        JOIN {engagement} e ON e.id = d.engagement_id AND e.status = %(coach_matching)s
        JOIN scope sc ON sc.company_id = e.company_id
        JOIN {company} c ON c.id = e.company_id
    ) x
    GROUP BY x.id
),
pz AS (
    SELECT p.engagement_id AS id, {pause_aggregates}
    FROM {pause} p WHERE p.status = %(pause_approved)s
    GROUP BY p.engagement_id
),
computed AS (
    SELECT {computed_columns}
    FROM target t LEFT JOIN agg a ON a.id = t.id LEFT JOIN pz ON pz.id = t.id
),"""
# The few due: one small aggregate per engagement, through the event and pause indexes.
COMPUTED_DUE = """
computed AS (
    SELECT {computed_columns}
    FROM target t CROSS JOIN LATERAL (
        SELECT {event_aggregates}
        FROM (
            SELECT t.today, s.status, (s.starts_at AT TIME ZONE t.tz)::date AS day,
                   (s.cancelled_at AT TIME ZONE t.tz)::date AS cancelled_day
            FROM {session} s WHERE s.engagement_id = t.id AND t.status = %(active)s
            UNION ALL
            SELECT t.today, d.status, (d.starts_at AT TIME ZONE t.tz)::date,
                   (d.cancelled_at AT TIME ZONE t.tz)::date
            FROM {call} d WHERE d.engagement_id = t.id AND t.status = %(coach_matching)s
        ) x
    ) a CROSS JOIN LATERAL (
        SELECT {pause_aggregates}
        FROM {pause} p WHERE p.engagement_id = t.id AND p.status = %(pause_approved)s
    ) pz
),"""

# A coach-matching engagement's selection day (activity once it is active), in two shapes:
# for all engagements a hash join; for the few due ones a lookup made only for the rows it
# counts for (the lateral's condition on `e` alone is a one-time filter: no index probe for
# the others; OFFSET 0 keeps PostgreSQL from flattening it into a plain join, which probes
# for every row).
SELECTION_ALL = "LEFT JOIN {selection} cs ON cs.engagement_id = e.id"
SELECTION_DUE = """LEFT JOIN LATERAL (
        SELECT cs.selected_on FROM {selection} cs
        WHERE cs.engagement_id = e.id
          AND e.kind = %(kind_coach_matching)s AND e.status = %(active)s
        OFFSET 0
    ) cs ON true"""

# work_mem for the statement: the full evaluation's event aggregate holds a group per
# engagement (it spilled 134 MB to disk at 1,000,000 with PostgreSQL's default 4 MB).
FULL_WORK_MEM = "256MB"
DUE_WORK_MEM = "16MB"

ALL_ROWS = "true"
# Only what time alone can have changed: the daily run takes its companies' rows of the agenda
# (tracking.ProgressDue) up to each one's day, read as one range of its primary key up to the
# latest of the days, and evaluates the running engagements among them whose stored due day
# has come (a row made stale by a later evaluation is dropped, its engagement not read again).
CONSUME_DUE = """
consumed AS (
    DELETE FROM {due} q USING scope s
    WHERE q.day <= %(max_day)s AND q.company_id = s.company_id AND q.day <= s.today
    RETURNING q.engagement_id
),"""
DUE_ROWS = ("e.id IN (SELECT q.engagement_id FROM consumed q)"
            " AND e.status IN (%(active)s, %(coach_matching)s)"
            " AND e.progress_due_on <= s.today")


# The choices the statements compare with and write, passed as parameters from their
# TextChoices (as notifications.outbox does), so that the SQL never spells a status of its own.
# Django's psycopg binds them on the client, so PostgreSQL still sees the constants that
# match the partial index eng_progress_due's predicate.
CHOICES = {
    "active": Engagement.Status.ACTIVE,
    "coach_matching": Engagement.Status.COACH_MATCHING,
    "kind_coach_matching": Engagement.Kind.COACH_MATCHING,
    "on_track": Progress.ON_TRACK,
    "off_track": Progress.OFF_TRACK,
    "paused": Progress.PAUSED,
    "not_tracked": Progress.NOT_TRACKED,
    "event_scheduled": EventStatus.SCHEDULED,
    "event_cancelled": EventStatus.CANCELLED,
    "pause_approved": Pause.Status.APPROVED,
}
CHOICES = {name: str(value) for name, value in CHOICES.items()}


DECIDED_MARK = "-- decided --"


def _sql(due_filter, record_runs=False):
    """
    EVALUATE_SQL with its parts in place, as a list of statements: one for the due rows; two
    for all rows (reading and deciding into DECIDED_TABLE, then writing from it). One
    formatting pass per template, all from one set of names: each text is formatted exactly
    once, so none needs braces escaped for later.
    """
    names = {
        "engagement": Engagement._meta.db_table, "company": Company._meta.db_table,
        "selection": CoachSelection._meta.db_table, "session": Session._meta.db_table,
        "call": DiscoveryCall._meta.db_table, "transition": ProgressTransition._meta.db_table,
        "pause": Pause._meta.db_table, "due_filter": due_filter,
        "event_aggregates": EVENT_AGGREGATES, "computed_columns": COMPUTED_COLUMNS,
        "pause_aggregates": PAUSE_AGGREGATES, "run": EvaluationRun._meta.db_table,
        "due": ProgressDue._meta.db_table,
    }
    computed = COMPUTED_ALL if due_filter == ALL_ROWS else COMPUTED_DUE
    selection = SELECTION_ALL if due_filter == ALL_ROWS else SELECTION_DUE
    names["selection_join"] = selection.format(**names)
    sql = EVALUATE_SQL.format(
        computed=computed.format(**names), decided=DECIDED_MARK,
        consume="" if due_filter == ALL_ROWS else CONSUME_DUE.format(**names),
        result=RUNS_RESULT if record_runs else COUNTS_RESULT,
        runs=RUNS.format(**names) if record_runs else "",
        run_source="runs" if record_runs else "scope",
        run_id="id" if record_runs else "run_id", **names)
    read, write = sql.split(DECIDED_MARK)
    if due_filter != ALL_ROWS:
        return [f"{read}decided AS ({DECIDED_SELECT}),{write}"]
    scope = read[:read.index("target AS (")]
    return [
        f"CREATE TEMPORARY TABLE {DECIDED_TABLE} ON COMMIT DROP AS "
        f"{read.rstrip().rstrip(',')}{DECIDED_SELECT}",
        f"{scope}decided AS NOT MATERIALIZED (SELECT * FROM {DECIDED_TABLE}),{write}",
        f"DROP TABLE {DECIDED_TABLE}",
    ]


@dataclass
class Counts:
    """
    What one set-based evaluation found: statuses of the rows evaluated, transitions, and how
    many rows it wrote (only those where a stored value changed).
    """

    on_track: int = 0
    off_track: int = 0
    not_tracked: int = 0
    transitions: int = 0
    paused: int = 0
    written: int = 0

    @property
    def evaluated(self):
        return self.on_track + self.off_track + self.paused + self.not_tracked

    def __add__(self, other):
        return Counts(*(getattr(self, f) + getattr(other, f) for f in COUNT_FIELDS))


COUNT_FIELDS = ("on_track", "off_track", "not_tracked", "transitions", "paused", "written")


def evaluate_many(days_by_company, *, cause, only_due=False, run=None, runs=None):
    """
    Evaluate the engagements of several companies in one statement. `days_by_company` maps
    company id -> the company-local date to evaluate on. With `only_due`, only engagements
    whose stored due day has come (the daily job); otherwise all of them. Transitions are
    recorded with `cause` and linked to their company's run: `runs` maps company id ->
    EvaluationRun (`run` is the one run of a single company). Returns the total Counts; with
    `runs`, see evaluate_many_by_company for the counts of each.
    """
    by_company = evaluate_many_by_company(days_by_company, cause=cause, only_due=only_due,
                                          run=run, runs=runs)
    return sum(by_company.values(), Counts())


def evaluate_many_by_company(days_by_company, *, cause, only_due=False, run=None, runs=None):
    """evaluate_many(), returning {company id: Counts} of the companies with rows evaluated."""
    if not days_by_company:
        return {}
    if run is not None:
        runs = {run.company_id: run}
    runs = runs or {}
    if connection.vendor != "postgresql":
        return {
            company_id: _evaluate_many_one_by_one({company_id: day}, cause=cause,
                                                  only_due=only_due, run=runs.get(company_id))
            for company_id, day in days_by_company.items()
        }
    rows = _execute(days_by_company, cause=cause, only_due=only_due,
                    run_ids=[runs[pk].pk if pk in runs else None for pk in days_by_company])
    return {row[0]: _counts(row) for row in rows}


def evaluate_due_recording_runs(days_by_company, *, started_at):
    """
    The daily run's statement (PostgreSQL): the due engagements of every company in
    `days_by_company` evaluated, and one EvaluationRun recorded per company with its counts,
    by the statement itself. Returns the runs (saved), in no particular order.
    """
    rows = _execute(days_by_company, cause=Cause.DAILY, only_due=True,
                    run_ids=[None] * len(days_by_company), started_at=started_at)
    # As loaded from the database (from_db, every field in the model's order: a fraction of the
    # keyword constructor's cost, which counts with thousands of companies).
    names = [field.attname for field in EvaluationRun._meta.concrete_fields]
    runs = []
    for row in rows:
        company_id, *_, run_id, finished_at, duration_ms = row
        counts = _counts(row)
        values = {
            "id": run_id, "company_id": company_id, "day": days_by_company[company_id],
            "started_at": started_at, "finished_at": finished_at, "duration_ms": duration_ms,
            "evaluated": counts.evaluated, "on_track": counts.on_track,
            "off_track": counts.off_track, "paused": counts.paused,
            "not_tracked": counts.not_tracked, "transitions_count": counts.transitions,
        }
        runs.append(EvaluationRun.from_db(connection.alias, names,
                                          [values[name] for name in names]))
    return runs


def _counts(row):
    _company_id, on, off, paused, not_tracked, transitions, written = row[:7]
    return Counts(on_track=on, off_track=off, paused=paused, not_tracked=not_tracked,
                  transitions=transitions, written=written)


def _params(days_by_company, *, cause, run_ids, started_at=None):
    """The parameters of the statements of _sql()."""
    company_ids = list(days_by_company)
    return {
        "company_ids": pg_array(company_ids),
        "days": pg_array(days_by_company[pk] for pk in company_ids),
        "run_ids": pg_array(run_ids),
        "max_day": max(days_by_company.values()),
        "cause": cause,
        "started_at": started_at,
        **CHOICES,
    }


def _execute(days_by_company, *, cause, only_due, run_ids, started_at=None):
    params = _params(days_by_company, cause=cause, run_ids=run_ids, started_at=started_at)
    # For this transaction (the statement's own when the caller has none): no JIT, whose
    # compilation of this statement's expressions costs more than it saves (seconds, for a
    # daily run that takes milliseconds); and for a full evaluation the memory for its hash
    # aggregates and `decided` to stay off disk (~100 bytes per engagement at most).
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('jit', 'off', true), set_config('work_mem', %s, true)",
                       [DUE_WORK_MEM if only_due else FULL_WORK_MEM])
        rows = []
        for statement in _sql(DUE_ROWS if only_due else ALL_ROWS,
                              record_runs=started_at is not None):
            cursor.execute(statement, params)
            if cursor.description:
                rows = cursor.fetchall()
        return rows


def _evaluate_many_one_by_one(days_by_company, *, cause, only_due, run):
    """
    The embedded SQLite default only (a demo's few rows): EVALUATE_SQL is PostgreSQL, so
    there the engagements are evaluated one at a time with the same rules.
    """
    counts = Counts()
    for company_id, day in days_by_company.items():
        engagements = Engagement.objects.filter(company_id=company_id).select_related("company")
        if only_due:
            engagements = engagements.filter(status__in=ACTIVE_STATUSES,
                                              progress_due_on__lte=day)
            ProgressDue.objects.filter(company_id=company_id, day__lte=day).delete()
        for engagement in engagements.iterator():
            evaluated_on = engagement.progress_evaluated_on
            transition = evaluate_engagement(engagement, cause=cause, today=day)
            if engagement.progress_evaluated_on != evaluated_on:
                counts.written += 1
            if transition:
                counts.transitions += 1
                if run:
                    transition.run = run
                    transition.save(update_fields=["run"])
            field_name = engagement.progress
            setattr(counts, field_name, getattr(counts, field_name) + 1)
    return counts


def rebuild_due_agenda():
    """
    The daily run's agenda (tracking.ProgressDue) made anew from the engagements' stored due
    days: for databases written around the evaluations (bench/seed.py copies rows in SQL).
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {ProgressDue._meta.db_table}")
        cursor.execute(
            f"INSERT INTO {ProgressDue._meta.db_table} (day, company_id, engagement_id)"
            f" SELECT progress_due_on, company_id, id FROM {Engagement._meta.db_table}"
            " WHERE status IN (%(active)s, %(coach_matching)s) AND progress_due_on IS NOT NULL",
            CHOICES)


def local_days(companies, now=None):
    """{company id: company-local date} at the instant `now`."""
    now = now or timezone.now()
    return {company.pk: company.local_today(now) for company in companies}


def evaluate_companies(today=None, *, companies=None, cause=Cause.MANUAL, only_due=False):
    """
    Evaluate every engagement of `companies` (default: all) on `today` (a date applied to
    every company, or None for each company's own local date). For seeding and backfills;
    returns Counts. The daily job uses tracking.jobs.run_daily_evaluation instead.
    """
    if companies is None:
        companies = Company.objects.only("pk", "timezone")
    days = local_days(companies) if today is None else {company.pk: today for company in companies}
    with transaction.atomic():
        return evaluate_many(days, cause=cause, only_due=only_due)
