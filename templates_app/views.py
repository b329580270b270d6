from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from engagements import actions
from engagements.models import AuditEvent
from templates_app.forms import TRACKING_FIELDS, EngagementTemplateForm, LaunchForm
from templates_app.models import EngagementTemplate


def _templates_for(user):
    """Templates belong to a company; its administrators (global or location) use them."""
    if not user.company_id or not user.is_company_admin:
        raise Http404("No templates here.")
    return EngagementTemplate.objects.filter(company_id=user.company_id)


def _editable_by(user):
    # Templates set company-wide policy (thresholds, emails): global administrators edit
    # them; location administrators launch from them.
    if not user.is_global_admin:
        raise Http404("No templates here.")
    return _templates_for(user)


@login_required
def template_list(request):
    templates = _templates_for(request.user).order_by("name")
    return render(request, "templates_app/list.html", {
        "templates": templates, "can_edit": request.user.is_global_admin,
    })


@login_required
def template_create(request):
    _editable_by(request.user)
    form = EngagementTemplateForm(request.POST or None, company=request.user.company)
    if request.method == "POST" and form.is_valid():
        template = form.save()
        messages.success(request, f"Template “{template.name}” created.")
        return redirect("templates_app:list")
    return render(request, "templates_app/form.html", {"form": form, "template": None},
                  status=400 if form.is_bound else 200)


@login_required
def template_edit(request, pk):
    template = get_object_or_404(_editable_by(request.user), pk=pk)
    form = EngagementTemplateForm(request.POST or None, instance=template,
                                  company=request.user.company)
    if request.method == "POST":
        before = form.tracking_before()
        if form.is_valid():
            with transaction.atomic():
                template = form.save()
                changes = {name: [before[name], getattr(template, name)]
                           for name in TRACKING_FIELDS if before[name] != getattr(template, name)}
                if changes:
                    AuditEvent.record(AuditEvent.Action.TEMPLATE_TRACKING_CHANGED,
                                      actor=request.user, company=template.company,
                                      template=template, **changes)
            messages.success(request, f"Template “{template.name}” saved. Running engagements "
                                      "keep the settings they were launched with.")
            return redirect("templates_app:list")
    return render(request, "templates_app/form.html", {"form": form, "template": template},
                  status=400 if form.is_bound else 200)


@login_required
def launch(request, pk):
    template = get_object_or_404(_templates_for(request.user), pk=pk)
    form = LaunchForm(request.POST or None, template=template, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            engagement = actions.do_launch_from_template(
                template, by=request.user, coachee=data["coachee"], coach=data.get("coach"),
                owner=data["owner"], location=data.get("location"))
        except actions.ActionRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, f"Engagement for {engagement.coachee} launched.")
            return redirect(engagement)
    return render(request, "templates_app/launch.html", {"form": form, "template": template},
                  status=400 if form.is_bound else 200)
