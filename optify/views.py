import hmac

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from engagements import homes
from notifications.health import OutboxCollector
from optify import health, metrics
from reports.home import admin_home


@login_required
def home(request):
    """
    Where a signed-in person lands: their own home (issue 19). Administrators: the programme's
    numbers and what needs attention (reports/home.py); coaches: "My coachees"; everyone else:
    "My coaching", the coachee's home.
    """
    user = request.user
    if user.company_id and user.is_company_admin:
        return admin_home(request)
    return homes.my_coaching(request) if homes.lands_on_my_coaching(request) else (
        homes.my_coachees(request))


def help_page(request):
    """What the marks, pages and emails mean; open to anyone (the sign-in page links to it)."""
    return render(request, "help.html")


@never_cache
def healthz(request):
    """
    For the load balancer and monitoring: 503 only when the database does not answer, else 200
    with "ok" or "degraded" and what is wrong (optify/health.py, docs/operations.md).
    """
    body, status = health.report()
    return JsonResponse(body, status=status)


@never_cache
def metrics_view(request):
    """
    Prometheus metrics (optify/metrics.py), for a scraper holding METRICS_TOKEN as a bearer
    token. Without a token configured the endpoint does not exist; with one (or several,
    comma-separated, while rotating), anything else is refused — signed-in users included:
    the series describe every company at once.
    """
    tokens = [token.strip() for token in settings.METRICS_TOKEN.split(",") if token.strip()]
    if not tokens:
        raise Http404("Metrics are off: set METRICS_TOKEN.")
    supplied = request.headers.get("Authorization", "").encode()
    # Every token is compared, in constant time, so the answer's timing tells nothing.
    matches = [hmac.compare_digest(supplied, f"Bearer {token}".encode()) for token in tokens]
    if not any(matches):
        response = HttpResponse("A bearer token is required.\n", status=401,
                                content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(metrics.exposition(OutboxCollector(), health.HealthCollector()),
                        content_type=metrics.CONTENT_TYPE)
