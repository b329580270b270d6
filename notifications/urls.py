from django.urls import path

from notifications import views, webhook_views

app_name = "notifications"

urlpatterns = [
    path("settings/", views.settings_view, name="settings"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("settings/webhooks/", webhook_views.webhook_list, name="webhooks"),
    path("settings/webhooks/<int:pk>/", webhook_views.webhook_detail, name="webhook"),
    path("settings/webhooks/<int:pk>/test/", webhook_views.webhook_test, name="webhook_test"),
    path("settings/webhooks/<int:pk>/enable/", webhook_views.webhook_enable,
         name="webhook_enable"),
    path("settings/webhooks/<int:pk>/delete/", webhook_views.webhook_delete,
         name="webhook_delete"),
    path("settings/webhooks/<int:pk>/deliveries/<int:delivery_pk>/resend/",
         webhook_views.webhook_resend, name="webhook_resend"),
]
