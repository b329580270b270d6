"""
Pausing an engagement's tracking (rule 9), from the engagement page: administrators who
manage it pause it, change a pause or end it early; its coach asks for one, and an
administrator approves or declines the request. Every write is an action of
engagements/actions.py, which checks everything again under the engagement's lock.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from engagements import actions
from engagements.models import Pause
from engagements.pause_forms import PauseForm
from engagements.views import engagement_detail


def _pause_of(request, pk, pause_pk):
    # Through the engagement's gate first: a guessed pause of another tenant is a 404.
    engagement = actions.engagement_for(request.user, pk)
    return engagement, get_object_or_404(Pause, pk=pause_pk, engagement_id=engagement.pk)


def _done(request, engagement, act, message):
    try:
        act()
    except actions.ActionRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, message)
    return redirect(f"{engagement.get_absolute_url()}#pauses")


@require_POST
@login_required
def pause(request, pk):
    """Pause tracking (an administrator who manages it) or ask for a pause (its coach)."""
    engagement = actions.engagement_for(request.user, pk)
    managing = actions.may(request.user, engagement, actions.PAUSE)
    rule = actions.PAUSE if managing else actions.REQUEST_PAUSE
    try:
        actions.check(request.user, engagement, rule)
    except actions.ActionRefused as refusal:
        messages.error(request, str(refusal))
        return redirect(engagement)
    form = PauseForm(request.POST)
    if not form.is_valid():
        return engagement_detail(request, pk, forms={"pause": form})
    act = actions.do_pause_engagement if managing else actions.do_request_pause
    try:
        act(engagement, by=request.user, **form.cleaned_data)
    except actions.ActionRefused as refusal:
        form.add_error(None, str(refusal))
        return engagement_detail(request, pk, forms={"pause": form})
    messages.success(request, _("Tracking paused.") if managing
                     else _("Pause requested: an administrator will answer it."))
    return redirect(f"{engagement.get_absolute_url()}#pauses")


@require_POST
@login_required
def change_pause(request, pk, pause_pk):
    engagement, pause_ = _pause_of(request, pk, pause_pk)
    form = PauseForm(request.POST, prefix_id=f"pause_{pause_.pk}")
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(f"{engagement.get_absolute_url()}#pauses")
    return _done(request, engagement,
                 lambda: actions.do_change_pause(pause_, by=request.user, **form.cleaned_data),
                 _("Pause changed."))


@require_POST
@login_required
def end_pause(request, pk, pause_pk):
    engagement, pause_ = _pause_of(request, pk, pause_pk)
    try:
        ended = actions.do_end_pause(pause_, by=request.user)
    except actions.ActionRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("Pause cancelled: it had not begun.")
                         if ended.status == Pause.Status.CANCELLED
                         else _("Pause ended: tracking resumes today."))
    return redirect(f"{engagement.get_absolute_url()}#pauses")


@require_POST
@login_required
def approve_pause(request, pk, pause_pk):
    engagement, pause_ = _pause_of(request, pk, pause_pk)
    return _done(request, engagement,
                 lambda: actions.do_approve_pause(pause_, by=request.user),
                 _("Pause approved: the coach is told."))


@require_POST
@login_required
def decline_pause(request, pk, pause_pk):
    engagement, pause_ = _pause_of(request, pk, pause_pk)
    return _done(request, engagement,
                 lambda: actions.do_decline_pause(pause_, by=request.user),
                 _("Pause request declined: the coach is told."))
