"""
Reading what ending engagements needs: what ending them now would cancel (the confirmation
pages) and the running engagements that may be ready to complete (a hint). Ending itself is
an action: `engagements.actions.do_end_early` and its siblings.
"""

import datetime as dt

from django.db.models import Exists, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from engagements.models import (
    ACTIVE_STATUSES,
    DiscoveryCall,
    Engagement,
    EventStatus,
    Session,
)

# "May be ready to complete": nothing scheduled ahead and no activity for this long — or for
# twice the engagement's tracking threshold when that is longer, so a slow-paced programme
# (say, a session every six weeks) is not suggested for completion between two sessions.
READY_TO_COMPLETE_IDLE_DAYS = 60


def future_events(engagements, now=None):
    """
    {engagement pk: {"sessions": [...], "discovery_calls": [...]}}: the scheduled events still
    to come that ending the engagements now would cancel — two queries whatever their number.
    """
    now = now or timezone.now()
    pks = [e.pk for e in engagements]
    events = {pk: {"sessions": [], "discovery_calls": []} for pk in pks}
    for key, queryset in (("sessions", Session.objects.all()),
                          ("discovery_calls", DiscoveryCall.objects.select_related("coach"))):
        for event in queryset.filter(engagement_id__in=pks, status=EventStatus.SCHEDULED,
                                     starts_at__gt=now).order_by("starts_at"):
            events[event.engagement_id][key].append(event)
    return events


def ready_to_complete(user, now=None):
    """
    Running engagements `user` manages that may be ready to complete: no session or discovery
    call scheduled ahead, and no activity (start, or any session or call, whatever its status)
    for READY_TO_COMPLETE_IDLE_DAYS days, or twice the tracking threshold when that is longer.
    Nothing completes on its own (DESIGN): this is a hint with the action at hand.

    "Nothing ahead and nothing since the cutoff" is one NOT EXISTS per event kind — no event
    from the cutoff on that has happened or is still scheduled — an index probe per
    engagement (session_eng_starts, call_eng_starts). `last_event_at` is only for display:
    slice the queryset, so it is computed for the rows shown.
    """
    now = now or timezone.now()
    if not user.company_id:
        return Engagement.objects.none()
    base = Engagement.objects.restrict(user, "manage").filter(status__in=ACTIVE_STATUSES)
    today = user.company.local_today(now)

    def last_event(model):
        return Subquery(
            model.objects.filter(engagement=OuterRef("pk"), starts_at__lte=now)
            .order_by().values("engagement").annotate(last=Max("starts_at")).values("last")[:1]
        )

    def idle_since(days):
        cutoff_at = now - dt.timedelta(days=days)

        def events(model):
            return Exists(model.objects.filter(engagement=OuterRef("pk"), starts_at__gte=cutoff_at)
                          .filter(Q(starts_at__lte=now) | Q(status=EventStatus.SCHEDULED)))

        return (Q(started_on__lte=today - dt.timedelta(days=days))
                & ~events(Session) & ~events(DiscoveryCall))

    # The idle period depends on the threshold; thresholds are few (one per template), so
    # one condition per distinct long threshold keeps this one portable query.
    long_thresholds = sorted(
        set(base.filter(tracking_threshold_days__gt=READY_TO_COMPLETE_IDLE_DAYS // 2)
            .order_by().values_list("tracking_threshold_days", flat=True).distinct())
    )
    idle = (
        (Q(tracking_threshold_days__isnull=True)
         | Q(tracking_threshold_days__lte=READY_TO_COMPLETE_IDLE_DAYS // 2))
        & idle_since(READY_TO_COMPLETE_IDLE_DAYS)
    )
    for threshold in long_thresholds:
        idle |= Q(tracking_threshold_days=threshold) & idle_since(2 * threshold)

    return (
        base.filter(idle)
        .annotate(last_event_at=Greatest(
            Coalesce(last_event(Session), last_event(DiscoveryCall)),
            Coalesce(last_event(DiscoveryCall), last_event(Session)),
        ))
        .select_related("coachee", "coach", "template", "location")
        .order_by("started_on", "pk")
    )
