"""
The engagement page's forms. They validate only; the change itself is an action
(engagements/actions.py), called by the view with `cleaned_data`.
"""

import datetime as dt

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Location
from engagements import actions, people
from engagements.dates import DayField, TimeOfDayField
from engagements.models import Engagement
from engagements.people import coach_candidates
from engagements.pickers import PersonChoiceField, PickerFormMixin
from templates_app.models import EngagementTemplate

User = get_user_model()

__all__ = ["coach_candidates", "CancelForm", "DiscoveryCallForm", "EngagementForm", "MoveForm",
           "NoteForm", "SelectCoachForm", "SessionForm"]


class LocalDateTimeForm(forms.Form):
    """A date and a time entered in the company's timezone, combined into an aware datetime."""

    date = DayField(label=_("Date"))
    time = TimeOfDayField(label=_("Time"), help_text=_("In the company's time zone."))

    def __init__(self, engagement, user=None, *args, **kwargs):
        self.engagement = engagement
        self.user = user
        super().__init__(*args, **kwargs)
        self.fields["time"].help_text = _("Time zone: %(timezone)s.") % {
            "timezone": engagement.company.timezone}

    def clean(self):
        cleaned = super().clean()
        day, time = cleaned.get("date"), cleaned.get("time")
        if day is None or time is None:
            return cleaned
        # `fold=0` picks the first of an ambiguous (DST) hour; a non-existent local time
        # (spring forward) is normalised by zoneinfo to the next valid instant.
        cleaned["starts_at"] = dt.datetime.combine(day, time, tzinfo=self.engagement.company.tzinfo)
        try:
            actions.validate_start(self.engagement, cleaned["starts_at"])
        except actions.ActionRefused as refusal:
            self.add_error("date", str(refusal))
        return cleaned


class SessionForm(LocalDateTimeForm):
    duration_minutes = forms.IntegerField(min_value=15, max_value=480, initial=60,
                                          label=_("Duration (minutes)"))


class DiscoveryCallForm(LocalDateTimeForm):
    coach = forms.ModelChoiceField(queryset=User.objects.none(), label=_("Candidate coach"))

    def __init__(self, engagement, user=None, *args, **kwargs):
        super().__init__(engagement, user, *args, **kwargs)
        self.fields["coach"].queryset = coach_candidates(engagement.company)


class SelectCoachForm(forms.Form):
    coach = forms.ModelChoiceField(queryset=User.objects.none())

    def __init__(self, engagement, user=None, *args, **kwargs):
        self.engagement = engagement
        self.user = user
        super().__init__(*args, **kwargs)
        self.fields["coach"].queryset = coach_candidates(engagement.company)


class MoveForm(LocalDateTimeForm):
    """A session or discovery call moved: its new date and time, in the company's timezone."""

    def __init__(self, engagement, event, *args, **kwargs):
        local = timezone.localtime(event.starts_at, engagement.company.tzinfo)
        kwargs.setdefault("initial", {"date": local.date(), "time": local.time()})
        super().__init__(engagement, None, *args, **kwargs)


class CancelForm(forms.Form):
    reason = forms.CharField(max_length=200, label=_("Reason"),
                             help_text=_("Shown in the engagement's audit trail."))

    def __init__(self, engagement, event, *args, **kwargs):
        super().__init__(*args, **kwargs)


class NoteForm(forms.Form):
    SHARED, PRIVATE = "shared", "private"

    notes = forms.CharField(required=False, max_length=10_000, label=_("Notes"),
                            widget=forms.Textarea(attrs={"rows": 6}))
    visibility = forms.ChoiceField(
        label=_("Who reads these notes"), widget=forms.RadioSelect, initial=PRIVATE,
        choices=[(PRIVATE, "Private: only you, the coach"),
                 (SHARED, "Shared with the coachee")])

    def __init__(self, engagement, event, *args, **kwargs):
        kwargs.setdefault("initial", {
            "notes": event.notes, "visibility": self.SHARED if event.notes_shared
            else self.PRIVATE})
        super().__init__(*args, **kwargs)


class EngagementForm(PickerFormMixin, forms.Form):
    """
    A draft created (template, coachee, coach, owner, location, start date), or an
    engagement edited (coach, owner, location, start date). It validates only: the action
    checks the same rules under the engagement's lock.
    """

    template = forms.ModelChoiceField(queryset=EngagementTemplate.objects.none(),
                                      label=_("Template"))
    coachee = PersonChoiceField(queryset=User.objects.none(), label=_("Coachee"))
    coach = PersonChoiceField(queryset=User.objects.none(), required=False, label=_("Coach"),
                              help_text=_("Leave empty while coach matching finds one."))
    owner = PersonChoiceField(queryset=User.objects.none(), label=_("Owner"),
                              help_text=_("The administrator responsible."))
    location = forms.ModelChoiceField(queryset=Location.objects.none(), required=False,
                                      label=_("Location"))
    started_on = DayField(required=False, label=_("Start date"),
                          help_text=_("Empty: the day it is launched."))

    def __init__(self, *args, user, company, engagement=None, initial=None, **kwargs):
        self.user, self.company, self.engagement = user, company, engagement
        if engagement is not None:
            base = {"coach": engagement.coach_id, "owner": engagement.owner_id,
                    "location": engagement.location_id, "started_on": engagement.started_on}
        else:
            base = {"owner": user.pk}
        super().__init__(*args, initial={**base, **(initial or {})}, **kwargs)
        if engagement is None:
            self.fields["template"].queryset = EngagementTemplate.objects.filter(
                company=company).order_by("name")
            self.setup_picker("coachee", people.coachee_candidates(company))
        else:
            del self.fields["template"], self.fields["coachee"]
        matching = engagement is not None and (
            engagement.kind == Engagement.Kind.COACH_MATCHING
            and engagement.status != Engagement.Status.ACTIVE)
        if matching:
            del self.fields["coach"]
        else:
            self.setup_picker("coach", people.coach_candidates(company))
        self.setup_picker("owner", people.company_admins(company))
        locations = people.locations_for(user, company)
        self.fields["location"].queryset = locations
        if not user.is_global_admin:
            self.fields["location"].required = True
        if not locations.exists() and not self.initial.get("location"):
            del self.fields["location"]
        if engagement is not None and engagement.status != Engagement.Status.DRAFT:
            self.fields["started_on"].required = True
            self.fields["started_on"].help_text = _("The day the progress clock starts from.")
        if engagement is None:
            self.fields["coach"].help_text = _("Leave empty for a coach-matching template, or "
                                               "to choose the coach before launching.")

    def clean(self):
        cleaned = super().clean()
        coach, template = cleaned.get("coach"), cleaned.get("template")
        coachee = cleaned.get("coachee") or (self.engagement and self.engagement.coachee)
        if coach and coachee and coach == coachee:
            self.add_error("coach", _("A coachee cannot be their own coach."))
        if coach and template and template.kind == Engagement.Kind.COACH_MATCHING:
            self.add_error("coach", _("A coach-matching engagement finds its coach by coach "
                                      "matching: leave this empty."))
        return cleaned

    def changes(self):
        """What an edit changes, for do_edit_engagement."""
        return {name: self.cleaned_data[name] for name in actions.EDITABLE
                if name in self.fields and name in self.changed_data}
