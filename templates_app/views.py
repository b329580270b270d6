from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from engagements.models import AuditEvent, Engagement
from engagements.signals import engagements_status_changed
from templates_app.forms import TRACKING_FIELDS, EngagementTemplateForm, LaunchForm
from templates_app.models import EngagementKind, EngagementTemplate


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
    user = request.user
    form = LaunchForm(request.POST or None, template=template, user=user)
    if request.method == "POST" and form.is_valid():
        from tracking.evaluation import evaluate_engagement
        from tracking.models import ProgressTransition

        matching = template.kind == EngagementKind.COACH_MATCHING
        company = template.company
        with transaction.atomic():
            engagement = Engagement.objects.create(
                company=company, template=template, kind=template.kind,
                owner=form.cleaned_data["owner"],
                location=form.cleaned_data.get("location"),
                coachee=form.cleaned_data["coachee"],
                coach=None if matching else form.cleaned_data["coach"],
                status=Engagement.Status.COACH_MATCHING if matching else Engagement.Status.ACTIVE,
                launched_at=timezone.now(), started_on=company.local_today(),
                **template.tracking_snapshot(),
            )
            # The launcher must be able to manage what they launched (a location
            # administrator, their own location): checked in the same transaction.
            if not Engagement.objects.restrict(user, "manage").filter(pk=engagement.pk).exists():
                transaction.set_rollback(True)
                raise Http404("Out of scope.")
            AuditEvent.record(AuditEvent.Action.LAUNCHED, actor=user, company=company,
                              engagement=engagement, template=template,
                              coachee=str(engagement.coachee),
                              coach=str(engagement.coach) if engagement.coach else "")
            evaluate_engagement(engagement, cause=ProgressTransition.Cause.LAUNCH)
            engagements_status_changed.send(Engagement, engagements=[engagement],
                                            day=engagement.started_on, delta=+1)
        messages.success(request, f"Engagement for {engagement.coachee} launched.")
        return redirect(engagement)
    return render(request, "templates_app/launch.html", {"form": form, "template": template},
                  status=400 if form.is_bound else 200)
