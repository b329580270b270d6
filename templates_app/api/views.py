"""Engagement templates through the API: read only, for the company's administrators."""

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions, serializers

from optify.api.views import ReadOnlyViewSet
from templates_app.models import EngagementTemplate


class CompanyAdministrators(permissions.BasePermission):
    message = _("Only your company's administrators use engagement templates.")

    def has_permission(self, request, view):
        user = request.user
        return bool(user.company_id and user.is_company_admin)


class EngagementTemplateSerializer(serializers.ModelSerializer):
    class Meta:
        model = EngagementTemplate
        fields = ["id", "name", "kind", "description", "tracking_threshold_days",
                  "offtrack_notifications_enabled", "offtrack_reminder_every_days",
                  "early_warning_days", "created_at", "updated_at"]
        read_only_fields = fields


class EngagementTemplateViewSet(ReadOnlyViewSet):
    serializer_class = EngagementTemplateSerializer

    def get_permissions(self):
        return [*super().get_permissions(), CompanyAdministrators()]

    def get_queryset(self):
        # The Templates page's rule (templates_app/views.py): the caller's company's.
        return EngagementTemplate.objects.filter(company_id=self.request.user.company_id)
