from django.conf import settings
from django.db import models
from django.urls import reverse


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
        max_length=2000, blank=True, help_text="The report's filters, as a URL query string."
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
