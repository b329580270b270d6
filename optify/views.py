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
    """For the load balancer: the database and the broker answer."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as error:  # noqa: BLE001 - any failure means unhealthy
        checks["database"] = f"error: {error.__class__.__name__}"
    from django.conf import settings

    if settings.REDIS_URL:
        try:
            import redis

            redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1).ping()
            checks["broker"] = "ok"
        except Exception as error:  # noqa: BLE001
            checks["broker"] = f"error: {error.__class__.__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", **checks},
                        status=200 if healthy else 503)
