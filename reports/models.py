from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class SavedViewQuerySet(models.QuerySet):
    def owned_by(self, user):
        """A user's own saved views, in their current company: nobody else's, ever."""
        if not user.is_authenticated or not user.company_id:
            return self.none()
        return self.filter(owner=user, company_id=user.company_id)


class SavedView(models.Model):
    """
    A named report: the filters (the report's query string, which is its whole state) and
    the columns an administrator chose, to reopen later. Private to its owner.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_report_views"
    )
    # Kept beside the owner so that a user who moves company does not carry views across.
    company = models.ForeignKey("accounts.Company", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)
    query = models.CharField(
        max_length=2000, blank=True, help_text=_("The report's filters, as a URL query string.")
    )
    columns = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SavedViewQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "company", "name"],
                                    name="saved_view_unique_name"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("reports:saved_view", args=[self.pk])


class BillingDay(models.Model):
    """
    One day's distinct active clients and coaches, for a company (`whole_company`) or one of its
    locations (location None with `whole_company` False: engagements without a location).

    The Billing page's store (reports/billing.py): a day is computed once, the first time the
    page needs it, and kept, so the page reads at most 366 small rows per scope instead of
    sweeping a year of engagements. What keeps stored days true when engagements change is in
    reports/billing.py and reports/receivers.py.
    """

    company = models.ForeignKey("accounts.Company", on_delete=models.CASCADE, related_name="+")
    whole_company = models.BooleanField()
    location = models.ForeignKey("accounts.Location", on_delete=models.CASCADE, null=True,
                                 blank=True, related_name="+")
    day = models.DateField()
    clients = models.PositiveIntegerField()
    coaches = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "day"], condition=models.Q(
                whole_company=True), name="billingday_company_day"),
            models.UniqueConstraint(fields=["company", "location", "day"], condition=models.Q(
                whole_company=False, location__isnull=False), name="billingday_location_day"),
            models.UniqueConstraint(fields=["company", "day"], condition=models.Q(
                whole_company=False, location__isnull=True), name="billingday_no_location_day"),
            models.CheckConstraint(
                condition=models.Q(whole_company=False) | models.Q(location__isnull=True),
                name="billingday_company_has_no_location"),
        ]

    def __str__(self):
        scope = "company" if self.whole_company else (self.location or "no location")
        return f"{self.day} {scope}: {self.clients} clients, {self.coaches} coaches"
