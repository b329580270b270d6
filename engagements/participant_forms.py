"""
The forms of an engagement's goals and message thread. They validate only; the change is an
action (engagements/actions.py), which holds the text to the same lengths for every caller.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from engagements.models import GOAL_DETAIL_MAX, GOAL_TITLE_MAX, MESSAGE_MAX


class EngagementPartForm(forms.Form):
    """A form about one engagement: a page showing several knows which one it is bound to."""

    kind = "part"

    def __init__(self, *args, engagement=None, **kwargs):
        self.engagement = engagement
        if engagement is not None:  # unique ids on a page with several engagements' forms
            kwargs.setdefault("auto_id", f"id_{self.kind}_{engagement.pk}_%s")
        super().__init__(*args, **kwargs)

    def full_clean(self):
        super().full_clean()
        # Shown again with its errors, the first field in error takes the focus, so the page
        # opens where they typed (far down the coachee's home, on a phone).
        first = next((name for name in self.fields if name in self.errors), None)
        if first is not None:
            self.fields[first].widget.attrs["autofocus"] = True

    def is_for(self, engagement):
        return self.engagement is not None and self.engagement.pk == engagement.pk


class GoalForm(EngagementPartForm):
    kind = "goal"
    title = forms.CharField(label=_("Goal"), max_length=GOAL_TITLE_MAX,
                            widget=forms.TextInput(attrs={"autocomplete": "off"}))
    detail = forms.CharField(label=_("Details (optional)"), max_length=GOAL_DETAIL_MAX,
                             required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, goal=None, **kwargs):
        if goal is not None:
            kwargs.setdefault("initial", {"title": goal.title, "detail": goal.detail})
        super().__init__(*args, **kwargs)


class MessageForm(EngagementPartForm):
    kind = "message"
    body = forms.CharField(label=_("Message"), max_length=MESSAGE_MAX,
                           widget=forms.Textarea(attrs={"rows": 3}))
