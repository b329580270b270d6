from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from engagements.homes import roles_of

# (label, url name, who sees it)
NAVIGATION = [
    # A coachee's own engagements are on their home ("My coaching"), not in a table.
    (_("Engagements"), "engagements:list", "staff_of_engagements"),
    (_("Report"), "reports:report", "staff_of_engagements"),
    (_("Templates"), "templates_app:list", "admin"),
    (_("People"), "people:list", "admin"),
    # Running engagements with nothing ahead and nothing for long (engagements/lifecycle.py).
    (_("Ready to complete?"), "engagements:ready_to_complete", "admin"),
    (_("Billing"), "reports:billing", "global_admin"),
    (_("Settings"), "notifications:settings", "anyone"),
    (_("Help"), "help", "anyone"),
]


def _allowed(request, user, who):
    if who == "anyone":
        return True
    if who == "global_admin":
        return user.is_global_admin
    if who == "admin":
        return user.is_company_admin
    # Administrators and coaches: the list and the report are theirs, not the coachees'.
    return user.is_company_admin or roles_of(request)[0]


def _homes(request, user):
    """
    Each person's home first (issue 19), as (label, url): administrators' "Home"; a coach's
    "My coachees"; a coachee's "My coaching" (both, for someone who is both). The first is
    what "/" shows them. Administrators cost no query here (the lists' query counts are pinned).
    """
    if user.company_id and user.is_company_admin:
        return [(_("Home"), reverse("home"))]
    coaches, coached = roles_of(request)
    items = []
    if coaches:
        items.append((_("My coachees"), reverse("engagements:my_coachees")))
    if coached or not coaches:
        items.append((_("My coaching"), reverse("engagements:my_coaching")))
    return items


def site(request):
    context = {"SITE_URL": settings.SITE_URL, "navigation": []}
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return context
    homes = [{"label": label, "url": url, "current": request.path == url}
             for label, url in _homes(request, user)]
    # "/" shows the first home.
    homes[0]["current"] |= request.path == reverse("home")
    items = [{"label": label, "url": reverse(name), "current": False}
             for label, name, who in NAVIGATION if _allowed(request, user, who)]
    # The current item is the one whose address is the longest start of this page's: Billing
    # (/reports/billing/), not Report as well.
    matching = [item for item in items if request.path.startswith(item["url"])]
    if matching and not any(item["current"] for item in homes):
        max(matching, key=lambda item: len(item["url"]))["current"] = True
    context["navigation"] = homes + items
    return context
