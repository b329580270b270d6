from django.contrib import admin
from django.urls import include, path

from optify import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("accounts.urls")),
    path("engagements/", include("engagements.urls")),
    path("templates/", include("templates_app.urls")),
    path("reports/", include("reports.urls")),
    path("", include("notifications.urls")),
    path("admin/", admin.site.urls),
]
