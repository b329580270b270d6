from django.conf import settings
from django.urls import reverse

# (label, url name, who sees it)
NAVIGATION = [
    ("Engagements", "engagements:list", "anyone"),
    ("Report", "reports:report", "staff_of_engagements"),
    ("Templates", "templates_app:list", "admin"),
    ("People", "people:list", "admin"),
    # Running engagements with nothing ahead and nothing for long (engagements/lifecycle.py).
    ("Ready to complete?", "engagements:ready_to_complete", "admin"),
    ("Billing", "reports:billing", "global_admin"),
    ("Settings", "notifications:settings", "anyone"),
    ("Help", "help", "anyone"),
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
    items = [{"label": label, "url": reverse(name), "current": False}
             for label, name, who in NAVIGATION if _allowed(user, who)]
    # The current item is the one whose address is the longest start of this page's: Billing
    # (/reports/billing/), not Report as well.
    matching = [item for item in items if request.path.startswith(item["url"])]
    if matching:
        max(matching, key=lambda item: len(item["url"]))["current"] = True
    context["navigation"] = items
    return context
