"""
The weekly programme digest (DESIGN.md "Nudges"): on Monday at 08:00 in the company's
timezone, each administrator — global: their company; location: their locations — gets the
state of what they administer: On / Off / Paused, newly off track last week, back on track,
the ten longest off track, those going off track within 7 days, each with a link into the
filtered Report. Not sent to an administrator with nothing tracked; its own switch
("weekly_digest" role); exactly once per administrator and week.

Exactly once the same way as the nudges: the digest is a row of the outbox (`Nudge`, role
"weekly_digest", day = the Monday), unique per (recipient, role, company, day), written with
ON CONFLICT DO NOTHING by every hourly tick of that Monday after 08:00, so a re-run, two
workers or a killed one add nothing; the sender composes it from the data when it sends it
and retries it like any nudge.

Building is one statement for every due company (build_weekly_digests); composing one
digest is one query (summary), whatever the number of engagements (docs/benchmarks.md).
"""

import datetime as dt
from collections import Counter, defaultdict
from typing import NamedTuple
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import Company, Location
from engagements.models import ACTIVE_STATUSES, Engagement, Progress
from engagements.visibility import ROLES_MANAGING, by_progress, sees_progress_sql
from notifications.emails import build_email
from notifications.models import Nudge, NudgePreference, Role
from optify.links import url_pattern
from tracking.models import ProgressTransition

WEEKLY_HOUR = 8
TRACKED = (Progress.ON_TRACK, Progress.OFF_TRACK, Progress.PAUSED)


def monday_due(company, now):
    """The company-local Monday whose digest is due at `now` (from 08:00), or None."""
    local = timezone.localtime(now, company.tzinfo)
    if local.weekday() == 0 and local.hour >= WEEKLY_HOUR:
        return local.date()
    return None


def administered(user):
    """The rows `user` administers (with progress visible), or an empty queryset."""
    part = by_progress(user).parts(Engagement.objects.all()).administered
    return part if part is not None else Engagement.objects.none()


# A week's digests for some companies, in one statement: their administrators with something
# tracked. Who manages an engagement is the gate's own rule for a user column
# (`sees_progress_sql` with ROLES_MANAGING: a global administrator their company's rows, a
# location administrator their locations'), as the outbox writes the off-track nudges. The
# EXISTS is asked per administrator and stops at the first tracked row it finds: its OFFSET 0
# keeps PostgreSQL from turning it into a semi-join, which hashed every engagement of every
# company (0.4 s at 1,000,000; this way 0.1 s). ON CONFLICT DO NOTHING against
# nudge_once_a_day makes a re-run of the same Monday add nothing; RETURNING says what is new.
# The administrators are found first, from user_company_global_admin and the locations
# administered, so that the lookup in the engagements runs for each of them (an index range,
# eng_company_status_prog) and the company's coachees are never read.
_BUILD_SQL = """
INSERT INTO {nudge} (company_id, recipient_id, role, day, status, attempts, next_attempt_at,
                     message_id, last_error, created_at)
SELECT u.company_id, u.id, %(role)s, %(monday)s, %(pending)s, 0, %(now)s, '', '', %(now)s
  FROM {user} u
 WHERE u.id IN (SELECT g.id FROM {user} g
                 WHERE g.company_id IN ({companies}) AND g.is_global_admin
                UNION
                SELECT al.user_id FROM {admin_locations} al
                  JOIN {location} l ON l.id = al.location_id
                 WHERE l.company_id IN ({companies}))
   AND u.company_id IN ({companies}) AND u.is_active
   AND NOT EXISTS (SELECT 1 FROM {preference} p
                    WHERE p.user_id = u.id AND p.role = %(role)s AND NOT p.enabled)
   AND EXISTS (SELECT 1 FROM {engagement} e
                WHERE e.company_id = u.company_id
                  AND e.status IN (%(active)s, %(coach_matching)s)
                  AND e.progress IN (%(on_track)s, %(off_track)s, %(paused)s)
                  AND {manages}
                LIMIT 1 OFFSET 0)
ON CONFLICT (recipient_id, role, company_id, day) DO NOTHING
RETURNING company_id
"""


def build_weekly_digests(companies, monday, now=None):
    """
    The digests of `companies`' administrators for `monday` into the outbox (in the caller's
    transaction): one per administrator with something tracked, in one statement whatever
    the number of companies, administrators and engagements. Returns {company id: new}.
    """
    now = now or timezone.now()
    sql = _BUILD_SQL.format(
        nudge=Nudge._meta.db_table, user=get_user_model()._meta.db_table,
        preference=NudgePreference._meta.db_table, engagement=Engagement._meta.db_table,
        manages=sees_progress_sql("e", "u", roles=ROLES_MANAGING),
        admin_locations=get_user_model().administered_locations.through._meta.db_table,
        location=Location._meta.db_table,
        companies=", ".join(str(int(company.pk)) for company in companies))
    active, coach_matching = ACTIVE_STATUSES
    params = {"role": str(Role.WEEKLY_DIGEST), "pending": str(Nudge.Status.PENDING),
              "monday": monday, "now": now, "active": active, "coach_matching": coach_matching,
              "on_track": str(Progress.ON_TRACK), "off_track": str(Progress.OFF_TRACK),
              "paused": str(Progress.PAUSED)}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return Counter(company_id for (company_id,) in cursor.fetchall())


def build_due_weekly_digests(now=None):
    """Every company whose Monday 08:00 has come: its digests (idempotent). {slug: new}."""
    now = now or timezone.now()
    by_monday = defaultdict(list)  # one Monday at any moment, in practice: one statement
    for company in Company.objects.only("pk", "slug", "timezone"):
        monday = monday_due(company, now)
        if monday is not None:
            by_monday[monday].append(company)
    built = {}
    for monday, companies in by_monday.items():
        new = build_weekly_digests(companies, monday, now)
        built.update({company.slug: new.get(company.pk, 0) for company in companies})
    return built


def report_link(report, **params):
    query = urlencode(params, doseq=True)
    return report + (f"?{query}" if query else "")


class Listed(NamedTuple):
    """
    An engagement as a digest lists it: its coachee's name and the day its list is ordered by
    (off track since, or goes off track on), which the templates read under either name.
    """

    pk: int
    coachee: str
    day: dt.date

    @property
    def off_track_since(self):
        return self.day

    @property
    def goes_off_track_on(self):
        return self.day


LIST_LENGTH = 10

# Everything a digest says in one statement, over `scope`, the rows the gate gives its
# administrator (administered(user), compiled by the ORM), read once: the counts by progress,
# the three lists (the first LIST_LENGTH of each and its length) and the engagements back on
# track: the company's flips of the week (transition_company_day, index only) matched to
# `scope` by a hash, not by a lookup of each row of `scope` in the flips. One pass over the
# company's rows instead of one per figure: at 1,000,000 engagements those ~2,000 rows lie on
# ~2,000 pages, and reading them was the digest's cost (docs/benchmarks.md).
_SUMMARY_SQL = """
WITH scope (id, progress, off_track_since, goes_off_track_on, coachee_id) AS MATERIALIZED (
     {scope}),
back_on AS MATERIALIZED (
     SELECT t.engagement_id FROM {transition} t
      WHERE t.company_id = %s AND t.day >= %s AND t.day <= %s
        AND t.from_status = %s AND t.to_status = %s),
listed AS (
     SELECT 'newly_off' AS list, id, coachee_id, off_track_since AS day FROM scope
      WHERE progress = %s AND off_track_since >= %s AND off_track_since <= %s
     UNION ALL
     SELECT 'longest', id, coachee_id, off_track_since FROM scope
      WHERE progress = %s AND off_track_since IS NOT NULL
     UNION ALL
     SELECT 'soon', id, coachee_id, goes_off_track_on FROM scope
      WHERE progress = %s AND goes_off_track_on >= %s AND goes_off_track_on <= %s),
ranked AS (
     SELECT list, id, coachee_id, day,
            ROW_NUMBER() OVER (PARTITION BY list ORDER BY day, id) AS position,
            COUNT(*) OVER (PARTITION BY list) AS n
       FROM listed)
SELECT r.list, r.id, COALESCE(NULLIF(u.full_name, ''), u.email), r.day, r.n, r.position
  FROM ranked r JOIN {user} u ON u.id = r.coachee_id
 WHERE r.position <= %s
UNION ALL
SELECT progress, NULL, NULL, NULL, COUNT(*), 0 FROM scope GROUP BY progress
UNION ALL
SELECT 'back_on', NULL, NULL, NULL, COUNT(DISTINCT f.engagement_id), 0
  FROM back_on f JOIN scope s ON s.id = f.engagement_id
"""


def summary(user, company, monday):
    """
    What the digest says, read through the gate as `user` sees it, in one query whatever the
    number of engagements. None when `user` has nothing tracked.
    """
    rows = administered(user).filter(company=company, status__in=ACTIVE_STATUSES)
    try:
        scope, scope_params = rows.order_by().values_list(
            "pk", "progress", "off_track_since", "goes_off_track_on", "coachee_id",
        ).query.sql_with_params()
    except EmptyResultSet:  # they administer nothing at all
        return None
    week_start, week_end = monday - dt.timedelta(days=7), monday - dt.timedelta(days=1)
    on, off = str(Progress.ON_TRACK), str(Progress.OFF_TRACK)
    params = [*scope_params, company.pk, week_start, week_end, off, on,
              off, week_start, week_end, off, on, monday, monday + dt.timedelta(days=6),
              LIST_LENGTH]
    sql = _SUMMARY_SQL.format(scope=scope, user=get_user_model()._meta.db_table,
                              transition=ProgressTransition._meta.db_table)
    counts = {"on_track": 0, "off_track": 0, "paused": 0, "back_on": 0,
              "newly_off_count": 0, "soon_count": 0}
    lists = {"newly_off": [], "longest": [], "soon": []}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for which, pk, name, day, n, position in cursor.fetchall():
            if which in lists:
                lists[which].append((position, Listed(pk, name, day)))
                counts[f"{which}_count"] = n
            else:
                counts[which] = n
    if not (counts["on_track"] or counts["off_track"] or counts["paused"]):
        return None
    url = settings.SITE_URL + url_pattern("engagements:detail")
    report = settings.SITE_URL + reverse("reports:report")
    return {
        "on_track": counts["on_track"],
        "off_track": counts["off_track"],
        "paused": counts["paused"],
        "newly_off_count": counts["newly_off_count"],
        "soon_count": counts["soon_count"],
        "back_on": counts["back_on"],
        **{which: [(e, url.format(e.pk)) for _, e in sorted(listed)]
           for which, listed in lists.items()},
        "links": {
            "on_track": report_link(report, progress=Progress.ON_TRACK),
            "off_track": report_link(report, progress=Progress.OFF_TRACK),
            "paused": report_link(report, progress=Progress.PAUSED),
            "newly_off": report_link(report, progress=Progress.OFF_TRACK,
                                     off_track_since_after=week_start.isoformat(),
                                     off_track_since_before=week_end.isoformat()),
            "back_on": report_link(report, progress=Progress.ON_TRACK),
            "soon": report_link(report, progress=Progress.ON_TRACK,
                                sort="days_until_off_track"),
        },
    }


def compose_weekly(nudge, unsubscribe_url, message_id):
    """
    The email for a weekly-digest nudge, or None when nothing is tracked any more. Whether
    its recipient turned the digest off is the sender's question (send_nudge), asked first.
    """
    context = summary(nudge.recipient, nudge.company, nudge.day)
    if context is None:
        return None
    context.update(recipient=nudge.recipient, company=nudge.company, day=nudge.day,
                   settings_url=settings.SITE_URL + reverse("notifications:settings"))
    return build_email("weekly-digest", to=nudge.recipient.email, context=context,
                       headers={"Message-ID": message_id}, unsubscribe_url=unsubscribe_url)
