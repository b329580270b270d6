"""
Ending engagements: end early (with a reason) and mark complete, one or several at once.

Both are the same operation with a different final status. Inside one transaction they
  1. lock the selected rows the actor may manage that are still running (SELECT ... FOR
     UPDATE, in pk order so two bulk actions over overlapping rows cannot deadlock), and end
     them with a conditional UPDATE (`status IN running`) whose row count must match;
  2. cancel the future scheduled sessions and discovery calls;
  3. re-evaluate progress with the END cause, so progress becomes "not tracked" and the change
     is kept in the tracking history;
  4. tell who listens that they stopped running today (`engagements_status_changed`: the
     Billing page's stored counts move, reports/receivers.py);
  5. record an AuditEvent per engagement.
Two administrators ending the same engagement at once: the second waits on the row lock,
then finds it no longer running and is told it has already ended. Nothing is done twice.

Scheduling is closed once an engagement has ended: `scheduling_open()` for pages, and
`lock_for_scheduling()` for the write path, which takes the same row lock as ending so a
session cannot slip in while the engagement is being ended.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, DateField, Exists, Max, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Greatest
from django.http import Http404
from django.utils import timezone

from engagements.models import (
    ACTIVE_STATUSES,
    AuditEvent,
    DiscoveryCall,
    Engagement,
    EventStatus,
    Session,
)
from engagements.signals import engagements_status_changed

# "May be ready to complete": nothing scheduled ahead and no activity for this long — or for
# twice the engagement's tracking threshold when that is longer, so a slow-paced programme
# (say, a session every six weeks) is not suggested for completion between two sessions.
READY_TO_COMPLETE_IDLE_DAYS = 60


REFUSED_MESSAGE = ("Only the administrators responsible for this engagement can end it early or "
                   "mark it complete.")


class EndingRefused(Exception):
    """The engagement cannot be ended; the message says why, for the person who tried."""


class AlreadyEnded(EndingRefused):
    pass


class SchedulingClosed(Exception):
    """Nothing can be scheduled in an engagement that has ended."""


@dataclass
class EndingResult:
    ended: list = field(default_factory=list)  # the Engagement objects, as ended
    skipped: list = field(default_factory=list)  # selected, manageable, but already ended
    refused: int = 0  # selected but not manageable by the actor (never acted on)
    cancelled_sessions: int = 0
    cancelled_discovery_calls: int = 0


def scheduling_open(engagement):
    """Whether sessions and discovery calls may still be scheduled (pages and forms)."""
    return not engagement.is_ended


def lock_for_scheduling(engagement_pk):
    """
    Lock the engagement row for a scheduling write and refuse if it has ended. Call inside
    `transaction.atomic()`: ending takes the same lock, so scheduling and ending serialise.
    """
    engagement = Engagement.objects.select_for_update().get(pk=engagement_pk)
    if not scheduling_open(engagement):
        raise SchedulingClosed("This engagement has ended: nothing more can be scheduled in it.")
    return engagement


def future_scheduled_events(engagement, now=None):
    """The sessions and discovery calls that ending `engagement` now would cancel."""
    now = now or timezone.now()
    return {
        "sessions": list(Session.objects.filter(
            engagement=engagement, status=EventStatus.SCHEDULED, starts_at__gt=now)),
        "discovery_calls": list(DiscoveryCall.objects.filter(
            engagement=engagement, status=EventStatus.SCHEDULED, starts_at__gt=now
        ).select_related("coach")),
    }


def future_events_by_engagement(engagements, now=None):
    """
    {engagement pk: {"sessions": [...], "discovery_calls": [...]}} that ending them now would
    cancel, for a bulk confirmation: two queries whatever the number of engagements.
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


def get_manageable(user, pk):
    """
    The engagement for an action: 404 when `user` cannot see it, 403 when they only see it.

    Why both: DESIGN's "a guessed URL answers 404" is about people with no role in the
    engagement — for them it does not exist (restrict). Its coach, its coachee, the coach
    company's administrators and location administrators who see it read it but may not end
    it: telling them "not allowed" (403, with why) reveals nothing they cannot already see,
    and is clearer than pretending the page is missing. Company-wide pages (Billing, "may be
    ready to complete") follow the same rule: 403 for a signed-in user without the right role.
    """
    engagement = (Engagement.objects.restrict(user)
                  .select_related("company", "coachee", "coach", "template", "location")
                  .filter(pk=pk).first())
    if engagement is None:
        raise Http404("No such engagement.")
    if not engagement.can_manage:
        raise PermissionDenied(REFUSED_MESSAGE)
    return engagement


def ended_message(engagement):
    when = engagement.ended_on.strftime("%-d %b %Y") if engagement.ended_on else ""
    return (f"{engagement.coachee}'s engagement has already ended "
            f"({engagement.get_status_display().lower()} on {when}).")


def end_early(engagement_or_pk, *, by, reason, note="", now=None):
    """End one engagement early. Raises Http404/PermissionDenied/EndingRefused."""
    reason, note = _validated_reason(reason, note)
    return _end_one(engagement_or_pk, by=by, status=Engagement.Status.ENDED_EARLY,
                    reason=reason, note=note, now=now)


def mark_complete(engagement_or_pk, *, by, now=None):
    """Mark one engagement complete. Raises Http404/PermissionDenied/EndingRefused."""
    return _end_one(engagement_or_pk, by=by, status=Engagement.Status.COMPLETED,
                    reason="", note="", now=now)


def end_many_early(pks, *, by, reason, note="", now=None):
    """Bulk: end the selected engagements `by` may manage early, with one reason for all."""
    reason, note = _validated_reason(reason, note)
    return _end(pks, by=by, status=Engagement.Status.ENDED_EARLY, reason=reason, note=note,
                now=now)


def complete_many(pks, *, by, now=None):
    """Bulk: mark the selected engagements `by` may manage complete."""
    return _end(pks, by=by, status=Engagement.Status.COMPLETED, reason="", note="", now=now)


def _validated_reason(reason, note):
    note = (note or "").strip()
    if reason not in Engagement.EndReason.values:
        raise EndingRefused("Choose a reason for ending the engagement early.")
    if reason == Engagement.EndReason.OTHER and not note:
        raise EndingRefused("Add a note explaining the reason “Other”.")
    return reason, note


def _end_one(engagement_or_pk, *, by, status, reason, note, now):
    pk = getattr(engagement_or_pk, "pk", engagement_or_pk)
    # Visibility first, so the answer is 404 or 403 as the rules say, not a silent no-op.
    get_manageable(by, pk)
    result = _end([pk], by=by, status=status, reason=reason, note=note, now=now)
    if result.skipped:
        raise AlreadyEnded(ended_message(result.skipped[0]))
    if not result.ended:
        # Lost its manageability between the check and the lock (e.g. moved location).
        raise PermissionDenied(REFUSED_MESSAGE)
    return result


def _end(pks, *, by, status, reason, note, now):
    now = now or timezone.now()
    pks = sorted({int(pk) for pk in pks})
    result = EndingResult()
    if not pks or not by.company_id:
        result.refused = len(pks)
        return result
    today = by.company.local_today(now)
    with transaction.atomic():
        manageable = Engagement.objects.restrict(by, "manage").filter(pk__in=pks)
        # The lock is re-checked after waiting: a row another administrator ended meanwhile
        # comes back with its new status, and is skipped below.
        locked = list(manageable.select_for_update(of=("self",)).order_by("pk")
                      .select_related("company", "coachee", "coach", "template"))
        result.refused = len(pks) - len(locked)
        winners = [e for e in locked if e.status in ACTIVE_STATUSES]
        result.skipped = [e for e in locked if e.status not in ACTIVE_STATUSES]
        if not winners:
            return result
        winner_pks = [e.pk for e in winners]
        updated = Engagement.objects.filter(pk__in=winner_pks, status__in=ACTIVE_STATUSES).update(
            status=status,
            # An engagement cannot end before it started (a constraint): one launched with a
            # future start and ended today ends on its start day, counting for no day at all.
            ended_on=Greatest("started_on", Value(today, output_field=DateField())),
            ended_at=now, ended_by=by, end_reason=reason, end_note=note,
        )
        # The rows are locked: nobody else can have ended them since the SELECT.
        assert updated == len(winners), (updated, len(winners))

        cancelled = {}
        for model in (Session, DiscoveryCall):
            future = model.objects.filter(engagement_id__in=winner_pks,
                                          status=EventStatus.SCHEDULED, starts_at__gt=now)
            cancelled[model] = dict(
                future.order_by().values_list("engagement_id").annotate(n=Count("pk"))
            )
            future.update(status=EventStatus.CANCELLED, cancelled_at=now)
        result.cancelled_sessions = sum(cancelled[Session].values())
        result.cancelled_discovery_calls = sum(cancelled[DiscoveryCall].values())

        ended = {e.pk: e for e in Engagement.objects.filter(pk__in=winner_pks)
                 .select_related("company", "coachee", "coach", "template", "location")}
        _stop_tracking(ended.values(), today)
        engagements_status_changed.send(Engagement, engagements=list(ended.values()), day=today,
                                        delta=-1)
        AuditEvent.objects.bulk_create([
            AuditEvent(
                action=(AuditEvent.Action.ENDED_EARLY if status == Engagement.Status.ENDED_EARLY
                        else AuditEvent.Action.COMPLETED),
                actor=by, actor_name=str(by), company_id=e.company_id, engagement=e,
                changes=_audit_changes(e, cancelled[Session].get(e.pk, 0),
                                       cancelled[DiscoveryCall].get(e.pk, 0)),
            )
            for e in ended.values()
        ])
        result.ended = [ended[pk] for pk in winner_pks]
    return result


def _audit_changes(engagement, sessions, calls):
    changes = {
        "status": engagement.status,
        "ended_on": engagement.ended_on.isoformat(),
        "cancelled_sessions": sessions,
        "cancelled_discovery_calls": calls,
    }
    if engagement.end_reason:
        changes["reason"] = engagement.get_end_reason_display()
    if engagement.end_note:
        changes["note"] = engagement.end_note
    return changes


def _stop_tracking(engagements, today):
    # Imported here: tracking/ depends on engagements/, not the other way round.
    from tracking.evaluation import evaluate_engagement
    from tracking.models import ProgressTransition

    for engagement in engagements:
        evaluate_engagement(engagement, cause=ProgressTransition.Cause.END, today=today)


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
