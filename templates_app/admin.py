from django.contrib import admin

from templates_app.models import EngagementTemplate


@admin.register(EngagementTemplate)
class EngagementTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "company", "kind", "tracking_threshold_days",
                    "offtrack_notifications_enabled"]
    list_filter = ["kind", "offtrack_notifications_enabled", "company"]
    search_fields = ["name"]
