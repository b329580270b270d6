"""Forms of the People pages. They validate input; accounts/actions.py does the rest."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Location
from accounts.people import Role, locations_for, may_set_roles
from optify.forms import ModelIdsChoiceField


class LocationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} (archived)" if obj.is_archived else obj.name


class PersonForm(forms.Form):
    """Add a person; the submit button says whether they are invited now."""

    full_name = forms.CharField(label=_("Name"), max_length=200)
    email = forms.EmailField(label=_("Email"), max_length=254)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.COACHEE,
                             widget=forms.RadioSelect)
    location = LocationChoiceField(queryset=Location.objects.none(), required=False,
                                   help_text=_("Their home location: its administrators "
                                             "manage them."))
    admin_locations = ModelIdsChoiceField(
        queryset=Location.objects.none(), required=False, widget=forms.CheckboxSelectMultiple,
        label=_("Locations they administer"), help_text=_("For a location administrator."))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        locations = locations_for(user)
        self.fields["location"].queryset = locations
        roles = [Role.COACHEE, Role.COACH]
        if may_set_roles(user):
            roles.append(Role.ADMINISTRATOR)
            if user.company.is_enterprise:
                roles.append(Role.LOCATION_ADMINISTRATOR)
        self.fields["role"].choices = [(role.value, role.label) for role in roles]
        if Role.LOCATION_ADMINISTRATOR in roles:
            self.fields["admin_locations"].queryset = locations
        else:
            del self.fields["admin_locations"]
        if not user.is_global_admin:
            self.fields["location"].required = True
        if not locations.exists():
            del self.fields["location"]

    def action_kwargs(self):
        data = self.cleaned_data
        return {"full_name": data["full_name"], "email": data["email"], "role": data["role"],
                "location": data.get("location"),
                "admin_locations": list(data.get("admin_locations") or ())}


class PersonDetailsForm(forms.Form):
    full_name = forms.CharField(label=_("Name"), max_length=200)
    email = forms.EmailField(label=_("Email"), max_length=254)
    location = LocationChoiceField(queryset=Location.objects.none(), required=False)
    is_coach = forms.BooleanField(label=_("Coach"), required=False,
                                  help_text=_("Offered as a coach (anyone coaching an "
                                            "engagement is one anyway)."))

    def __init__(self, *args, user, person, **kwargs):
        kwargs.setdefault("initial", {
            "full_name": person.full_name, "email": person.email,
            "location": person.location_id, "is_coach": person.is_coach,
        })
        super().__init__(*args, **kwargs)
        locations = locations_for(user)
        if person.location_id:  # an archived home location stays choosable for them
            locations = locations | Location.objects.filter(pk=person.location_id)
        self.fields["location"].queryset = locations.order_by("name")
        if not user.is_global_admin:
            self.fields["location"].required = True
        if not self.fields["location"].queryset.exists():
            del self.fields["location"]

    def action_kwargs(self):
        data = self.cleaned_data
        return {"full_name": data["full_name"], "email": data["email"],
                "location": data.get("location"), "is_coach": data["is_coach"]}


class RolesForm(forms.Form):
    is_global_admin = forms.BooleanField(
        label=_("Global administrator"), required=False,
        help_text=_("Sees and manages every engagement and person of the company."))
    admin_locations = ModelIdsChoiceField(
        queryset=Location.objects.none(), required=False, widget=forms.CheckboxSelectMultiple,
        label=_("Location administrator of"),
        help_text=_("Manages these locations' engagements and people (Enterprise plan)."))

    def __init__(self, *args, user, person, **kwargs):
        kwargs.setdefault("initial", {
            "is_global_admin": person.is_global_admin,
            "admin_locations": list(person.administered_locations.values_list("pk", flat=True)),
        })
        super().__init__(*args, **kwargs)
        if user.company.is_enterprise:
            self.fields["admin_locations"].queryset = locations_for(user)
        else:
            del self.fields["admin_locations"]


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("One coachee per line, with a first line naming the columns: email, name "
                  "and, optionally, location."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )


class LocationForm(forms.Form):
    name = forms.CharField(max_length=200, label=_("Name"))
