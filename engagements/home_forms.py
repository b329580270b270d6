"""The coachee's forms: booking a session with their coach, cancelling one still to come."""

from django import forms
from django.utils.translation import gettext_lazy as _

from engagements import actions
from engagements.forms import LocalDateTimeForm

DURATIONS = [(30, _("30 minutes")), (45, _("45 minutes")), (60, _("1 hour")),
             (90, _("1 hour 30 minutes"))]


class BookingForm(LocalDateTimeForm):
    """A day and time in the company's timezone, still to come, and how long."""

    duration_minutes = forms.TypedChoiceField(choices=DURATIONS, coerce=int, initial=60,
                                              label=_("Length"))

    def clean(self):
        cleaned = super().clean()
        if "starts_at" in cleaned and "date" not in self.errors:
            try:
                actions.validate_ahead(cleaned["starts_at"])
            except actions.ActionRefused as refusal:
                self.add_error("date", str(refusal))
        return cleaned


class CancelBookingForm(forms.Form):
    reason = forms.CharField(max_length=200, required=False, label=_("Reason (optional)"),
                             help_text=_("Your coach sees it in the engagement's history."))
