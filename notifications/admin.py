from django.contrib import admin, messages
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from notifications.models import Nudge, NudgeItem, NudgePreference
from notifications.sender import resend


class NudgeItemInline(admin.TabularInline):
    model = NudgeItem
    extra = 0
    can_delete = False
    raw_id_fields = ["engagement"]
    readonly_fields = ["engagement", "reason", "off_track_since"]


@admin.register(Nudge)
class NudgeAdmin(admin.ModelAdmin):
    list_display = ["id", "recipient", "role", "company", "day", "status", "attempts",
                    "next_attempt_at", "sent_at", "last_error"]
    list_filter = ["status", "role", "day"]
    search_fields = ["recipient__email", "recipient__full_name", "message_id"]
    date_hierarchy = "day"
    list_select_related = ["recipient", "company"]
    raw_id_fields = ["recipient", "company"]
    readonly_fields = ["attempts", "claimed_at", "sent_at", "message_id", "last_error",
                       "created_at"]
    inlines = [NudgeItemInline]
    actions = ["resend_nudges"]

    @admin.action(description=_("Re-send the selected nudges"))
    def resend_nudges(self, request, queryset):
        from notifications.tasks import enqueue_sender

        count = resend(queryset)
        transaction.on_commit(enqueue_sender)
        self.message_user(
            request, f"{count} nudge(s) queued to be sent again (nudges being sent are skipped).",
            messages.SUCCESS,
        )


@admin.register(NudgePreference)
class NudgePreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "enabled", "updated_at"]
    list_filter = ["role", "enabled"]
    search_fields = ["user__email"]
    raw_id_fields = ["user"]
