import datetime as dt

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from accounts.models import Location
from engagements.expressions import projected_off_track_on
from engagements.models import ENDED_STATUSES, Engagement, Progress
from engagements.visibility import by_progress
from optify.forms import ModelIdsFilter, parse_id
from templates_app.models import EngagementKind, EngagementTemplate

User = get_user_model()


def scoped_choices(user, coaches=True):
    """
    The querysets behind the template, location and coach filters: only what the user's
    own engagements can show. Administrators get their company's templates and locations
    (location administrators: their locations); everyone else gets what appears in
    engagements they coach, are coached in, or (global administrators of a coaching
    provider) that their company's coaches coach. Coaches are those of the engagements the
    user may see, checked per chosen coach (`ChosenCoaches` never lists them all); with
    `coaches` false (no coach chosen) that queryset, a second `restrict()`, is not built.
    """
    personal = Engagement.objects.filter(by_progress(user).personal)
    templates = Q(pk__in=personal.values("template_id"))
    locations = Q(pk__in=personal.exclude(location=None).values("location_id"))
    if user.company_id and user.is_global_admin:
        templates |= Q(company_id=user.company_id)
        locations |= Q(company_id=user.company_id)
    elif user.company_id:
        # Location administrators: their locations, and the company's templates (they launch
        # from them).
        templates |= Q(company_id=user.company_id, company__locations__administrators=user)
        locations |= Q(pk__in=user.administered_location_ids)
    choices = {
        "template": EngagementTemplate.objects.filter(templates).distinct().order_by("name"),
        "location": Location.objects.filter(locations).distinct().order_by("name"),
    }
    if coaches:
        coached = Engagement.objects.restrict(user).filter(coach=OuterRef("pk"))
        choices["coach"] = User.objects.filter(Exists(coached)).order_by("full_name", "email")
    return choices


def matching_people(text):
    # `icontains` on both: PostgreSQL answers it from trigram indexes on these expressions
    # (accounts/migrations/0002_user_name_email_trigram.py).
    return User.objects.filter(Q(full_name__icontains=text) | Q(email__icontains=text)).values("pk")


class ChosenCoaches(forms.CheckboxSelectMultiple):
    """
    The coaches already chosen (in the URL), as ticked boxes to untick; never the whole list,
    which for a large company is thousands of people. Coaches are found by name or email
    with the "Coach" search box (`coach_name`).
    """

    def optgroups(self, name, value, attrs=None):
        iterator = self.choices
        ids = [pk for pk in map(parse_id, value) if pk is not None]
        chosen = iterator.queryset.filter(pk__in=ids) if ids else ()
        self.choices = [iterator.choice(coach) for coach in chosen]
        try:
            return super().optgroups(name, value, attrs)
        finally:
            self.choices = iterator


class EngagementFilterSet(django_filters.FilterSet):
    """
    Filters of the Engagements page; the Engagements Report subclasses it. Field names are the
    URL's parameters (the URL is the state). Progress is filtered as the viewer sees it: on
    the stored column only among rows whose progress they may see, so filtering cannot reveal
    what they may not; a hidden row counts as "not tracking", which is what it shows ("-").
    """

    q = django_filters.CharFilter(method="filter_q", label=_("Search"),
                                  widget=forms.TextInput(attrs={"type": "search",
                                                                "placeholder": _("Name or email")}))
    progress = django_filters.MultipleChoiceFilter(
        choices=Progress.choices, method="filter_progress", label=_("Progress"),
        widget=forms.CheckboxSelectMultiple,
    )
    # On track, and going off track within so many days unless something happens: what the
    # administrator's home counts and links to ("Days until off track" at most N).
    off_track_within = django_filters.ChoiceFilter(
        choices=[("7", _("Within 7 days")), ("14", _("Within 14 days")),
                 ("30", _("Within 30 days"))],
        method="filter_off_track_within", label=_("Goes off track"), empty_label=_("Any time"),
    )
    # `distinct=False` on every multiple-choice filter: django-filter makes them DISTINCT by
    # default, for to-many relations; these are the engagement's own columns and foreign
    # keys, which match a row once, and a DISTINCT over the list's wide rows cost 1.3 s a
    # page for 200,000 rows.
    status = django_filters.MultipleChoiceFilter(
        choices=Engagement.Status.choices, label=_("Status"), widget=forms.CheckboxSelectMultiple,
        distinct=False,
    )
    kind = django_filters.MultipleChoiceFilter(
        choices=EngagementKind.choices, label=_("Kind"), widget=forms.CheckboxSelectMultiple,
        distinct=False,
    )
    # Ticked boxes rather than a multiple <select>, which needs Ctrl-click to pick two.
    template = ModelIdsFilter(
        queryset=EngagementTemplate.objects.none(), label=_("Template"), distinct=False,
        widget=forms.CheckboxSelectMultiple,
    )
    coach_name = django_filters.CharFilter(
        method="filter_coach_name", label=_("Coach"),
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Coach's name or email")}),
    )
    coach = ModelIdsFilter(
        queryset=User.objects.none(), label=_("Chosen coaches"), widget=ChosenCoaches,
        distinct=False,
    )
    location = ModelIdsFilter(
        queryset=Location.objects.none(), label=_("Location"), distinct=False,
        widget=forms.CheckboxSelectMultiple,
    )
    include_completed = django_filters.BooleanFilter(
        method="filter_include_completed", label=_("Include completed engagements"),
        widget=forms.CheckboxInput,
    )

    class Meta:
        model = Engagement
        fields = ["q", "progress", "off_track_within", "status", "kind", "template",
                  "coach_name", "coach", "location", "include_completed"]

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        user = request.user if request else None
        if user is not None and user.is_authenticated:
            # The coach filter's choices only matter for the coaches the URL chooses.
            chosen = bool(self.data and self.data.get(self.form.add_prefix("coach")))
            for name, choices in scoped_choices(user, coaches=chosen).items():
                self.filters[name].queryset = choices
                self.form.fields[name].queryset = choices

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        # Match people first (trigram indexes), then their engagements as a union of two
        # indexed lookups: `coachee IN (...) OR coach IN (...)` is checked row by row.
        people = matching_people(value)
        return queryset.filter(pk__in=Engagement.objects.filter(coachee__in=people).values("pk")
                               .union(Engagement.objects.filter(coach__in=people).values("pk")))

    def filter_coach_name(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(coach__in=matching_people(value)) if value else queryset

    def filter_progress(self, queryset, name, value):
        # `seen_progress` spelled out as a condition on the stored column, which the
        # planner can estimate and index: rows whose progress the viewer may see match on it;
        # the others show "-" and match "not tracking" only.
        return queryset.filter(self.by_progress.matching(value, not_tracked=Progress.NOT_TRACKED))

    def filter_off_track_within(self, queryset, name, value):
        company = getattr(self.request.user, "company", None) if self.request else None
        today = company.local_today() if company else timezone.localdate()
        return queryset.alias(projected_off_track_on=projected_off_track_on()).filter(
            self.by_progress.shown, progress=Progress.ON_TRACK,
            tracking_threshold_days__isnull=False,
            projected_off_track_on__lte=today + dt.timedelta(days=int(value)))

    @cached_property
    def by_progress(self):
        # Once per request: the report filters several querysets with the same filterset.
        return by_progress(self.request.user)

    def filter_include_completed(self, queryset, name, value):
        return queryset  # applied in filter_queryset, where "unticked" is seen too

    def filter_queryset(self, queryset, *, hide_ended=True):
        queryset = super().filter_queryset(queryset)
        statuses = set(self.form.cleaned_data.get("status") or ())
        # Ended engagements stay out unless asked for, by the checkbox or by an ended status.
        if hide_ended and not self.form.cleaned_data.get("include_completed") and not (
            statuses & set(ENDED_STATUSES)
        ):
            queryset = queryset.exclude(status__in=ENDED_STATUSES)
        return queryset

    # Filters that change how others read, or the default, but narrow nothing themselves.
    modifiers = frozenset({"include_completed"})

    def narrows(self):
        """Whether any filter the user set narrows the rows (the default aside)."""
        for name, value in self.form.cleaned_data.items():
            if isinstance(value, slice):  # a range filter: "from" and "to" both empty
                value = value.start is not None or value.stop is not None
            if name not in self.modifiers and value:
                return True
        return False
