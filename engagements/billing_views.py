from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def billing(request):
    return HttpResponse("Billing: being built (issue 6).")


@login_required
def billing_csv(request):
    return HttpResponse("Billing CSV: being built (issue 6).")
