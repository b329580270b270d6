"""The Billing page and its CSV export: a global administrator's own company, no id to guess."""

import csv

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from reports.billing import billing_summary, csv_rows


def _global_admin_company(user):
    # Billing is the company's contract: global administrators only, their own company only
    # (the page takes no id, so there is nothing to guess). Anyone else signed in — location
    # administrators, coaches, coachees — is told they may not see it: 403, the rule
    # lifecycle.get_manageable explains.
    if not (user.is_global_admin and user.company_id):
        raise PermissionDenied(_("Only global administrators see billing."))
    return user.company


@login_required
@require_GET
def billing(request):
    company = _global_admin_company(request.user)
    summary = billing_summary(company, company.local_today())
    return render(request, "reports/billing.html", {"company": company, "summary": summary})


@login_required
@require_GET
def billing_csv(request):
    company = _global_admin_company(request.user)
    today = company.local_today()
    summary = billing_summary(company, today)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="optify-billing-{company.slug}-{today.isoformat()}.csv"'
    )
    writer = csv.writer(response)
    for row in csv_rows(summary, company):
        writer.writerow(row)
    return response
