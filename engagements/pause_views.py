"""
Pausing an engagement's tracking (rule 9), from the engagement page: administrators who
manage it pause it, change or end a pause; its coach asks for one, and an administrator
approves or declines the request. Every write is an action of engagements/actions.py.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from engagements import actions
from engagements.models import Pause
from engagements.pause_forms import PauseForm


def _refused(request, engagement_pk, refusal):
    messages.error(request, str(refusal))
    return redirect("engagements:detail", engagement_pk)


@login_required
@require_POST
def pause(request, pk):
    """Pause (an administrator) or ask for a pause (the coach)."""
    engagement = actions.engagement_for(request.user, pk)
    form = PauseForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(engagement)
    action = (actions.do_pause_engagement if engagement.can_manage
              else actions.do_request_pause)
    try:
        action(engagement, by=request.user, **form.cleaned_data)
    except actions.ActionRefused as refusal:
        return _refused(request, pk, refusal)
    messages.success(request, "Tracking paused." if engagement.can_manage
                     else "Pause requested: an administrator will answer.")
    return redirect(engagement)


def _pause_of(request, pk, pause_pk):
    # Seen through the engagement's gate first: a guessed pause of another tenant is a 404.
    actions.engagement_for(request.user, pk)
    return get_object_or_404(Pause, pk=pause_pk, engagement_id=pk)


@login_required
@require_POST
def change_pause(request, pk, pause_pk):
    pause_ = _pause_of(request, pk, pause_pk)
    form = PauseForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("engagements:detail", pk)
    try:
        actions.do_change_pause(pause_, by=request.user, **form.cleaned_data)
    except actions.ActionRefused as refusal:
        return _refused(request, pk, refusal)
    messages.success(request, "Pause changed.")
    return redirect("engagements:detail", pk)


@login_required
@require_POST
def end_pause(request, pk, pause_pk):
    pause_ = _pause_of(request, pk, pause_pk)
    try:
        actions.do_end_pause(pause_, by=request.user)
    except actions.ActionRefused as refusal:
        return _refused(request, pk, refusal)
    messages.success(request, "Pause ended: tracking resumes today.")
    return redirect("engagements:detail", pk)


@login_required
@require_POST
def answer_pause(request, pk, pause_pk):
    pause_ = _pause_of(request, pk, pause_pk)
    approve = request.POST.get("answer") == "approve"
    try:
        actions.do_approve_pause(pause_, by=request.user, approve=approve)
    except actions.ActionRefused as refusal:
        return _refused(request, pk, refusal)
    messages.success(request, "Pause approved." if approve else "Pause request declined.")
    return redirect("engagements:detail", pk)
