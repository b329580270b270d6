"""
People through the API: the People pages' gate (accounts/people.py) for reading, and their
actions (accounts/actions.py) for adding and inviting — administrators only.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, permissions, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts import actions
from accounts.models import Location, User
from accounts.people import Role, may_administer_people, people_for, roles_of, with_roles
from optify.api.serializers import RefSerializer
from optify.api.views import GenericViewSet
from optify.forms import MAX_ID


class PeopleAdministrators(permissions.BasePermission):
    message = _("Only your company's administrators see its people.")

    def has_permission(self, request, view):
        return may_administer_people(request.user)


class PersonSerializer(serializers.ModelSerializer):
    location = RefSerializer(allow_null=True, read_only=True)
    roles = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "full_name", "email", "status", "location", "roles", "invited_at",
                  "date_joined"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(Role.choices)))
    def get_roles(self, person):
        return [role.value for role in roles_of(person)]


class AddPersonSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    full_name = serializers.CharField(max_length=200)
    role = serializers.ChoiceField(Role.choices, default=Role.COACHEE)
    location = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False,
                                        allow_null=True)
    admin_locations = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False,
        default=list, max_length=100)
    invite = serializers.BooleanField(
        default=True, help_text=("Send the invitation now; false adds a coachee as an "
                                 "internal record, who cannot sign in."))


def company_locations(by, pks):
    """The caller's company's locations by id; the action checks which they may choose."""
    found = {loc.pk: loc for loc in Location.objects.filter(company_id=by.company_id,
                                                            pk__in=pks)}
    if len(found) != len(set(pks)):
        raise actions.PeopleActionRefused(
            _("Choose a location of your company that is not archived."))
    return [found[pk] for pk in pks]


class PersonViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet):
    serializer_class = PersonSerializer

    def get_permissions(self):
        return [*super().get_permissions(), PeopleAdministrators()]

    def get_queryset(self):
        return with_roles(people_for(self.request.user, "view").select_related("location"))

    @extend_schema(summary="Add a person (and invite them)", request=AddPersonSerializer,
                   responses={201: PersonSerializer})
    def create(self, request):
        body = AddPersonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        location = data.get("location")
        person = actions.add_person(
            by=request.user, email=data["email"], full_name=data["full_name"],
            role=data["role"], invite=data["invite"],
            location=company_locations(request.user, [location])[0] if location else None,
            admin_locations=company_locations(request.user, data["admin_locations"]),
        )
        return Response(self.get_serializer(self.shown(person)).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(summary="Send the invitation (again)", request=None)
    @action(detail=True, methods=["post"])
    def invite(self, request, pk=None):
        person = actions.invite(self.get_object(), by=request.user)
        return Response(self.get_serializer(self.shown(person)).data)

    def shown(self, person):
        """The person as the list shows them (with the roles' annotations)."""
        return self.get_queryset().filter(pk=person.pk).first() or person
