from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import EmptyPage
from django.db import transaction
from django.db.models import Case, DateField, Value, When
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView
from django_tables2 import RequestConfig
from django_tables2.paginators import LazyPaginator

from engagements.columns import TABLES, ColumnPreference
from engagements.expressions import AddDays
from engagements.filters import EngagementFilterSet
from engagements.forms import DiscoveryCallForm, SelectCoachForm, SessionForm
from engagements.models import AuditEvent, Engagement, Progress
from engagements.tables import EngagementTable, progress_html


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


class EngagementListView(LoginRequiredMixin, TemplateView):
    """
    A filtered, sorted, paginated table of the engagements the user may see, with per-user
    columns. Declarative on purpose: the Engagements Report subclasses it and changes the
    attributes (table, filterset, template) or overrides `get_queryset`.

    Pagination never counts: with 200,000 rows in a tenant a `COUNT(*)` per page costs more
    than the page itself, so `LazyPaginator` fetches `page_size + 1` rows to know whether
    there is a next page, and the page shows "page N" with previous/next links, no total.
    The Report, whose totals are the point, counts once in its own query.
    """

    template_name = "engagements/list.html"
    table_class = EngagementTable
    filterset_class = EngagementFilterSet
    paginator_class = LazyPaginator
    page_sizes = (25, 50, 100, 250)
    default_page_size = 25
    last_page = 1_000_000
    title = "Engagements"

    def get_queryset(self):
        return with_list_annotations(Engagement.objects.restrict(self.request.user))

    def get_filterset(self, queryset):
        # Always bound (an empty GET included) so the default "ended ones stay out" applies.
        return self.filterset_class(self.request.GET, queryset=queryset, request=self.request)

    def get_page_size(self):
        try:
            size = int(self.request.GET.get("per_page", self.default_page_size))
        except ValueError:
            return self.default_page_size
        return size if size in self.page_sizes else self.default_page_size

    def get_page_number(self):
        """The page asked for, or the first: a whole number that an OFFSET can hold."""
        page = self.request.GET.get("page", "")
        return int(page) if page.isdigit() and 1 <= int(page) <= self.last_page else 1

    def get_column_preference(self):
        return ColumnPreference(self.table_class, self.request.user)

    @cached_property
    def is_admin(self):
        return self.request.user.is_company_admin  # a query for location administrators

    def can_bulk(self):
        return bool(self.is_admin and _reverse_or_none("engagements:bulk_action"))

    def get_table(self, queryset, columns):
        kwargs = columns.table_kwargs()
        if not self.can_bulk():
            kwargs["exclude"] = [*kwargs["exclude"], "select"]
        # No `request=` here: django-tables2 would then paginate at once with Django's
        # counting paginator. RequestConfig configures the sorting; the page and its size are
        # ours to check, as RequestConfig would take any `per_page` from the URL (a million
        # rows, or more than PostgreSQL's LIMIT holds).
        table = self.table_class(queryset, today=self.company_today(), **kwargs)
        RequestConfig(self.request, paginate=False).configure(table)
        try:
            table.paginate(self.paginator_class, self.get_page_size(), self.get_page_number())
        except EmptyPage:  # past the last page: the first one
            table.paginate(self.paginator_class, self.get_page_size(), 1)
        return table

    def company_today(self):
        company = self.request.user.company
        return company.local_today() if company else None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filterset = self.get_filterset(self.get_queryset())
        columns = self.get_column_preference()
        table = self.get_table(filterset.qs, columns)
        context.update(
            title=self.title,
            filterset=filterset,
            filter_form=filterset.form,
            table=table,
            columns=columns,
            table_name=self.table_class.__name__,
            page_sizes=self.page_sizes,
            page_size=self.get_page_size(),
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


def _safe_next(request, fallback):
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return fallback


@require_POST
@login_required
def table_columns(request, table):
    """Saves (or resets) the user's choice of columns for one registered table."""
    table_class = TABLES.get(table)
    if table_class is None:
        raise Http404("No such table.")
    preference = ColumnPreference(table_class, request.user)
    if "reset" in request.POST:
        preference.reset()
        messages.success(request, "Columns reset to the defaults.")
    else:
        shown = request.POST.getlist("columns")

        def position(name):
            try:
                return int(request.POST.get(f"position_{name}", ""))
            except ValueError:
                return 10_000  # no or bad position: after the numbered ones
        order = {name: index for index, (name, _) in enumerate(preference.choosable)}
        shown.sort(key=lambda name: (position(name), order.get(name, 0)))
        if not preference.save(shown):
            messages.error(request, "Choose at least one column.")
        else:
            messages.success(request, "Columns saved.")
    return HttpResponseRedirect(_safe_next(request, reverse("engagements:list")))


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
