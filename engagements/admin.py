"""
The Django admin, for staff. Where it edits engagements and their events it goes through the
actions (engagements/actions.py), so an edit here is audited and re-evaluated at once like one
made on the engagement page: `save_model` turns the changed fields into actions. What no action
covers is read-only here; nothing is added or deleted here (engagements are created on their
pages; their history is kept).
"""

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.utils.translation import gettext as _

from engagements import actions
from engagements.models import (
    AuditEvent,
    CoachSelection,
    DiscoveryCall,
    Engagement,
    Pause,
    Session,
)


class ThroughActions:
    """Changes go through the actions; a refusal is shown and nothing is saved."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except actions.ActionRefused as refusal:
            # Raised inside the admin's transaction: the change and its log entry roll back.
            self.message_user(request, str(refusal), messages.ERROR)
            return HttpResponseRedirect(request.path)


class ReadOnly(ThroughActions):
    def has_change_permission(self, request, obj=None):
        return False


class SessionInline(ReadOnly, admin.TabularInline):
    model = Session
    extra = 0
    fields = ["starts_at", "duration_minutes", "status", "cancelled_at", "cancel_reason"]
    show_change_link = True


class DiscoveryCallInline(ReadOnly, admin.TabularInline):
    model = DiscoveryCall
    extra = 0
    fields = ["starts_at", "coach", "status", "cancelled_at", "cancel_reason"]
    show_change_link = True


@admin.register(Engagement)
class EngagementAdmin(ThroughActions, admin.ModelAdmin):
    list_display = ["id", "coachee", "coach", "company", "kind", "status", "progress",
                    "off_track_since"]
    list_filter = ["status", "kind", "progress", "company"]
    search_fields = ["coachee__full_name", "coachee__email", "coach__full_name", "coach__email"]
    raw_id_fields = ["owner", "coach", "location"]
    fields = ["company", "template", "kind", "status", "coachee", *actions.EDITABLE,
              "launched_at", "ended_on", "ended_at", "ended_by", "end_reason", "end_note",
              "tracking_threshold_days", "offtrack_notifications_enabled",
              "offtrack_reminder_every_days", "progress", "off_track_since", "last_activity_on",
              "next_event_on", "progress_due_on", "progress_evaluated_on", "created_at"]
    list_select_related = ["coachee", "coach", "company"]
    inlines = [SessionInline, DiscoveryCallInline]

    def get_readonly_fields(self, request, obj=None):
        return [name for name in self.fields if name not in actions.EDITABLE]

    def save_model(self, request, obj, form, change):
        changed = {name: form.cleaned_data[name] for name in form.changed_data
                   if name in actions.EDITABLE}
        if changed:
            actions.do_edit_engagement(obj.pk, by=request.user, **changed)


class EventAdmin(ThroughActions, admin.ModelAdmin):
    """A session's or discovery call's date and status, changed through their actions."""

    list_display = ["starts_at", "engagement", "status"]
    list_filter = ["status"]
    list_select_related = ["engagement__coachee", "engagement__template"]
    fields = ["engagement", "starts_at", "duration_minutes", "status", "cancelled_at",
              "cancel_reason", "created_at"]
    readonly_fields = ["engagement", "duration_minutes", "cancelled_at", "created_at"]
    move = cancel = complete = None  # the model's actions

    def save_model(self, request, obj, form, change):
        if "starts_at" in form.changed_data:
            self.move(obj.pk, by=request.user, starts_at=form.cleaned_data["starts_at"])
        if "status" not in form.changed_data:
            if "cancel_reason" in form.changed_data:
                raise actions.ActionRefused(_("A reason is given when cancelling."))
            return
        status = form.cleaned_data["status"]
        if status == Session.Status.COMPLETED:
            self.complete(obj.pk, by=request.user)
        elif status == Session.Status.CANCELLED:
            self.cancel(obj.pk, by=request.user, reason=form.cleaned_data["cancel_reason"])
        else:
            raise actions.ActionRefused(_("A held or cancelled event cannot be scheduled again: "
                                        "schedule a new one on the engagement page."))


@admin.register(Session)
class SessionAdmin(EventAdmin):
    move = staticmethod(actions.do_move_session)
    cancel = staticmethod(actions.do_cancel_session)
    complete = staticmethod(actions.do_complete_session)


@admin.register(DiscoveryCall)
class DiscoveryCallAdmin(EventAdmin):
    list_display = ["starts_at", "engagement", "coach", "status"]
    fields = ["engagement", "coach", *EventAdmin.fields[1:]]
    readonly_fields = [*EventAdmin.readonly_fields, "coach"]
    move = staticmethod(actions.do_move_discovery_call)
    cancel = staticmethod(actions.do_cancel_discovery_call)
    complete = staticmethod(actions.do_complete_discovery_call)


@admin.register(CoachSelection)
class CoachSelectionAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["engagement", "coach", "selected_on"]


@admin.register(Pause)
class PauseAdmin(ReadOnly, admin.ModelAdmin):
    """Read-only: pauses are set, changed, ended and answered on the engagement page."""

    list_display = ["engagement", "starts_on", "ends_on", "reason", "status", "requested_by",
                    "approved_by"]
    list_filter = ["status", "reason"]
    list_select_related = ["engagement__coachee", "engagement__template", "requested_by",
                           "approved_by"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "action", "actor_name", "engagement", "template"]
    list_filter = ["action"]
    raw_id_fields = ["engagement", "template", "actor"]
