from django.contrib import admin

from engagements.models import AuditEvent, CoachSelection, DiscoveryCall, Engagement, Session
from engagements.signals import engagement_people_changed, engagement_start_moved

# What an engagement counts for on a day, besides its start (engagement_people_changed).
COUNTED_FIELDS = {"company", "location", "coachee", "coach", "status", "ended_on"}


class SessionInline(admin.TabularInline):
    model = Session
    extra = 0


class DiscoveryCallInline(admin.TabularInline):
    model = DiscoveryCall
    extra = 0
    raw_id_fields = ["coach"]


@admin.register(Engagement)
class EngagementAdmin(admin.ModelAdmin):
    list_display = ["id", "coachee", "coach", "company", "kind", "status", "progress",
                    "off_track_since"]
    list_filter = ["status", "kind", "progress", "company"]
    search_fields = ["coachee__full_name", "coachee__email", "coach__full_name", "coach__email"]
    raw_id_fields = ["owner", "coachee", "coach", "ended_by", "template", "location"]
    readonly_fields = ["progress", "off_track_since", "last_activity_on", "next_event_on",
                       "progress_due_on", "progress_evaluated_on", "created_at"]
    list_select_related = ["coachee", "coach", "company"]
    inlines = [SessionInline, DiscoveryCallInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # The admin may rewrite an engagement's past: say so (engagements/signals.py).
        if change and "started_on" in form.changed_data:
            engagement_start_moved.send(Engagement, engagement=obj,
                                        old=form.initial.get("started_on"), new=obj.started_on)
        if not change or COUNTED_FIELDS & set(form.changed_data):
            engagement_people_changed.send(Engagement, engagement=obj, day=obj.started_on)


@admin.register(CoachSelection)
class CoachSelectionAdmin(admin.ModelAdmin):
    list_display = ["engagement", "coach", "selected_on"]
    raw_id_fields = ["engagement", "coach", "selected_by"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "action", "actor_name", "engagement", "template"]
    list_filter = ["action"]
    raw_id_fields = ["engagement", "template", "actor"]
