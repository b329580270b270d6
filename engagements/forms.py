"""
The engagement page's forms. They validate only; the change itself is an action
(engagements/actions.py), called by the view with `cleaned_data`.
"""

import datetime as dt

from django import forms
from django.contrib.auth import get_user_model

from engagements import actions
from engagements.dates import DayField
from engagements.people import coach_candidates

User = get_user_model()

__all__ = ["coach_candidates", "DiscoveryCallForm", "SelectCoachForm", "SessionForm"]


class LocalDateTimeForm(forms.Form):
    """A date and a time entered in the company's timezone, combined into an aware datetime."""

    date = DayField()
    time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}),
                           help_text="In the company's time zone.")

    def __init__(self, engagement, user=None, *args, **kwargs):
        self.engagement = engagement
        self.user = user
        super().__init__(*args, **kwargs)
        self.fields["time"].help_text = f"Time zone: {engagement.company.timezone}."

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
                                          label="Duration (minutes)")


class DiscoveryCallForm(LocalDateTimeForm):
    coach = forms.ModelChoiceField(queryset=User.objects.none(), label="Candidate coach")

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
