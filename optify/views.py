import redis
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.models import Count, Q
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from engagements.models import ENDED_STATUSES, Engagement


@login_required
def home(request):
    """The signed-in landing page: what needs attention, at a glance."""
    counts = Engagement.objects.visible_to(request.user).exclude(
        status__in=ENDED_STATUSES
    ).aggregate(
        running=Count("pk"),
        off_track=Count("pk", filter=Q(visible_progress="off_track")),
        on_track=Count("pk", filter=Q(visible_progress="on_track")),
    )
    return render(request, "home.html", {"counts": counts})


@never_cache
def healthz(request):
    """
    For the load balancer and monitoring. Unhealthy (503) when the database does not answer:
    nothing works then. A broker that does not answer is reported ("degraded") but the
    answer stays 200: pages work without Redis (tasks wait in the outbox and run once it is
    back), so taking every web server out of the pool would turn a background delay into an
    outage.
    """
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as error:  # noqa: BLE001 - any failure means unhealthy
        checks["database"] = f"error: {error.__class__.__name__}"
    if settings.REDIS_URL:
        try:
            redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1).ping()
            checks["broker"] = "ok"
        except Exception as error:  # noqa: BLE001
            checks["broker"] = f"error: {error.__class__.__name__}"
    if checks["database"] != "ok":
        status = "error"
    else:
        status = "ok" if all(value == "ok" for value in checks.values()) else "degraded"
    return JsonResponse({"status": status, **checks}, status=503 if status == "error" else 200)
