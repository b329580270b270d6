from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Case, DateField, Value, When
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.functional import cached_property
from django.views.decorators.http import require_POST

from engagements.expressions import AddDays
from engagements.filters import EngagementFilterSet
from engagements.forms import DiscoveryCallForm, SelectCoachForm, SessionForm
from engagements.models import AuditEvent, Engagement, Progress
from engagements.tables import EngagementTable, progress_html
from optify.lists.views import BaseListView


def with_list_annotations(queryset):
    """
    What every engagement list reads besides `restrict`'s own annotations: the related rows
    it shows (a fixed number of queries) and `seen_off_track_on`, the at-risk signal only
    a viewer who may see progress gets: the day an on-track engagement goes off track if
    nothing else happens — the threshold after its next scheduled event, or else after its
    last activity.
    """
    projected = AddDays(
        Coalesce("next_event_on", "last_activity_on", "started_on"), "tracking_threshold_days"
    )
    # Joined: what the default columns show and sort on. Fetched apart, by the page's ids:
    # the company (its local "today") and the owner. Two more joins made PostgreSQL spend
    # ~25 ms of every page planning the join order (7 relations) for a 20 ms query.
    return queryset.select_related("coachee", "coach", "template", "location").prefetch_related(
        "company", "owner"
    ).annotate(
        seen_off_track_on=Case(
            When(seen_progress=Progress.ON_TRACK, tracking_threshold_days__isnull=False,
                 then=projected),
            default=Value(None, output_field=DateField()),
        )
    )


class EngagementListView(BaseListView):
    """
    The Engagements page: the engagements the user may see, on the shared list bases. The
    Engagements Report subclasses it and changes the attributes (table, filterset, template)
    or overrides `get_queryset`.
    """

    template_name = "engagements/list.html"
    table_class = EngagementTable
    filterset_class = EngagementFilterSet
    title = "Engagements"
    noun = "engagements"

    def get_queryset(self):
        return with_list_annotations(Engagement.objects.restrict(self.request.user))

    @cached_property
    def is_admin(self):
        return self.request.user.is_company_admin  # a query for location administrators

    def can_bulk(self):
        return bool(self.is_admin and _reverse_or_none("engagements:bulk_action"))

    def get_excluded_columns(self):
        return () if self.can_bulk() else ("select",)

    def get_table_kwargs(self):
        return {"today": self.company_today()}

    def company_today(self):
        company = self.request.user.company
        return company.local_today() if company else None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            bulk_action_url=_reverse_or_none("engagements:bulk_action"),
            can_bulk=self.can_bulk(),
            is_admin=self.is_admin,
        )
        return context


def _reverse_or_none(name, *args):
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


# -- the engagement page -------------------------------------------------------------------


def _fetch(user, pk, *, for_update=False):
    queryset = Engagement.objects.restrict(user).select_related(
        "company", "coachee", "coach", "owner", "template", "location", "ended_by"
    )
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    return get_object_or_404(queryset, pk=pk)


def may_schedule_session(user, engagement):
    return (
        engagement.status == Engagement.Status.ACTIVE
        and (engagement.can_manage or engagement.coach_id == user.pk)
    )


def may_schedule_call(user, engagement):
    return engagement.status == Engagement.Status.COACH_MATCHING and engagement.can_manage


def may_select_coach(user, engagement):
    return (
        engagement.status == Engagement.Status.COACH_MATCHING
        and engagement.coach_id is None
        and engagement.can_manage
    )


def engagement_detail(request, pk, *, forms=None):
    engagement = _fetch(request.user, pk)
    forms = forms or {}
    user = request.user
    if may_schedule_session(user, engagement):
        forms.setdefault("session", SessionForm(engagement, user))
    if may_schedule_call(user, engagement):
        forms.setdefault("call", DiscoveryCallForm(engagement, user))
    if may_select_coach(user, engagement):
        forms.setdefault("select_coach", SelectCoachForm(engagement, user))
    context = {
        "engagement": engagement,
        "progress": progress_html(engagement.seen_progress),
        "sessions": engagement.sessions.order_by("-starts_at"),
        "calls": engagement.discovery_calls.select_related("coach").order_by("-starts_at"),
        "transitions": (engagement.progress_transitions.order_by("-day", "-pk")
                        if engagement.sees_progress else None),
        "audit_events": engagement.audit_events.order_by("-created_at", "-pk"),
        "session_form": forms.get("session"),
        "call_form": forms.get("call"),
        "select_coach_form": forms.get("select_coach"),
        "tz": engagement.company.timezone,
        "end_early_url": _reverse_or_none("engagements:end_early", engagement.pk),
        "mark_complete_url": _reverse_or_none("engagements:mark_complete", engagement.pk),
    }
    status = 400 if any(form.is_bound for form in forms.values()) else 200
    return render(request, "engagements/detail.html", context, status=status)


@login_required
def detail(request, pk):
    return engagement_detail(request, pk)


def _evaluate(engagement, cause):
    # Imported here: tracking depends on engagements' models, not the other way round.
    from tracking.evaluation import evaluate_engagement

    return evaluate_engagement(engagement, cause=cause)


def _schedule(request, pk, *, allowed, form_class, form_key, action, cause, label,
              not_now):
    """
    The shared shape of every "schedule something" POST: lock the engagement through the
    user's visible queryset (out of scope = 404), check the permission and that it has not
    ended *inside* the transaction (an administrator may be ending it right now), save,
    audit, and evaluate progress at once (rule 6).
    """
    with transaction.atomic():
        engagement = _fetch(request.user, pk, for_update=True)
        if not allowed(request.user, engagement):
            # As for ending (lifecycle.get_manageable): unseen rows were 404 above; those
            # who only read it get 403; those who manage it hear why it is not possible now.
            if engagement.is_ended:
                messages.error(request, "This engagement has ended: nothing more can be "
                                        "scheduled in it.")
                return redirect(engagement)
            if engagement.can_manage:
                messages.error(request, not_now)
                return redirect(engagement)
            raise PermissionDenied("You may read this engagement, not schedule in it.")
        form = form_class(engagement, request.user, data=request.POST)
        if not form.is_valid():
            transaction.set_rollback(True)
            return None, form, form_key
        obj = form.save()
        AuditEvent.record(action, actor=request.user, company=engagement.company,
                          engagement=engagement, **form.audit_changes(obj))
        _evaluate(engagement, cause)
    messages.success(request, label)
    return redirect(engagement)


@require_POST
@login_required
def schedule_session(request, pk):
    from tracking.models import ProgressTransition

    result = _schedule(
        request, pk, allowed=may_schedule_session, form_class=SessionForm, form_key="session",
        action=AuditEvent.Action.SESSION_SCHEDULED, cause=ProgressTransition.Cause.SESSION,
        label="Session scheduled.",
        not_now="Sessions can be scheduled only while the engagement is active.",
    )
    return _respond(request, pk, result)


@require_POST
@login_required
def schedule_call(request, pk):
    from tracking.models import ProgressTransition

    result = _schedule(
        request, pk, allowed=may_schedule_call, form_class=DiscoveryCallForm, form_key="call",
        action=AuditEvent.Action.DISCOVERY_CALL_SCHEDULED,
        cause=ProgressTransition.Cause.DISCOVERY_CALL, label="Discovery call scheduled.",
        not_now="Discovery calls can be scheduled only during coach matching.",
    )
    return _respond(request, pk, result)


@require_POST
@login_required
def select_coach(request, pk):
    from tracking.models import ProgressTransition

    result = _schedule(
        request, pk, allowed=may_select_coach, form_class=SelectCoachForm,
        form_key="select_coach", action=AuditEvent.Action.COACH_SELECTED,
        cause=ProgressTransition.Cause.COACH_SELECTED, label="Coach selected.",
        not_now="A coach can be selected only during coach matching, before one is chosen.",
    )
    return _respond(request, pk, result)


def _respond(request, pk, result):
    if isinstance(result, tuple):
        _, form, key = result
        return engagement_detail(request, pk, forms={key: form})
    return result
