"""
A place for each person (issue 19): the coachee's "My coaching" and the coach's "My
coachees", and the coachee's booking. Both homes read through the gate
(`Engagement.objects.restrict(user)`) and run a fixed number of queries whatever the number of
engagements: the engagements (people, company and template joined), then their sessions in one
query, grouped here. The administrator's home is reports/home.py; `optify.views.home` chooses.
"""

from collections import defaultdict

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from engagements import actions
from engagements.home_forms import BookingForm, CancelBookingForm
from engagements.models import (
    ACTIVE_STATUSES,
    Engagement,
    EventStatus,
    Goal,
    Message,
    Progress,
    Session,
)
from engagements.reasons import progress_reason
from engagements.tables import progress_html
from engagements.views import with_list_annotations

# The coach's home lists at most this many engagements; the Engagements page has the rest.
COACH_HOME_LIMIT = 100
# Sessions that happened, shown per engagement on the coachee's home (newest first).
PAST_SESSIONS_SHOWN = 5


def _local(moment, company):
    return timezone.localtime(moment, company.tzinfo)


# -- the coachee ------------------------------------------------------------------------------


def coachee_engagements(user):
    """
    The engagements `user` is the coachee of, running first, then ended ones (their history
    stays readable); drafts are not theirs to see yet. Each carries `upcoming` (scheduled
    sessions still to come, soonest first, each with `can_cancel`), `past` (the latest sessions
    that are behind them) and `shared_notes` (sessions whose notes the coach shared); their
    goals and message threads come prefetched for the sections (`engagement_parts`).
    """
    now = timezone.now()
    engagements = list(
        Engagement.objects.restrict(user).filter(coachee_id=user.pk)
        .exclude(status=Engagement.Status.DRAFT)
        .select_related("coach", "company", "template", "owner")
        .prefetch_related(Prefetch("sessions", queryset=Session.objects.order_by("starts_at")),
                          Prefetch("goals", queryset=Goal.objects.order_by("created_at", "pk")),
                          Prefetch("messages", to_attr="thread_messages",
                                   queryset=Message.objects.order_by("created_at", "pk")))
        .order_by(Case(When(status__in=ACTIVE_STATUSES, then=Value(0)), default=Value(1),
                       output_field=IntegerField()), "-started_on", "-pk")
    )
    for engagement in engagements:
        sessions = list(engagement.sessions.all())
        active = engagement.status == Engagement.Status.ACTIVE
        engagement.upcoming = [s for s in sessions
                               if s.status == EventStatus.SCHEDULED and s.starts_at > now]
        for session in engagement.upcoming:
            session.can_cancel = active
        engagement.next_session = engagement.upcoming[0] if engagement.upcoming else None
        behind = [s for s in sessions if s not in engagement.upcoming]
        engagement.past = behind[::-1][:PAST_SESSIONS_SHOWN]
        engagement.past_count = len(behind)
        engagement.shared_notes = [s for s in behind[::-1] + engagement.upcoming
                                   if s.notes_shared and s.notes]
        engagement.can_book = active
    return engagements


@login_required
def my_coaching(request, *, extra=None, status=None):
    """
    The coachee's home: their coach, their sessions, booking, the notes shared with them.
    `extra` adds to its context: a goal or message form posted from here with its errors
    (engagements/participant_views.py), shown again where it was typed.
    """
    return render(request, "engagements/homes/coachee.html", {
        "engagements": coachee_engagements(request.user), **(extra or {}),
    }, status=status)


def lands_on_my_coaching(request):
    """Whether the site's home ("/", optify.views.home) is "My coaching" for this person."""
    user = request.user
    if user.company_id and user.is_company_admin:
        return False
    coaches, _ = roles_of(request)
    return not coaches


def _home():
    """Where the coachee goes back to: their home."""
    return redirect("engagements:my_coaching")


@login_required
@require_http_methods(["GET", "POST"])
def book_session(request, pk):
    """
    The coachee books a session with their coach: a day and time in the company's timezone,
    still to come, while the engagement is active (actions.do_book_session checks it all again
    under the engagement's lock and re-evaluates its progress at once). Out of scope: 404; an
    administrator or the coach, who schedule on the engagement's page: 403; ended or not
    active yet: back home with the reason.
    """
    engagement = actions.engagement_for(request.user, pk)
    try:
        actions.check(request.user, engagement, actions.BOOK_SESSION)
    except actions.ActionRefused as refusal:
        messages.error(request, str(refusal))
        return _home()
    form = BookingForm(engagement, request.user,
                       data=request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            session = actions.do_book_session(
                engagement, by=request.user, starts_at=form.cleaned_data["starts_at"],
                duration_minutes=form.cleaned_data["duration_minutes"])
        except actions.ActionRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            when = formats.date_format(_local(session.starts_at, engagement.company),
                                       "D j M, H:i")
            messages.success(request, _("Session booked with %(coach)s on %(when)s.") % {
                "coach": engagement.coach, "when": when})
            return _home()
    return render(request, "engagements/homes/book.html", {
        "engagement": engagement, "form": form, "tz": engagement.company.timezone,
    }, status=400 if form.is_bound else 200)


@login_required
@require_http_methods(["GET", "POST"])
def cancel_booking(request, pk, session_pk):
    """The coachee cancels one of their sessions still to come (confirmed, reason optional)."""
    engagement = actions.engagement_for(request.user, pk)
    session = get_object_or_404(Session, pk=session_pk, engagement=engagement)
    try:
        actions.check(request.user, engagement, actions.CANCEL_BOOKING)
    except actions.ActionRefused as refusal:
        messages.error(request, str(refusal))
        return _home()
    form = CancelBookingForm(data=request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            actions.do_cancel_booked_session(session, by=request.user,
                                             reason=form.cleaned_data["reason"])
        except actions.ActionRefused as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, _("Session cancelled."))
        return _home()
    return render(request, "engagements/homes/cancel_booking.html", {
        "engagement": engagement, "session": session, "form": form,
        "tz": engagement.company.timezone,
    }, status=400 if form.is_bound else 200)


# -- the coach --------------------------------------------------------------------------------


def coach_engagements(user, *, include_completed=False, limit=COACH_HOME_LIMIT):
    """
    The engagements `user` coaches, what needs attention first: off track (the longest first),
    then going off track soonest (`seen_off_track_on`), then by next session; ended ones last
    when asked for. Each carries `due` (its scheduled sessions that have started: to mark
    held), `next_session`, `reason` (rule 10), `open_goals` and its thread's latest message
    (`last_message_at`, `last_message_by`). Three queries: the engagements (the goals and the
    latest message as subqueries on their (engagement, created_at) indexes), their companies
    and owners (with_list_annotations), their scheduled sessions.
    """
    now = timezone.now()
    engagements = Engagement.objects.restrict(user).filter(coach_id=user.pk).exclude(
        status=Engagement.Status.DRAFT)
    if not include_completed:
        engagements = engagements.filter(status__in=ACTIVE_STATUSES)
    latest = Message.objects.filter(engagement=OuterRef("pk")).order_by("-created_at", "-pk")
    open_goals = (Goal.objects.filter(engagement=OuterRef("pk"), achieved_at__isnull=True)
                  .order_by().values("engagement").annotate(n=Count("pk")).values("n"))
    engagements = list(
        with_list_annotations(engagements)
        .annotate(open_goals=Coalesce(Subquery(open_goals), 0),
                  last_message_at=Subquery(latest.values("created_at")[:1]),
                  last_message_by=Subquery(latest.values("author_name")[:1]))
        .prefetch_related(Prefetch(
            "sessions", to_attr="scheduled",
            queryset=Session.objects.filter(status=EventStatus.SCHEDULED).order_by("starts_at")))
        .order_by(
            Case(When(status__in=ACTIVE_STATUSES, then=Value(0)), default=Value(1),
                 output_field=IntegerField()),
            Case(When(seen_progress=Progress.OFF_TRACK, then=Value(0)), default=Value(1),
                 output_field=IntegerField()),
            F("seen_off_track_since").asc(nulls_last=True),
            F("seen_off_track_on").asc(nulls_last=True),
            F("next_event_on").asc(nulls_last=True),
            "coachee__full_name", "pk",
        )[:limit]
    )
    for engagement in engagements:
        engagement.due = [s for s in engagement.scheduled if s.starts_at <= now]
        ahead = [s for s in engagement.scheduled if s.starts_at > now]
        engagement.next_session = ahead[0] if ahead else None
        engagement.progress_badge = progress_html(engagement.seen_progress)
        engagement.reason = (progress_reason(engagement, engagement.pause_reason or "")
                             if engagement.sees_progress else "")
        engagement.can_schedule = engagement.status == Engagement.Status.ACTIVE
    return engagements


def coach_summary(engagements):
    """How many of the running engagements are off track, and going off track within 7 days."""
    counts = defaultdict(int)
    for engagement in engagements:
        if not engagement.is_running:
            continue
        counts["running"] += 1
        if engagement.seen_progress == Progress.OFF_TRACK:
            counts["off_track"] += 1
        elif engagement.seen_off_track_on is not None:
            today = engagement.company.local_today()
            if (engagement.seen_off_track_on - today).days <= 7:
                counts["soon"] += 1
    return counts


@login_required
def my_coachees(request):
    """The coach's home: the engagements they coach, what needs attention first."""
    include_completed = bool(request.GET.get("include_completed"))
    engagements = coach_engagements(request.user, include_completed=include_completed)
    return render(request, "engagements/homes/coach.html", {
        "engagements": engagements,
        "summary": coach_summary(engagements),
        "include_completed": include_completed,
        "limit": COACH_HOME_LIMIT,
        "now": timezone.now(),
        "list_url": reverse("engagements:list"),
    })


def coaches_or_is_coached(user):
    """
    (coaches anything, is coached in anything), drafts aside: one query of two index
    lookups, for choosing a home and the navigation's items.
    """
    launched = Engagement.objects.exclude(status=Engagement.Status.DRAFT)
    row = get_user_model().objects.filter(pk=user.pk).values_list(
        Exists(launched.filter(coach_id=OuterRef("pk"))),
        Exists(launched.filter(coachee_id=OuterRef("pk"))),
    ).first()
    return tuple(row) if row else (False, False)


def roles_of(request):
    """`coaches_or_is_coached(request.user)`, once per request (the home and the navigation)."""
    if not hasattr(request, "_optify_person_roles"):
        request._optify_person_roles = coaches_or_is_coached(request.user)
    return request._optify_person_roles
