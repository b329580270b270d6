from django import forms

from engagements.models import MAX_PAUSE_DAYS, Pause


class PauseForm(forms.Form):
    """A pause of tracking (rule 9): its days, a reason and an optional note."""

    starts_on = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label="To (included)",
                              widget=forms.DateInput(attrs={"type": "date"}),
                              help_text=f"At most {MAX_PAUSE_DAYS} days. Tracking resumes "
                                        "by itself the day after.")
    reason = forms.ChoiceField(label="Reason", choices=Pause.Reason.choices)
    note = forms.CharField(label="Note", required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("starts_on"), cleaned.get("ends_on")
        if first and last:
            if last < first:
                self.add_error("ends_on", "The pause cannot end before it starts.")
            elif (last - first).days + 1 > MAX_PAUSE_DAYS:
                self.add_error("ends_on", f"A pause lasts at most {MAX_PAUSE_DAYS} days.")
        return cleaned
