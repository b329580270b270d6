"""Progress history through the API: the flips of engagements whose progress you may see."""

import datetime as dt

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, serializers

from engagements.models import Engagement
from engagements.visibility import by_progress
from optify.api.views import ReadOnlyViewSet, query_id
from tracking.models import ProgressTransition


class ProgressTransitionSerializer(serializers.ModelSerializer):
    engagement = serializers.IntegerField(source="engagement_id", read_only=True)

    class Meta:
        model = ProgressTransition
        fields = ["id", "engagement", "from_status", "to_status", "day", "cause", "created_at"]
        read_only_fields = fields


def query_day(request, name):
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError as error:
        raise exceptions.ValidationError({name: [_("Enter a date as YYYY-MM-DD.")]}) from error


@extend_schema_view(list=extend_schema(
    summary="Progress history",
    description="Every change of progress status (from, to, the day it happened, why) of "
                "the engagements whose progress you may see; newest first.",
    parameters=[
        OpenApiParameter("engagement", int, description="Only this engagement's changes."),
        OpenApiParameter("since", dt.date, description="Changes on or after this day."),
        OpenApiParameter("until", dt.date, description="Changes on or before this day."),
    ]))
class ProgressTransitionViewSet(ReadOnlyViewSet):
    serializer_class = ProgressTransitionSerializer

    def get_queryset(self):
        user = self.request.user
        # The history is progress: only rows whose progress the viewer sees (the gate's
        # `sees_progress`, as a condition), never those that show them "-".
        seen = Engagement.objects.restrict(user).filter(by_progress(user).seen).values("pk")
        transitions = ProgressTransition.objects.filter(engagement__in=seen)
        if self.action == "list":
            engagement = query_id(self.request, "engagement")
            if engagement is not None:
                transitions = transitions.filter(engagement_id=engagement)
            since, until = query_day(self.request, "since"), query_day(self.request, "until")
            if since:
                transitions = transitions.filter(day__gte=since)
            if until:
                transitions = transitions.filter(day__lte=until)
        return transitions
