"""
The Webhooks pages under Settings: a company's endpoints, for its global administrators only
(403 for anyone else signed in, as the Billing page); an endpoint of another company is 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from notifications import webhooks
from notifications.models import WebhookDelivery, WebhookEndpoint
from notifications.webhook_forms import WebhookEndpointForm

LOG_ROWS = 100


def _company(user):
    if not (user.is_global_admin and user.company_id):
        raise PermissionDenied(_("Only global administrators manage webhooks."))
    return user.company


def _endpoint(request, pk):
    company = _company(request.user)
    return get_object_or_404(WebhookEndpoint, pk=pk, company=company)


@login_required
@require_http_methods(["GET", "POST"])
def webhook_list(request):
    company = _company(request.user)
    form = WebhookEndpointForm(request.POST or None,
                               instance=WebhookEndpoint(company=company, created_by=request.user))
    if request.method == "POST" and form.is_valid():
        endpoint = form.save(commit=False)
        endpoint.secret = webhooks.new_secret()
        endpoint.save()
        # Shown once, on the next page: kept in the session only until then.
        request.session[f"webhook-secret-{endpoint.pk}"] = endpoint.secret
        messages.success(request, _("The endpoint is registered."))
        return redirect("notifications:webhook", endpoint.pk)
    endpoints = WebhookEndpoint.objects.filter(company=company)
    return render(request, "notifications/webhooks.html",
                  {"endpoints": endpoints, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def webhook_detail(request, pk):
    endpoint = _endpoint(request, pk)
    form = WebhookEndpointForm(request.POST or None, instance=endpoint)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The endpoint is saved."))
        return redirect("notifications:webhook", endpoint.pk)
    deliveries = (WebhookDelivery.objects.filter(endpoint=endpoint)
                  .select_related("message").order_by("-pk")[:LOG_ROWS])
    secret = request.session.pop(f"webhook-secret-{endpoint.pk}", None)
    return render(request, "notifications/webhook.html", {
        "endpoint": endpoint, "form": form, "deliveries": deliveries, "secret": secret,
        "days": webhooks.FAILING_DAYS})


@login_required
@require_POST
def webhook_test(request, pk):
    endpoint = _endpoint(request, pk)
    webhooks.send_test_event(endpoint, request.user)
    messages.success(request, _("A test event is on its way: its delivery is at the top of "
                                "the log."))
    return redirect("notifications:webhook", endpoint.pk)


@login_required
@require_POST
def webhook_resend(request, pk, delivery_pk):
    endpoint = _endpoint(request, pk)
    delivery = get_object_or_404(WebhookDelivery, pk=delivery_pk, endpoint=endpoint)
    webhooks.resend(delivery)
    webhooks.enqueue_delivery()
    messages.success(request, _("The event will be sent again, with the same webhook-id."))
    return redirect("notifications:webhook", endpoint.pk)


@login_required
@require_POST
def webhook_enable(request, pk):
    endpoint = _endpoint(request, pk)
    webhooks.enable(endpoint)
    messages.success(request, _("The endpoint is enabled again."))
    return redirect("notifications:webhook", endpoint.pk)


@login_required
@require_POST
def webhook_delete(request, pk):
    endpoint = _endpoint(request, pk)
    endpoint.delete()
    messages.success(request, _("The endpoint is deleted."))
    return redirect("notifications:webhooks")
