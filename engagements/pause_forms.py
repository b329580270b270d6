from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from engagements.dates import DayField
from engagements.models import MAX_PAUSE_DAYS, Pause


class PauseForm(forms.Form):
    """
    A pause of tracking (rule 9): its days, a reason and an optional note. The rules that need
    only these fields live here; the actions ask this form too, for every caller (a page, the
    Django admin, a command), and check the rest (the engagement's dates, overlaps) under the
    engagement's lock.
    """

    starts_on = DayField(label=_("From"))
    ends_on = DayField(label=_("To (included)"))
    reason = forms.ChoiceField(label=_("Reason"), choices=[
        (value, capfirst(label)) for value, label in Pause.Reason.choices])
    note = forms.CharField(label=_("Note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, prefix_id="pause", **kwargs):
        kwargs.setdefault("auto_id", f"id_{prefix_id}_%s")
        super().__init__(*args, **kwargs)
        # Formatted here, in the language of the request, not once at import.
        self.fields["ends_on"].help_text = gettext(
            "At most %(days)d days. Tracking resumes by itself the day after."
        ) % {"days": MAX_PAUSE_DAYS}

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("starts_on"), cleaned.get("ends_on")
        if first and last:
            if last < first:
                self.add_error("ends_on", _("The pause cannot end before it starts."))
            elif (last - first).days + 1 > MAX_PAUSE_DAYS:
                self.add_error("ends_on", gettext("A pause lasts at most %(days)d days.")
                               % {"days": MAX_PAUSE_DAYS})
        cleaned["note"] = (cleaned.get("note") or "").strip()
        return cleaned
