"""
The engagements API: engagements through the gate with the Engagements page's filters;
sessions and discovery calls listed through the gate and changed only through the actions
(engagements/actions.py), so permission, audit, re-evaluation at once and what follows
(nudges, billing) are the pages' own.
"""

from django.contrib.auth import get_user_model
from django.db.models import F
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from engagements import actions
from engagements.api import serializers
from engagements.filters import EngagementFilterSet
from engagements.models import DiscoveryCall, Engagement, Session
from engagements.views import pause_reason
from engagements.visibility import by_progress
from optify.api.pagination import OrderedUnion
from optify.api.views import GenericViewSet, ReadOnlyViewSet, query_id

User = get_user_model()


@extend_schema_view(
    list=extend_schema(summary="Engagements you may see", description=(
        "The Engagements page's rows and filters (the same URL parameters). Ended "
        "engagements are left out unless `include_completed` is set or an ended `status` "
        "is asked for. Newest first, by cursor.")),
    retrieve=extend_schema(summary="One engagement"),
)
class EngagementViewSet(ReadOnlyViewSet):
    serializer_class = serializers.EngagementSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = EngagementFilterSet

    def get_queryset(self):
        return self.rows(Engagement.objects.restrict(self.request.user))

    @staticmethod
    def rows(queryset):
        # Four joins, the gate's annotations and the paused rows' reason: one query a page,
        # read as values (see EngagementSerializer).
        row = serializers.EngagementSerializer
        return (queryset.annotate(pause_reason=pause_reason(),
                                  **{name: F(path) for name, path in row.RELATED.items()})
                .values(*row.ROW))

    def filter_queryset(self, queryset):
        """
        The list: the gate's rows in its two disjoint parts (`by_progress(user).parts`, the
        same rows and annotations as `restrict()`), what the user administers and what they
        see as coach, coachee or provider, each filtered by the page's FilterSet and read
        newest first on its own, merged in one query (OrderedUnion). The gate's OR in one
        WHERE would make PostgreSQL walk the whole table backwards by id past every other
        tenant's newer rows (280 ms for the first page of a 200,000-engagement tenant whose
        rows are the oldest of 1,000,000); the administered part reads eng_company_id, the
        other part is sorted (see OrderedUnion).
        """
        if self.action != "list":
            return queryset
        filterset = DjangoFilterBackend().get_filterset(self.request, queryset, self)
        if not filterset.is_valid():
            raise translate_validation(filterset.errors)
        administered, others = by_progress(self.request.user).parts(Engagement.objects.all())
        return OrderedUnion(
            walked=[self.rows(filterset.filter_queryset(administered))] if administered
            is not None else [],
            sorted=[self.rows(filterset.filter_queryset(others))])


ENGAGEMENT_PARAMETER = OpenApiParameter(
    "engagement", int, description="Only those of this engagement.")


class EventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet):
    """
    Sessions or discovery calls of the engagements the caller sees. Each change is one
    action; the view only reads the body and answers with the action's result or refusal.
    """

    model = None
    move_action = cancel_action = complete_action = None

    def get_queryset(self):
        visible = Engagement.objects.restrict(self.request.user).values("pk")
        events = self.model.objects.filter(engagement__in=visible)
        engagement = query_id(self.request, "engagement") if self.action == "list" else None
        if engagement is not None:
            events = events.filter(engagement_id=engagement)
        return events

    def answer(self, event, code=status.HTTP_200_OK):
        return Response(self.get_serializer(event).data, status=code)

    @extend_schema(request=serializers.MoveSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        body = serializers.MoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        event = self.move_action(self.get_object(), by=request.user,
                                 starts_at=body.validated_data["starts_at"])
        return self.answer(event)

    @extend_schema(request=serializers.CancelSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        body = serializers.CancelSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        event = self.cancel_action(self.get_object(), by=request.user,
                                   reason=body.validated_data["reason"])
        return self.answer(event)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        event = self.complete_action(self.get_object(), by=request.user)
        return self.answer(event)


@extend_schema_view(list=extend_schema(parameters=[ENGAGEMENT_PARAMETER]))
class SessionViewSet(EventViewSet):
    model = Session
    serializer_class = serializers.SessionSerializer
    move_action = staticmethod(actions.do_move_session)
    cancel_action = staticmethod(actions.do_cancel_session)
    complete_action = staticmethod(actions.do_complete_session)

    @extend_schema(request=serializers.ScheduleSessionSerializer,
                   responses={201: serializers.SessionSerializer})
    def create(self, request):
        body = serializers.ScheduleSessionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        session = actions.do_schedule_session(
            data["engagement"], by=request.user, starts_at=data["starts_at"],
            duration_minutes=data["duration_minutes"])
        return self.answer(session, status.HTTP_201_CREATED)


@extend_schema_view(list=extend_schema(parameters=[ENGAGEMENT_PARAMETER]))
class DiscoveryCallViewSet(EventViewSet):
    model = DiscoveryCall
    serializer_class = serializers.DiscoveryCallSerializer
    move_action = staticmethod(actions.do_move_discovery_call)
    cancel_action = staticmethod(actions.do_cancel_discovery_call)
    complete_action = staticmethod(actions.do_complete_discovery_call)

    def get_queryset(self):
        return super().get_queryset().select_related("coach")

    @extend_schema(request=serializers.ScheduleDiscoveryCallSerializer,
                   responses={201: serializers.DiscoveryCallSerializer})
    def create(self, request):
        body = serializers.ScheduleDiscoveryCallSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        # The page's order: unseen 404, only read 403, then the coach (refused like one who
        # may not coach here when no such person exists, so ids reveal nobody).
        engagement = actions.engagement_for(request.user, data["engagement"])
        actions.check(request.user, engagement, actions.SCHEDULE_CALL)
        coach = User.objects.filter(pk=data["coach"]).first()
        if coach is None:
            raise actions.ActionRefused(_("Choose a coach who may coach in this company."))
        call = actions.do_schedule_discovery_call(
            engagement, by=request.user, starts_at=data["starts_at"], coach=coach,
            duration_minutes=data["duration_minutes"])
        return self.answer(call, status.HTTP_201_CREATED)
