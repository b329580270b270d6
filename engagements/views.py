from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Case, DateField, OuterRef, Subquery, Value, When
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from engagements import actions
from engagements.expressions import projected_off_track_on
from engagements.filters import EngagementFilterSet
from engagements.forms import DiscoveryCallForm, SelectCoachForm, SessionForm
from engagements.models import Engagement, Pause, Progress
from engagements.pause_forms import PauseForm
from engagements.reasons import progress_reason
from engagements.tables import EngagementTable, progress_html
from engagements.visibility import by_progress
from optify.lists.views import BaseListView


def with_list_annotations(queryset):
    """
    What every engagement list reads besides `restrict`'s own annotations: the related rows
    it shows (a fixed number of queries) and `seen_off_track_on`, the at-risk signal only
    a viewer who may see progress gets: the day an on-track engagement goes off track if
    nothing else happens — the threshold after its next scheduled event, or else after its
    last activity.
    """
    projected = projected_off_track_on()
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
        ),
        pause_reason=pause_reason(),
    )


def current_pause_reason(engagement):
    if engagement.progress != Progress.PAUSED:
        return ""
    return engagement.pauses.filter(status=Pause.Status.APPROVED,
                                    ends_on=engagement.paused_until).values_list(
        "reason", flat=True).first() or ""


def pause_reason():
    """
    The reason of the pause in force, for rule 10's "Paused until 14 Apr (leave)": the pause
    that ends on the stored `paused_until`. Inside a CASE, so that PostgreSQL runs the
    subquery for paused rows only.
    """
    return Case(When(progress=Progress.PAUSED, then=Subquery(
        Pause.objects.filter(engagement_id=OuterRef("pk"), status=Pause.Status.APPROVED,
                             ends_on=OuterRef("paused_until")).values("reason")[:1]
    )), default=Value(""))


class EngagementListView(BaseListView):
    """
    The Engagements page: the engagements the user may see, on the shared list bases. The
    Engagements Report subclasses it and changes the attributes (table, filterset, template)
    or overrides `get_queryset`.
    """

    template_name = "engagements/list.html"
    table_class = EngagementTable
    filterset_class = EngagementFilterSet
    title = gettext_lazy("Engagements")
    noun = gettext_lazy("engagements")

    def get_queryset(self):
        return with_list_annotations(Engagement.objects.restrict(self.request.user))

    # What only a viewer who sees some engagement's progress can use: for anyone else (a
    # coachee, a coaching provider's administrator) every cell of these reads "-".
    progress_columns = ("progress", "progress_reason", "off_track_since", "days_until_off_track")
    manages_rows = False

    @cached_property
    def is_admin(self):
        return self.request.user.is_company_admin  # a query for location administrators

    bulk_actions = True  # the Engagements Report reads only

    def can_bulk(self):
        # Bulk actions, and their checkboxes, only where a row of the page can be acted on.
        return self.bulk_actions and bool(self.is_admin) and self.manages_rows

    def get_excluded_columns(self):
        return () if self.bulk_actions and self.is_admin else ("select",)

    def get_table(self, queryset, columns):
        """
        The page's table, without the columns its viewer cannot use, decided from the page's
        own rows (already fetched, so no query): no Select column where no row may be
        managed; no progress columns where no row's progress is seen, unless the viewer sees
        some progress elsewhere (one query, only then). The Columns control leaves them out.
        """
        table = super().get_table(queryset, columns)
        page = getattr(table, "page", None)
        records = [row.record for row in page.object_list] if page is not None else []
        self.manages_rows = any(getattr(record, "can_manage", False) for record in records)
        unusable = [] if self.manages_rows else ["select"]
        if not self.sees_some_progress(records):
            unusable += self.progress_columns
        for name in unusable:
            if name in table.columns.names():
                table.columns.hide(name)
        columns.unavailable = frozenset(unusable)
        return table

    def sees_some_progress(self, records):
        if any(getattr(record, "sees_progress", False) for record in records):
            return True
        user = self.request.user
        return by_progress(user).any_seen(Engagement.objects)

    @cached_property
    def company_has_templates(self):
        """
        Whether the viewer's company has templates to launch from, read from the filter
        form's Template choices (its administrators' include their company's templates),
        which the page lists anyway: no query of its own.
        """
        user = self.request.user
        field = self._filterset.form["template"] if self._filterset is not None else None
        if field is None or not user.company_id:
            return False
        return any(getattr(widget.data["value"], "instance", None) is not None
                   and widget.data["value"].instance.company_id == user.company_id
                   for widget in field.subwidgets)

    _filterset = None

    def get_filterset(self, queryset):
        self._filterset = super().get_filterset(queryset)
        return self._filterset

    def get_table_kwargs(self):
        return {"today": self.company_today()}

    def company_today(self):
        company = self.request.user.company
        return company.local_today() if company else None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            bulk_action_url=reverse("engagements:bulk_action"),
            can_bulk=self.can_bulk(),
            is_admin=self.is_admin,
            manages_rows=self.manages_rows,
            can_launch=bool(self.is_admin) and self.company_has_templates,
        )
        return context


# -- the engagement page -------------------------------------------------------------------


def engagement_detail(request, pk, *, forms=None, extra=None, status=None):
    """The engagement page; `extra` adds to its context (a bound goal or message form)."""
    engagement = actions.engagement_for(request.user, pk)
    forms = forms or {}
    user = request.user
    if actions.may(user, engagement, actions.SCHEDULE_SESSION):
        forms.setdefault("session", SessionForm(engagement, user))
    if actions.may(user, engagement, actions.SCHEDULE_CALL):
        forms.setdefault("call", DiscoveryCallForm(engagement, user))
    if actions.may(user, engagement, actions.SELECT_COACH):
        forms.setdefault("select_coach", SelectCoachForm(engagement, user))
    can_pause = actions.may(user, engagement, actions.PAUSE)
    if can_pause or actions.may(user, engagement, actions.REQUEST_PAUSE):
        forms.setdefault("pause", PauseForm())
    context = {
        "engagement": engagement,
        "progress": progress_html(engagement.seen_progress),
        "progress_reason": (progress_reason(engagement, current_pause_reason(engagement))
                            if engagement.sees_progress else ""),
        "sessions": engagement.sessions.order_by("-starts_at"),
        "calls": engagement.discovery_calls.select_related("coach").order_by("-starts_at"),
        "transitions": (engagement.progress_transitions.order_by("-day", "-pk")
                        if engagement.sees_progress else None),
        "audit_events": engagement.audit_events.order_by("-created_at", "-pk"),
        "session_form": forms.get("session"),
        "call_form": forms.get("call"),
        "select_coach_form": forms.get("select_coach"),
        "tz": engagement.company.timezone,
        "can_change_sessions": actions.may(user, engagement, actions.CHANGE_SESSION),
        "can_write_notes": actions.may(user, engagement, actions.WRITE_NOTES),
        "can_change_calls": actions.may(user, engagement, actions.CHANGE_CALL),
        "can_edit": actions.may(user, engagement, actions.EDIT),
        "can_launch": actions.may(user, engagement, actions.LAUNCH),
        # The coach reads all their notes; the coachee those shared with them; nobody else.
        "notes_reader": ("coach" if user.pk == engagement.coach_id else
                         "coachee" if user.pk == engagement.coachee_id else None),
        "now": timezone.now(),
        "end_early_url": reverse("engagements:end_early", args=[engagement.pk]),
        "mark_complete_url": reverse("engagements:mark_complete", args=[engagement.pk]),
        # Pauses say what progress is (Paused): shown to those who see progress.
        "pauses": (engagement.pauses.select_related("requested_by", "approved_by")
                   .order_by("-starts_on", "-pk") if engagement.sees_progress else None),
        "pause_form": forms.get("pause"),
        "can_pause": can_pause,
        "pause_reasons": PauseForm.base_fields["reason"].choices,
        "today": engagement.company.local_today(),
    }
    context.update(extra or {})
    if status is None:
        status = 400 if any(form.is_bound for form in forms.values()) else 200
    return render(request, "engagements/detail.html", context, status=status)


@login_required
def detail(request, pk):
    return engagement_detail(request, pk)


def _act(request, pk, *, rule, form_class, form_key, act, label):
    """
    The shared shape of the engagement page's POSTs: the engagement through the user's scope
    (out of scope = 404), whether they may do this now (403, or back with the reason), the
    form (400 with its errors), then the action, which checks all of it again under the
    engagement's lock (an administrator may be ending it right now).
    """
    engagement = actions.engagement_for(request.user, pk)
    try:
        actions.check(request.user, engagement, rule)
    except actions.ActionRefused as refusal:
        messages.error(request, str(refusal))
        return redirect(engagement)
    form = form_class(engagement, request.user, data=request.POST)
    if not form.is_valid():
        return engagement_detail(request, pk, forms={form_key: form})
    try:
        act(engagement, form.cleaned_data)
    except actions.ActionRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, label)
    return redirect(engagement)


@require_POST
@login_required
def schedule_session(request, pk):
    return _act(
        request, pk, rule=actions.SCHEDULE_SESSION, form_class=SessionForm, form_key="session",
        label=_("Session scheduled."),
        act=lambda engagement, data: actions.do_schedule_session(
            engagement, by=request.user, starts_at=data["starts_at"],
            duration_minutes=data["duration_minutes"]),
    )


@require_POST
@login_required
def schedule_call(request, pk):
    return _act(
        request, pk, rule=actions.SCHEDULE_CALL, form_class=DiscoveryCallForm, form_key="call",
        label=_("Discovery call scheduled."),
        act=lambda engagement, data: actions.do_schedule_discovery_call(
            engagement, by=request.user, starts_at=data["starts_at"], coach=data["coach"]),
    )


@require_POST
@login_required
def select_coach(request, pk):
    return _act(
        request, pk, rule=actions.SELECT_COACH, form_class=SelectCoachForm,
        form_key="select_coach", label=_("Coach selected."),
        act=lambda engagement, data: actions.do_select_coach(
            engagement, by=request.user, coach=data["coach"]),
    )
