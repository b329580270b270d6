from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.invitations import send_invitation
from accounts.models import Company, Location, SignInThrottle, User


class LocationInline(admin.TabularInline):
    model = Location
    extra = 0


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "plan", "timezone"]
    list_filter = ["plan"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [LocationInline]


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["name", "company"]
    list_filter = ["company"]
    search_fields = ["name"]


@admin.register(SignInThrottle)
class SignInThrottleAdmin(admin.ModelAdmin):
    """Who is being refused at sign-in; deleting a row lets that pair try again at once."""

    list_display = ["username", "ip_address", "failures", "lockouts", "locked_until",
                    "last_failure_at"]
    search_fields = ["username", "ip_address"]
    readonly_fields = list_display

    def has_add_permission(self, request):
        return False


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "company", "status", "is_global_admin", "is_staff"]
    list_filter = ["status", "is_global_admin", "is_staff", "company"]
    search_fields = ["email", "full_name"]
    filter_horizontal = ["administered_locations", "groups", "user_permissions"]
    readonly_fields = ["last_login", "date_joined", "invited_at"]
    actions = ["invite"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Person", {"fields": ["full_name", "company", "status"]}),
        ("Roles", {"fields": ["is_global_admin", "administered_locations"]}),
        ("Django admin", {"fields": ["is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined", "invited_at"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"],
                "fields": ["email", "full_name", "company", "status", "password1", "password2"]}),
    ]

    @admin.action(description="Send an invitation email")
    def invite(self, request, queryset):
        sent = 0
        for user in queryset.exclude(status=User.Status.INACTIVE):
            send_invitation(user, invited_by=request.user)
            sent += 1
        self.message_user(request, f"Sent {sent} invitation(s).", messages.SUCCESS)
