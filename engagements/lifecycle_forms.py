from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from engagements.models import Engagement
from optify.forms import MAX_ID

MAX_BULK_SELECTION = 500


class EndEarlyForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Reason"), choices=Engagement.EndReason.choices, widget=forms.RadioSelect,
        error_messages={"required": _("Choose a reason for ending early.")},
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Optional, except for “Other”. Kept in the engagement's audit trail."),
    )

    def clean(self):
        cleaned = super().clean()
        note = cleaned.get("note", "").strip()
        if cleaned.get("reason") == Engagement.EndReason.OTHER and not note:
            self.add_error("note", _("Add a note explaining the reason “Other”."))
        return cleaned


class EngagementIdsField(forms.Field):
    """The selected rows' ids. Any id is accepted here; `restrict(user, "manage")` decides."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "required": _("Select at least one engagement."),
        "invalid": _("The selection is not valid; select the engagements again."),
        "too_many": format_lazy(_("Select at most {count} engagements at once."),
                                count=MAX_BULK_SELECTION),
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

    ACTIONS = [("end_early", _("End early")), ("mark_complete", _("Mark complete"))]

    action = forms.ChoiceField(choices=ACTIONS,
                               error_messages={"required": _("Choose an action."),
                                               "invalid_choice": _("Choose an action.")})
    pk = EngagementIdsField()
