from django import forms

from engagements.models import Engagement
from optify.forms import MAX_ID

MAX_BULK_SELECTION = 500


class EndEarlyForm(forms.Form):
    reason = forms.ChoiceField(
        label="Reason", choices=Engagement.EndReason.choices, widget=forms.RadioSelect,
        error_messages={"required": "Choose a reason for ending early."},
    )
    note = forms.CharField(
        label="Note", required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional, except for “Other”. Kept in the engagement's audit trail.",
    )

    def clean(self):
        cleaned = super().clean()
        note = cleaned.get("note", "").strip()
        if cleaned.get("reason") == Engagement.EndReason.OTHER and not note:
            self.add_error("note", "Add a note explaining the reason “Other”.")
        return cleaned


class EngagementIdsField(forms.Field):
    """The selected rows' ids. Any id is accepted here; `restrict(user, "manage")` decides."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "required": "Select at least one engagement.",
        "invalid": "The selection is not valid; select the engagements again.",
        "too_many": f"Select at most {MAX_BULK_SELECTION} engagements at once.",
    }

    def to_python(self, value):
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        try:
            ids = sorted({int(item) for item in value})
        except (TypeError, ValueError):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if any(not 1 <= pk <= MAX_ID for pk in ids):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        if len(ids) > MAX_BULK_SELECTION:
            raise forms.ValidationError(self.error_messages["too_many"], code="too_many")
        return ids


class BulkActionForm(forms.Form):
    """What the Engagements list posts: the selected rows (`pk`, repeated) and the action."""

    ACTIONS = [("end_early", "End early"), ("mark_complete", "Mark complete")]

    action = forms.ChoiceField(choices=ACTIONS,
                               error_messages={"required": "Choose an action.",
                                               "invalid_choice": "Choose an action."})
    pk = EngagementIdsField()
