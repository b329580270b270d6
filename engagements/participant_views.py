"""
An engagement's goals and message thread: what its participants write. Goals are set and kept
by the coachee and the coach; the thread is theirs and the managing administrators'
(actions.WRITE_GOALS, actions.POST_MESSAGE, actions.is_participant). The sections are
includes (`{% goals_section %}`, `{% messages_section %}`, engagements/templatetags/
engagement_parts.py) shown on the engagement page and on the coachee's and coach's homes.

Each view reads the engagement through the gate (not seen: 404) and answers:
  - done: back where the form was (`next`, when it is on this site), else to the section;
  - refused — the engagement has ended, or is not launched yet: the engagement page with the
    reason, 409, nothing written (checked before the form, so the reason comes first);
  - not theirs to write (someone who only reads, or does not take part): 403;
  - the form's errors: the page it was posted from, with them and the text typed, 400 — the
    coachee's home when `next` (same host only) is "My coaching" (or the home that is it for
    them), else the engagement page.
The action checks it all again under the engagement's lock: an administrator may be ending it
at this very moment.
"""

from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import Resolver404, resolve
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from engagements import actions, homes
from engagements.models import Goal
from engagements.participant_forms import GoalForm, MessageForm
from engagements.views import engagement_detail

REFUSED = 409


def _refused(request, pk, refusal):
    messages.error(request, str(refusal))
    return engagement_detail(request, pk, status=REFUSED)


def _next(request):
    """The page the form was on (`next`), when it is on this site; else ""."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return ""


def _back(request, engagement, anchor):
    target = _next(request)
    if target:
        return redirect(target if "#" in target else f"{target}#{anchor}")
    return redirect(f"{engagement.get_absolute_url()}#{anchor}")


def _posted_from_my_coaching(request, engagement):
    if engagement.coachee_id != request.user.pk:
        return False  # "My coaching" shows only their own engagements' sections
    try:
        page = resolve(urlsplit(_next(request)).path)
    except Resolver404:
        return False
    return page.view_name == "engagements:my_coaching" or (
        page.view_name == "home" and homes.lands_on_my_coaching(request))


def _invalid(request, engagement, form_key, form):
    extra = {form_key: form}
    if _posted_from_my_coaching(request, engagement):
        return homes.my_coaching(request, extra=extra, status=400)
    return engagement_detail(request, engagement.pk, extra=extra, status=400)


def _write(request, pk, *, rule, form_class, form_key, act, done, anchor):
    engagement = actions.engagement_for(request.user, pk)
    try:
        actions.check(request.user, engagement, rule)
    except actions.ActionRefused as refusal:
        return _refused(request, pk, refusal)
    form = form_class(request.POST, engagement=engagement)
    if not form.is_valid():
        return _invalid(request, engagement, form_key, form)
    try:
        act(engagement, form.cleaned_data)
    except actions.ActionRefused as refusal:
        return _refused(request, pk, refusal)
    messages.success(request, done)
    return _back(request, engagement, anchor)


@login_required
@require_POST
def add_goal(request, pk):
    return _write(
        request, pk, rule=actions.WRITE_GOALS, form_class=GoalForm, form_key="goal_form",
        done=_("Goal added."), anchor=f"goals-{pk}",
        act=lambda engagement, data: actions.do_add_goal(
            engagement, by=request.user, title=data["title"], detail=data["detail"]))


@login_required
@require_POST
def post_message(request, pk):
    return _write(
        request, pk, rule=actions.POST_MESSAGE, form_class=MessageForm,
        form_key="message_form", done=_("Message sent."), anchor=f"messages-{pk}",
        act=lambda engagement, data: actions.do_post_message(
            engagement, by=request.user, body=data["body"]))


def _goal(request, pk, goal_pk):
    engagement = actions.engagement_for(request.user, pk)
    return engagement, get_object_or_404(Goal, pk=goal_pk, engagement=engagement)


@login_required
@require_http_methods(["GET", "POST"])
def edit_goal(request, pk, goal_pk):
    engagement, goal = _goal(request, pk, goal_pk)
    try:
        actions.check(request.user, engagement, actions.WRITE_GOALS)
    except actions.ActionRefused as refusal:
        return _refused(request, pk, refusal)
    data = request.POST if request.method == "POST" else None
    form = GoalForm(data, engagement=engagement, goal=goal)
    if data is not None and form.is_valid():
        try:
            actions.do_edit_goal(goal, by=request.user, title=form.cleaned_data["title"],
                                 detail=form.cleaned_data["detail"])
        except actions.ActionRefused as refusal:
            return _refused(request, pk, refusal)
        messages.success(request, _("Goal saved."))
        return _back(request, engagement, f"goal-{goal.pk}")
    return render(request, "engagements/goal_edit.html", {
        "engagement": engagement, "goal": goal, "form": form,
        "next": request.GET.get("next", ""),
    }, status=400 if form.is_bound else 200)


def _mark(request, pk, goal_pk, *, achieved, done):
    engagement, goal = _goal(request, pk, goal_pk)
    try:
        actions.do_mark_goal_achieved(goal, by=request.user, achieved=achieved)
    except actions.ActionRefused as refusal:
        return _refused(request, pk, refusal)
    messages.success(request, done)
    return _back(request, engagement, f"goal-{goal.pk}")


@login_required
@require_POST
def goal_achieved(request, pk, goal_pk):
    return _mark(request, pk, goal_pk, achieved=True, done=_("Goal marked achieved."))


@login_required
@require_POST
def goal_reopened(request, pk, goal_pk):
    return _mark(request, pk, goal_pk, achieved=False, done=_("Goal reopened."))
