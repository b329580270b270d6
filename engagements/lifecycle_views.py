from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def end_early(request, pk):
    return HttpResponse("End early: being built (issue 6).")


@login_required
def mark_complete(request, pk):
    return HttpResponse("Mark complete: being built (issue 6).")


@login_required
def bulk_action(request):
    return HttpResponse("Bulk action: being built (issue 6).")


@login_required
def ready_to_complete(request):
    return HttpResponse("May be ready to complete: being built (issue 6).")
