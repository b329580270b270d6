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

Building costs a fixed number of queries per company plus one per administrator, whatever
the number of engagements.
"""

import datetime as dt
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import Company
from engagements.models import ACTIVE_STATUSES, Engagement, Progress
from engagements.visibility import by_progress
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


def administrators(company):
    User = get_user_model()
    return (User.objects.filter(company=company,
                                status__in=[User.Status.ACTIVE, User.Status.INVITED])
            .filter(Q(is_global_admin=True) | Q(administered_locations__company=company))
            .exclude(nudge_preferences__role=Role.WEEKLY_DIGEST,
                     nudge_preferences__enabled=False)
            .distinct().prefetch_related("administered_locations"))


def administered(user):
    """The rows `user` administers (with progress visible), or an empty queryset."""
    part = by_progress(user).parts(Engagement.objects.all()).administered
    return part if part is not None else Engagement.objects.none()


def build_weekly_digests(company, monday, now=None):
    """
    The week's digests of `company`'s administrators into the outbox (in the caller's
    transaction): one per administrator with something tracked. Returns how many are new.
    """
    now = now or timezone.now()
    rows = [
        Nudge(company=company, recipient=admin, role=Role.WEEKLY_DIGEST, day=monday,
              next_attempt_at=now, created_at=now)
        for admin in administrators(company)
        if administered(admin).filter(status__in=ACTIVE_STATUSES, progress__in=TRACKED).exists()
    ]
    before = Nudge.objects.filter(company=company, role=Role.WEEKLY_DIGEST, day=monday).count()
    Nudge.objects.bulk_create(rows, ignore_conflicts=True)
    return Nudge.objects.filter(company=company, role=Role.WEEKLY_DIGEST,
                                day=monday).count() - before


def build_due_weekly_digests(now=None):
    """Every company whose Monday 08:00 has come: its digests (idempotent). {slug: new}."""
    now = now or timezone.now()
    built = {}
    for company in Company.objects.only("pk", "slug", "timezone"):
        monday = monday_due(company, now)
        if monday is not None:
            built[company.slug] = build_weekly_digests(company, monday, now)
    return built


def report_link(**params):
    query = urlencode(params, doseq=True)
    return settings.SITE_URL + reverse("reports:report") + (f"?{query}" if query else "")


def summary(user, company, monday):
    """What the digest says, read through the gate as `user` sees it (a few queries)."""
    rows = administered(user).filter(company=company, status__in=ACTIVE_STATUSES)
    counts = dict(rows.order_by().values_list("progress").annotate(n=Count("pk")))
    week_start, week_end = monday - dt.timedelta(days=7), monday - dt.timedelta(days=1)
    flips = ProgressTransition.objects.filter(
        engagement__in=rows.values("pk"), day__gte=week_start, day__lte=week_end)
    newly_off = (rows.filter(progress=Progress.OFF_TRACK, off_track_since__gte=week_start,
                             off_track_since__lte=week_end)
                 .select_related("coachee").order_by("off_track_since", "pk"))
    back_on = flips.filter(from_status=Progress.OFF_TRACK, to_status=Progress.ON_TRACK) \
        .values("engagement").distinct().count()
    longest = (rows.filter(progress=Progress.OFF_TRACK).select_related("coachee")
               .order_by("off_track_since", "pk")[:10])
    soon = (rows.filter(progress=Progress.ON_TRACK, goes_off_track_on__gte=monday,
                        goes_off_track_on__lte=monday + dt.timedelta(days=6))
            .select_related("coachee").order_by("goes_off_track_on", "pk"))
    url = settings.SITE_URL + url_pattern("engagements:detail")
    return {
        "on_track": counts.get(Progress.ON_TRACK, 0),
        "off_track": counts.get(Progress.OFF_TRACK, 0),
        "paused": counts.get(Progress.PAUSED, 0),
        "newly_off": [(e, url.format(e.pk)) for e in newly_off[:10]],
        "newly_off_count": newly_off.count(),
        "back_on": back_on,
        "longest": [(e, url.format(e.pk)) for e in longest],
        "soon": [(e, url.format(e.pk)) for e in soon[:10]],
        "soon_count": soon.count(),
        "links": {
            "on_track": report_link(progress=Progress.ON_TRACK),
            "off_track": report_link(progress=Progress.OFF_TRACK),
            "paused": report_link(progress=Progress.PAUSED),
            "newly_off": report_link(progress=Progress.OFF_TRACK,
                                     off_track_since_after=week_start.isoformat(),
                                     off_track_since_before=week_end.isoformat()),
            "back_on": report_link(progress=Progress.ON_TRACK),
            "soon": report_link(progress=Progress.ON_TRACK, sort="days_until_off_track"),
        },
    }


def compose_weekly(nudge, unsubscribe_url, message_id):
    """The email for a weekly-digest nudge, or None when nothing is tracked any more."""
    if NudgePreference.objects.filter(user_id=nudge.recipient_id, role=Role.WEEKLY_DIGEST,
                                      enabled=False).exists():
        return None
    context = summary(nudge.recipient, nudge.company, nudge.day)
    if not (context["on_track"] or context["off_track"] or context["paused"]):
        return None
    context.update(recipient=nudge.recipient, company=nudge.company, day=nudge.day,
                   settings_url=settings.SITE_URL + reverse("notifications:settings"))
    return build_email("weekly-digest", to=nudge.recipient.email, context=context,
                       headers={"Message-ID": message_id}, unsubscribe_url=unsubscribe_url)
