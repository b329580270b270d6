from django.contrib import admin
from django.urls import include, path

from optify import views
from reports import billing_views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", views.metrics_view, name="metrics"),
    path("help/", views.help_page, name="help"),
    path("accounts/", include("accounts.urls")),
    # Billing lived under engagements/ until issue 13: the addresses users bookmarked still
    # answer, with the same page and file as reports:billing and reports:billing_csv.
    path("engagements/billing/", billing_views.billing),
    path("engagements/billing.csv", billing_views.billing_csv),
    path("people/", include("accounts.people_urls")),
    path("engagements/", include("engagements.urls")),
    path("templates/", include("templates_app.urls")),
    path("reports/", include("reports.urls")),
    path("", include("notifications.urls")),
    path("api/", include("optify.api.urls")),
    path("admin/", admin.site.urls),
]
