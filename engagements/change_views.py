"""
Keeping an engagement current from its page: its sessions and discovery calls marked held,
cancelled (with a reason), moved, and annotated by the coach; drafts created, engagements
edited, drafts launched. Each page checks what the action will check (404 for an engagement
the user does not see, 403 for one they only read, a message when it is not possible now),
validates its form, and calls the action (engagements/actions.py), which checks it all again
under the engagement's lock.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from engagements import actions
from engagements.forms import CancelForm, EngagementForm, MoveForm, NoteForm
from engagements.models import DiscoveryCall, Session
from engagements.pickers import FIND

SESSION, CALL = "session", "discovery call"
KINDS = {
    SESSION: {"model": Session, "rule": actions.CHANGE_SESSION, "name": gettext_lazy("session"),
              "move": actions.do_move_session, "cancel": actions.do_cancel_session,
              "complete": actions.do_complete_session},
    CALL: {"model": DiscoveryCall, "rule": actions.CHANGE_CALL,
           "name": gettext_lazy("discovery call"),
           "move": actions.do_move_discovery_call, "cancel": actions.do_cancel_discovery_call,
           "complete": actions.do_complete_discovery_call},
}


def _refused(request, engagement, refusal):
    messages.error(request, str(refusal))
    return redirect(engagement)


def _event_page(request, pk, event_pk, *, kind, rule, form_class, act, done, title):
    engagement = actions.engagement_for(request.user, pk)
    event = get_object_or_404(KINDS[kind]["model"], pk=event_pk, engagement=engagement)
    try:
        actions.check(request.user, engagement, rule)
    except actions.ActionRefused as refusal:
        return _refused(request, engagement, refusal)
    form = form_class(engagement, event, data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            act(event, form.cleaned_data)
        except actions.ActionRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, done)
            return redirect(engagement)
    return render(request, "engagements/event_change.html", {
        "engagement": engagement, "event": event, "kind": KINDS[kind]["name"], "form": form,
        "title": title,
        "tz": engagement.company.timezone,
    }, status=400 if form.is_bound else 200)


def _complete(request, pk, event_pk, kind):
    engagement = actions.engagement_for(request.user, pk)
    event = get_object_or_404(KINDS[kind]["model"], pk=event_pk, engagement=engagement)
    try:
        KINDS[kind]["complete"](event, by=request.user)
    except actions.ActionRefused as refusal:
        return _refused(request, engagement, refusal)
    messages.success(request, _("%(kind)s of %(day)s marked held.") % {
        "kind": capfirst(KINDS[kind]["name"]), "day": date_format(event.starts_at, "j M")})
    return redirect(engagement)


def _move(request, pk, event_pk, kind):
    return _event_page(
        request, pk, event_pk, kind=kind, rule=KINDS[kind]["rule"], form_class=MoveForm,
        title=_("Move the %(kind)s") % {"kind": KINDS[kind]["name"]},
        done=_("%(kind)s moved.") % {"kind": capfirst(KINDS[kind]["name"])},
        act=lambda event, data: KINDS[kind]["move"](event, by=request.user,
                                                     starts_at=data["starts_at"]))


def _cancel(request, pk, event_pk, kind):
    return _event_page(
        request, pk, event_pk, kind=kind, rule=KINDS[kind]["rule"], form_class=CancelForm,
        title=_("Cancel the %(kind)s") % {"kind": KINDS[kind]["name"]},
        done=_("%(kind)s cancelled.") % {"kind": capfirst(KINDS[kind]["name"])},
        act=lambda event, data: KINDS[kind]["cancel"](event, by=request.user,
                                                       reason=data["reason"]))


@login_required
@require_POST
def complete_session(request, pk, session_pk):
    return _complete(request, pk, session_pk, SESSION)


@login_required
@require_http_methods(["GET", "POST"])
def move_session(request, pk, session_pk):
    return _move(request, pk, session_pk, SESSION)


@login_required
@require_http_methods(["GET", "POST"])
def cancel_session(request, pk, session_pk):
    return _cancel(request, pk, session_pk, SESSION)


@login_required
@require_http_methods(["GET", "POST"])
def session_notes(request, pk, session_pk):
    return _event_page(
        request, pk, session_pk, kind=SESSION, rule=actions.WRITE_NOTES, form_class=NoteForm,
        title=_("Session notes"), done=_("Notes saved."),
        act=lambda session, data: actions.do_write_session_notes(
            session, by=request.user, notes=data["notes"],
            shared=data["visibility"] == NoteForm.SHARED))


@login_required
@require_POST
def complete_call(request, pk, call_pk):
    return _complete(request, pk, call_pk, CALL)


@login_required
@require_http_methods(["GET", "POST"])
def move_call(request, pk, call_pk):
    return _move(request, pk, call_pk, CALL)


@login_required
@require_http_methods(["GET", "POST"])
def cancel_call(request, pk, call_pk):
    return _cancel(request, pk, call_pk, CALL)


# -- creating, editing and launching ---------------------------------------------------------


def _form_data(request):
    """
    The form's data, or None. A "Find" button (a people picker's search) shows the form
    again with what was entered as its initial values, and saves nothing.
    """
    if request.method != "POST":
        return None, dict(request.GET.items())
    if FIND in request.POST:
        return None, {key: value for key, value in request.POST.items()
                      if key not in ("csrfmiddlewaretoken", FIND)}
    return request.POST, None


@login_required
@require_http_methods(["GET", "POST"])
def create(request):
    user = request.user
    if not user.company_id or not user.is_company_admin:
        raise Http404("No such page.")
    data, initial = _form_data(request)
    form = EngagementForm(data, initial=initial, user=user, company=user.company)
    if data is not None and form.is_valid():
        cleaned = form.cleaned_data
        try:
            engagement = actions.do_create_draft(
                cleaned["template"], by=user, coachee=cleaned["coachee"],
                coach=cleaned.get("coach"), owner=cleaned["owner"],
                location=cleaned.get("location"), started_on=cleaned.get("started_on"))
        except actions.ActionRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("Draft engagement for %(coachee)s created. Launch it "
                                        "when it is ready.") % {"coachee": engagement.coachee})
            return redirect(engagement)
    return render(request, "engagements/engagement_form.html", {
        "form": form, "engagement": None, "title": _("New engagement"),
    }, status=400 if form.is_bound else 200)


@login_required
@require_http_methods(["GET", "POST"])
def edit(request, pk):
    engagement = actions.engagement_for(request.user, pk)
    try:
        actions.check(request.user, engagement, actions.EDIT)
    except actions.ActionRefused as refusal:
        return _refused(request, engagement, refusal)
    data, initial = _form_data(request)
    form = EngagementForm(data, initial=initial, user=request.user,
                          company=engagement.company, engagement=engagement)
    if data is not None and form.is_valid():
        try:
            actions.do_edit_engagement(engagement, by=request.user, **form.changes())
        except actions.ActionRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("Engagement saved."))
            return redirect(engagement)
    return render(request, "engagements/engagement_form.html", {
        "form": form, "engagement": engagement, "title": _("Edit the engagement"),
    }, status=400 if form.is_bound else 200)


@login_required
@require_POST
def launch(request, pk):
    engagement = actions.engagement_for(request.user, pk)
    try:
        actions.do_launch_engagement(engagement, by=request.user)
    except actions.ActionRefused as refusal:
        return _refused(request, engagement, refusal)
    messages.success(request, _("Engagement for %(coachee)s launched.") % {
        "coachee": engagement.coachee})
    return redirect(engagement)
