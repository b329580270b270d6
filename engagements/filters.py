import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q

from accounts.models import Location
from engagements.models import ENDED_STATUSES, PROGRESS_HIDDEN, Engagement, Progress
from templates_app.models import EngagementKind, EngagementTemplate

User = get_user_model()


def scoped_choices(user):
    """
    The querysets behind the template, coach and location dropdowns: only what the user's
    own engagements can show. Administrators get their company's templates and locations
    (location administrators: their locations) and the coaches of their company's
    engagements; everyone else gets what appears in engagements they coach or are coached in.
    """
    mine = Q(coach_id=user.pk) | Q(coachee_id=user.pk)
    if user.is_global_admin and user.company_id:
        mine |= Q(coach__company_id=user.company_id)
    personal = Engagement.objects.filter(mine)
    templates = Q(pk__in=personal.values("template_id"))
    locations = Q(pk__in=personal.exclude(location=None).values("location_id"))
    coaches = Q(pk__in=personal.exclude(coach=None).values("coach_id"))
    if user.company_id and user.is_global_admin:
        templates |= Q(company_id=user.company_id)
        locations |= Q(company_id=user.company_id)
        coaches |= Q(pk__in=Engagement.objects.filter(company_id=user.company_id)
                     .exclude(coach=None).values("coach_id"))
    elif user.company_id:
        # Location administrators: their locations, and the company's templates (they launch
        # from them); coaches of their locations' engagements.
        administered = user.administered_locations.all()
        templates |= Q(company_id=user.company_id, company__locations__administrators=user)
        locations |= Q(pk__in=administered.values("pk"))
        coaches |= Q(pk__in=Engagement.objects.filter(
            company_id=user.company_id, location__in=administered
        ).exclude(coach=None).values("coach_id"))
    return {
        "template": EngagementTemplate.objects.filter(templates).distinct().order_by("name"),
        "location": Location.objects.filter(locations).distinct().order_by("name"),
        "coach": User.objects.filter(coaches).order_by("full_name", "email"),
    }


class EngagementFilterSet(django_filters.FilterSet):
    """
    Filters of the Engagements page; the Engagements Report subclasses it. Field names are the
    URL's parameters (the URL is the state). Progress is filtered on `visible_progress`, never
    on the stored column, so filtering cannot reveal what the viewer may not see: a hidden
    row counts as "not tracking", which is what it shows ("-").
    """

    q = django_filters.CharFilter(method="filter_q", label="Search",
                                  widget=forms.TextInput(attrs={"type": "search",
                                                                "placeholder": "Name or email"}))
    progress = django_filters.MultipleChoiceFilter(
        choices=Progress.choices, method="filter_progress", label="Progress",
        widget=forms.CheckboxSelectMultiple,
    )
    status = django_filters.MultipleChoiceFilter(
        choices=Engagement.Status.choices, label="Status", widget=forms.CheckboxSelectMultiple,
    )
    kind = django_filters.MultipleChoiceFilter(
        choices=EngagementKind.choices, label="Kind", widget=forms.CheckboxSelectMultiple,
    )
    template = django_filters.ModelMultipleChoiceFilter(
        queryset=EngagementTemplate.objects.none(), label="Template",
    )
    coach = django_filters.ModelMultipleChoiceFilter(
        queryset=User.objects.none(), label="Coach",
    )
    location = django_filters.ModelMultipleChoiceFilter(
        queryset=Location.objects.none(), label="Location",
    )
    include_completed = django_filters.BooleanFilter(
        method="filter_include_completed", label="Include completed engagements",
        widget=forms.CheckboxInput,
    )

    class Meta:
        model = Engagement
        fields = ["q", "progress", "status", "kind", "template", "coach", "location",
                  "include_completed"]

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        user = request.user if request else None
        if user is not None and user.is_authenticated:
            for name, choices in scoped_choices(user).items():
                self.filters[name].queryset = choices
                self.form.fields[name].queryset = choices

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        # Match people first, then engagements by person: the user search can use its own
        # (trigram) indexes, and the engagements side stays an indexed id lookup.
        people = User.objects.filter(
            Q(full_name__icontains=value) | Q(email__icontains=value)
        ).values("pk")
        return queryset.filter(Q(coachee__in=people) | Q(coach__in=people))

    def filter_progress(self, queryset, name, value):
        wanted = set(value)
        if Progress.NOT_TRACKED in wanted:
            wanted.add(PROGRESS_HIDDEN)
        return queryset.filter(visible_progress__in=wanted)

    def filter_include_completed(self, queryset, name, value):
        return queryset  # applied in filter_queryset, where "unticked" is seen too

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        statuses = set(self.form.cleaned_data.get("status") or ())
        # Ended engagements stay out unless asked for, by the checkbox or by an ended status.
        if not self.form.cleaned_data.get("include_completed") and not statuses & set(
            ENDED_STATUSES
        ):
            queryset = queryset.exclude(status__in=ENDED_STATUSES)
        return queryset
