import datetime as dt

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q

from engagements.models import CoachSelection, DiscoveryCall, Engagement, Session
from engagements.signals import engagement_people_changed

User = get_user_model()


def coach_candidates(company):
    """
    Who may be chosen as a coach in `company`'s engagements: people who can sign in and who
    either belong to the company or already coach one of its engagements (a provider's
    coach, once introduced). Anyone else would be a user of an unrelated tenant, which an
    administrator must never be able to browse.
    """
    already = Engagement.objects.filter(company=company).exclude(coach=None).values("coach_id")
    return User.objects.filter(
        Q(company=company) | Q(pk__in=already),
        status__in=[User.Status.ACTIVE, User.Status.INVITED],
    ).order_by("full_name", "email")


class LocalDateTimeForm(forms.Form):
    """A date and a time entered in the company's timezone, combined into an aware datetime."""

    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
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
        started = self.engagement.started_on
        if started and day < started:
            self.add_error("date", f"The engagement started on {started:%-d %b %Y}; "
                                   "choose that day or later.")
        # `fold=0` picks the first of an ambiguous (DST) hour; a non-existent local time
        # (spring forward) is normalised by zoneinfo to the next valid instant.
        cleaned["starts_at"] = dt.datetime.combine(day, time, tzinfo=self.engagement.company.tzinfo)
        return cleaned

    def audit_changes(self, obj):
        return {"starts_at": obj.starts_at.isoformat()}


class SessionForm(LocalDateTimeForm):
    duration_minutes = forms.IntegerField(min_value=15, max_value=480, initial=60,
                                          label="Duration (minutes)")

    def save(self):
        return Session.objects.create(
            engagement=self.engagement, starts_at=self.cleaned_data["starts_at"],
            duration_minutes=self.cleaned_data["duration_minutes"],
        )


class DiscoveryCallForm(LocalDateTimeForm):
    coach = forms.ModelChoiceField(queryset=User.objects.none(), label="Candidate coach")

    def __init__(self, engagement, user=None, *args, **kwargs):
        super().__init__(engagement, user, *args, **kwargs)
        self.fields["coach"].queryset = coach_candidates(engagement.company)

    def save(self):
        return DiscoveryCall.objects.create(
            engagement=self.engagement, starts_at=self.cleaned_data["starts_at"],
            coach=self.cleaned_data["coach"],
        )

    def audit_changes(self, obj):
        return {**super().audit_changes(obj), "coach": str(obj.coach)}


class SelectCoachForm(forms.Form):
    coach = forms.ModelChoiceField(queryset=User.objects.none())

    def __init__(self, engagement, user=None, *args, **kwargs):
        self.engagement = engagement
        self.user = user
        super().__init__(*args, **kwargs)
        self.fields["coach"].queryset = coach_candidates(engagement.company)

    def save(self):
        engagement = self.engagement
        coach = self.cleaned_data["coach"]
        selection = CoachSelection.objects.create(
            engagement=engagement, coach=coach,
            selected_on=engagement.company.local_today(), selected_by=self.user,
        )
        engagement.coach = coach
        engagement.status = Engagement.Status.ACTIVE
        engagement.save(update_fields=["coach", "status"])
        engagement_people_changed.send(Engagement, engagement=engagement, day=selection.selected_on)
        return selection

    def audit_changes(self, obj):
        return {"coach": str(obj.coach), "selected_on": obj.selected_on.isoformat()}
