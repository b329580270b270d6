from django.conf import settings
from django.urls import NoReverseMatch, reverse

# (label, url name, who sees it)
NAVIGATION = [
    ("Engagements", "engagements:list", "anyone"),
    ("Report", "reports:report", "staff_of_engagements"),
    ("Templates", "templates_app:list", "admin"),
    # Running engagements with nothing ahead and nothing for long (engagements/lifecycle.py).
    ("Ready to complete?", "engagements:ready_to_complete", "admin"),
    ("Billing", "engagements:billing", "global_admin"),
    ("Settings", "notifications:settings", "anyone"),
]


def _allowed(user, who):
    if who == "anyone":
        return True
    if who == "global_admin":
        return user.is_global_admin
    if who == "admin":
        return user.is_company_admin
    # Administrators and coaches: the report is theirs, not the coachees'.
    return user.is_company_admin or user.coach_engagements.exists()


def site(request):
    context = {"SITE_URL": settings.SITE_URL, "navigation": []}
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return context
    path = request.path
    for label, name, who in NAVIGATION:
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue  # a page this build does not have
        if _allowed(user, who):
            context["navigation"].append(
                {"label": label, "url": url, "current": path.startswith(url)}
            )
    return context
