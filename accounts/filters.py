import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Location, User
from accounts.people import Role, in_locations, locations_for, role_condition
from optify.forms import ModelIdsChoiceField


class LocationChoice(ModelIdsChoiceField):
    def label_from_instance(self, obj):
        return _("%(name)s (archived)") % {"name": obj.name} if obj.is_archived else obj.name


class PersonFilterSet(django_filters.FilterSet):
    """The People page's filters; the names are the URL's parameters."""

    q = django_filters.CharFilter(method="filter_q", label=_("Search"),
                                  widget=forms.TextInput(attrs={"type": "search",
                                                                "placeholder": _("Name or email")}))
    role = django_filters.MultipleChoiceFilter(
        choices=Role.choices, method="filter_role", label=_("Role"),
        widget=forms.CheckboxSelectMultiple,
    )
    status = django_filters.MultipleChoiceFilter(
        choices=User.Status.choices, label=_("Status"), widget=forms.CheckboxSelectMultiple,
        distinct=False,
    )
    location = django_filters.ModelMultipleChoiceFilter(
        queryset=Location.objects.none(), label=_("Location"), distinct=False,
        method="filter_location", widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = User
        fields = ["q", "role", "status", "location"]

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        user = request.user if request else None
        # Archived locations stay here (their people keep them): they are history, not a pick.
        locations = (locations_for(user, include_archived=True) if user is not None
                     else Location.objects.none())
        self.filters["location"].field_class = LocationChoice
        self.filters["location"].queryset = locations
        field = self.form.fields["location"]
        self.form.fields["location"] = LocationChoice(
            queryset=locations, required=False, label=field.label, widget=field.widget)

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        # icontains on both: trigram indexes (accounts/migrations/0002) answer it.
        return queryset.filter(Q(full_name__icontains=value) | Q(email__icontains=value))

    def filter_role(self, queryset, name, value):
        if not value:
            return queryset
        condition = Q()
        for role in value:
            condition |= role_condition(role)
        return queryset.filter(condition)

    def filter_location(self, queryset, name, value):
        if not value:
            return queryset
        # People of a location as the location administrators' scope says (accounts/people.py).
        return queryset.filter(in_locations([location.pk for location in value]))
