from django.contrib import admin

from tracking.models import EvaluationRun, ProgressTransition


@admin.register(ProgressTransition)
class ProgressTransitionAdmin(admin.ModelAdmin):
    list_display = ["engagement", "from_status", "to_status", "day", "cause"]
    list_filter = ["to_status", "cause"]
    raw_id_fields = ["engagement", "run"]


@admin.register(EvaluationRun)
class EvaluationRunAdmin(admin.ModelAdmin):
    list_display = ["company", "day", "evaluated", "on_track", "off_track", "not_tracked",
                    "transitions_count", "duration_ms"]
    list_filter = ["company"]
