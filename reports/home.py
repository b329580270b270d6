"""
The administrator's home (issue 19): the numbers that matter, each a link into the filtered
Engagements page, and what needs attention first. Counted through the gate's two parts
(`by_progress(user).parts`, as the report's totals are), so the rows an administrator manages
are counted from an index, and only by the progress they may see.

A coaching provider's global administrator sees their coaches' engagements in client companies,
but not their progress, which belongs to the client company: their home says so and shows what
they may see (how many engagements, clients and coaches; the sessions) instead of zeros.
"""

import datetime as dt
from collections import Counter
from operator import attrgetter

from django.db.models import Count, Q
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from engagements.expressions import projected_off_track_on
from engagements.homes import coaches_or_is_coached
from engagements.models import ACTIVE_STATUSES, Engagement, EventStatus, Progress, Session
from engagements.reasons import progress_reason
from engagements.tables import progress_html
from engagements.visibility import PROGRESS_HIDDEN, by_progress

SOON_DAYS = 7  # "going off track within 7 days"
ATTENTION_LIMIT = 10
UPCOMING_LIMIT = 10


def _list_url(**query):
    return f"{reverse('engagements:list')}?{urlencode(query)}" if query else reverse(
        "engagements:list")


def programme_counts(user, today):
    """
    The running engagements `user` may see, by the progress they are shown, and those on
    track that go off track within SOON_DAYS unless something happens. One query per part.
    """
    running = Engagement.objects.filter(status__in=ACTIVE_STATUSES)
    soon = Q(seen_progress=Progress.ON_TRACK, tracking_threshold_days__isnull=False,
             projected__lte=today + dt.timedelta(days=SOON_DAYS))
    totals = Counter()
    for part in by_progress(user).parts(running):
        if part is None:
            continue
        totals.update(part.alias(projected=projected_off_track_on()).aggregate(
            on_track=Count("pk", filter=Q(seen_progress=Progress.ON_TRACK)),
            off_track=Count("pk", filter=Q(seen_progress=Progress.OFF_TRACK)),
            paused=Count("pk", filter=Q(seen_progress=Progress.PAUSED)),
            not_tracked=Count("pk", filter=Q(seen_progress=Progress.NOT_TRACKED)),
            hidden=Count("pk", filter=Q(seen_progress=PROGRESS_HIDDEN)),
            soon=Count("pk", filter=soon),
        ))
    totals["seen"] = sum(totals[name] for name in ("on_track", "off_track", "paused",
                                                   "not_tracked"))
    return totals


def needs_attention(user, today, limit=None):
    """
    Off track (the longest first), then going off track within SOON_DAYS (the soonest first):
    among the running engagements whose progress `user` sees. Per part of the gate
    (`by_progress(user).parts`), so that a big tenant's administrator reads the oldest
    off-track rows in order from the company's off-track index (`eng_company_offtrack`) and
    stops at `limit`, rather than every running row sorted (0.4 s for 200,000): one query per
    part for the off-track rows, and one per part for the soon ones only when fewer than
    `limit` are off track.
    """
    limit = limit or ATTENTION_LIMIT
    running = Engagement.objects.filter(status__in=ACTIVE_STATUSES)
    parts = [part.select_related("coachee", "coach", "template")
             for part in by_progress(user).parts(running) if part is not None]
    # Off track rows always have their day (rules.py); saying so lets PostgreSQL use the
    # partial index, whose predicate it is.
    rows = _first([part.filter(seen_progress=Progress.OFF_TRACK, off_track_since__isnull=False)
                   for part in parts], limit, "off_track_since", "pk")
    if len(rows) < limit:
        soon = Q(seen_progress=Progress.ON_TRACK, tracking_threshold_days__isnull=False,
                 projected__lte=today + dt.timedelta(days=SOON_DAYS))
        rows += _first([part.annotate(projected=projected_off_track_on()).filter(soon)
                        for part in parts], limit - len(rows), "projected", "pk")
    for row in rows:
        row.progress_badge = progress_html(row.seen_progress)
        row.reason = progress_reason(row)
        projected = getattr(row, "projected", None)
        row.days_left = (max((projected - today).days, 0)
                         if row.progress == Progress.ON_TRACK and projected else None)
    return rows


def _first(parts, limit, *fields):
    """
    The first `limit` rows, in the order of `fields` (ascending), of the disjoint querysets
    `parts`: each read in that order and cut at `limit` on its own, then merged.
    """
    rows = [row for part in parts for row in part.order_by(*fields)[:limit]]
    return sorted(rows, key=attrgetter(*fields))[:limit]


def provided_engagements(user):
    """
    For a coaching provider's global administrator: the running engagements their company's
    coaches coach in client companies (through the gate), counted, by client, and their
    sessions to come. None when there are none. Their progress is not part of it.
    """
    if not (user.is_global_admin and user.company_id):
        return None
    provided = Engagement.objects.restrict(user).filter(provider_company_id=user.company_id,
                                                        status__in=ACTIVE_STATUSES)
    counts = provided.aggregate(running=Count("pk"), clients=Count("company", distinct=True),
                                coaches=Count("coach", distinct=True))
    if not counts["running"]:
        return None
    now = timezone.now()
    sessions = Session.objects.filter(engagement__in=provided.values("pk"))
    counts.update(sessions.aggregate(
        next_week=Count("pk", filter=Q(status=EventStatus.SCHEDULED, starts_at__gt=now,
                                       starts_at__lte=now + dt.timedelta(days=7))),
        held_month=Count("pk", filter=Q(status=EventStatus.COMPLETED,
                                        starts_at__gte=now - dt.timedelta(days=30),
                                        starts_at__lte=now)),
    ))
    return {
        "counts": counts,
        "by_client": list(provided.order_by().values("company__name").annotate(
            engagements=Count("pk"), coaches=Count("coach", distinct=True))
            .order_by("company__name")),
        "upcoming": list(sessions.filter(status=EventStatus.SCHEDULED, starts_at__gt=now)
                         .select_related("engagement__coachee", "engagement__coach",
                                         "engagement__company")
                         .order_by("starts_at", "pk")[:UPCOMING_LIMIT]),
    }


def admin_home(request):
    """The home of a company administrator (global or of locations)."""
    user = request.user
    today = user.company.local_today()
    counts = programme_counts(user, today)
    coaches, coached = coaches_or_is_coached(user)
    links = {
        "running": _list_url(),
        "on_track": _list_url(progress=Progress.ON_TRACK),
        "off_track": _list_url(progress=Progress.OFF_TRACK),
        "paused": _list_url(progress=Progress.PAUSED),
        "not_tracked": _list_url(progress=Progress.NOT_TRACKED),
        "soon": _list_url(off_track_within=SOON_DAYS, sort="days_until_off_track"),
    }
    return render(request, "reports/home.html", {
        "counts": counts,
        "links": links,
        "soon_days": SOON_DAYS,
        "attention": needs_attention(user, today) if counts["seen"] else [],
        "provided": provided_engagements(user),
        "locations": (None if user.is_global_admin else
                      list(user.administered_locations.order_by("name")
                           .values_list("name", flat=True))),
        "coaches": coaches,
        "coached": coached,
    })
