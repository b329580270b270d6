"""
End early / mark complete: a confirmation page (GET, linked from the row menu and the
engagement page) that names the engagement and what will happen, and the action (POST).
The bulk variant receives the Engagements list's selection and confirms the same way.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from engagements import actions, lifecycle
from engagements.lifecycle_forms import BulkActionForm, EndEarlyForm
from engagements.models import ACTIVE_STATUSES, Engagement
from optify.links import safe_next


def _next_url(request):
    """Where to go back to: the page the action came from, if it is ours, else the list."""
    return safe_next(request, reverse("engagements:list"))


def _ending_view(request, pk, *, action):
    engagement = actions.get_manageable(request.user, pk)
    bound = request.POST if request.method == "POST" else None
    form = EndEarlyForm(bound) if action == "end_early" else None
    if engagement.is_ended:
        # Refused with a clear message, whether it ended long ago or a second ago.
        messages.error(request, actions.ended_message(engagement))
        if request.method == "POST":
            return redirect(_next_url(request))
    elif request.method == "POST" and (form is None or form.is_valid()):
        try:
            if action == "end_early":
                result = actions.do_end_early(engagement, by=request.user,
                                             reason=form.cleaned_data["reason"],
                                             note=form.cleaned_data["note"])
            else:
                result = actions.do_mark_complete(engagement, by=request.user)
        except actions.EndingRefused as refusal:
            messages.error(request, str(refusal))
        else:
            ended = result.ended[0]
            messages.success(request, _done_message(action, [ended], result))
        return redirect(_next_url(request))
    return render(request, "engagements/lifecycle/confirm.html", {
        "engagement": engagement,
        "action": action,
        "form": form,
        "future": lifecycle.future_events([engagement])[engagement.pk],
        "next": _next_url(request),
    })


@login_required
@require_http_methods(["GET", "POST"])
def end_early(request, pk):
    return _ending_view(request, pk, action="end_early")


@login_required
@require_http_methods(["GET", "POST"])
def mark_complete(request, pk):
    return _ending_view(request, pk, action="mark_complete")


def _done_message(action, ended, result):
    if len(ended) == 1:
        message = (_("%(coachee)s's engagement was ended early.") if action == "end_early"
                   else _("%(coachee)s's engagement was marked complete.")) % {
            "coachee": ended[0].coachee}
    else:
        message = (_("%(count)d engagements were ended early.") if action == "end_early"
                   else _("%(count)d engagements were marked complete.")) % {"count": len(ended)}
    cancelled = result.cancelled_sessions + result.cancelled_discovery_calls
    if cancelled:
        message += " " + ngettext("%(count)d future scheduled event cancelled.",
                                  "%(count)d future scheduled events cancelled.",
                                  cancelled) % {"count": cancelled}
    return message


@login_required
@require_POST
def bulk_action(request):
    """
    Two steps, both POST: the list posts the selection (`pk` repeated, `action`), this page
    confirms it (listing the rows it will act on and those it will not), and posts again with
    `confirm` to act. Rows the user cannot manage are never acted on.
    """
    form = BulkActionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(_next_url(request))
    action, pks = form.cleaned_data["action"], form.cleaned_data["pk"]
    if not request.user.is_company_admin:
        raise PermissionDenied(_("Only administrators can end engagements."))
    reason_form = EndEarlyForm(request.POST if "confirm" in request.POST else None) \
        if action == "end_early" else None

    if "confirm" in request.POST and (reason_form is None or reason_form.is_valid()):
        if action == "end_early":
            result = actions.do_end_many_early(pks, by=request.user,
                                              reason=reason_form.cleaned_data["reason"],
                                              note=reason_form.cleaned_data["note"])
        else:
            result = actions.do_mark_many_complete(pks, by=request.user)
        if result.ended:
            messages.success(request, _done_message(action, result.ended, result))
        if result.skipped:
            messages.warning(request, ngettext(
                "%(count)d selected engagement had already ended and were left as they were.",
                "%(count)d selected engagements had already ended and were left as they were.",
                len(result.skipped)) % {"count": len(result.skipped)})
        if result.refused:
            messages.error(request, ngettext(
                "%(count)d selected engagement is not yours to end or complete and was left as "
                "it was.",
                "%(count)d selected engagements are not yours to end or complete and were left "
                "as they were.", result.refused) % {"count": result.refused})
        return redirect(_next_url(request))

    selected = list(Engagement.objects.restrict(request.user).filter(pk__in=pks)
                    .select_related("coachee", "coach", "template", "location")
                    .order_by("coachee__full_name", "pk"))
    actionable = [e for e in selected if e.can_manage and e.status in ACTIVE_STATUSES]
    already_ended = [e for e in selected if e.can_manage and e.status not in ACTIVE_STATUSES]
    refused = len(pks) - len(actionable) - len(already_ended)
    future = lifecycle.future_events(actionable)
    for engagement in actionable:
        engagement.future = future[engagement.pk]
    return render(request, "engagements/lifecycle/bulk_confirm.html", {
        "action": action,
        "action_label": dict(BulkActionForm.ACTIONS)[action],
        "form": reason_form,
        "engagements": actionable,
        "already_ended": already_ended,
        "refused": refused,
        "next": _next_url(request),
    })


# The hint lists the engagements that started longest ago first, this many at a time: a big
# tenant can have tens of thousands, and marking some complete brings up the next ones.
READY_TO_COMPLETE_SHOWN = 100


@login_required
@require_GET
def ready_to_complete(request):
    if not request.user.is_company_admin:
        raise PermissionDenied(
            _("Only administrators see engagements that may be ready to complete."))
    engagements = list(lifecycle.ready_to_complete(request.user)[:READY_TO_COMPLETE_SHOWN + 1])
    return render(request, "engagements/lifecycle/ready_to_complete.html", {
        "engagements": engagements[:READY_TO_COMPLETE_SHOWN],
        "more": len(engagements) > READY_TO_COMPLETE_SHOWN,
        "idle_days": lifecycle.READY_TO_COMPLETE_IDLE_DAYS,
    })
