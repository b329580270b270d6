from django import forms

from notifications.models import Role

HELP = {
    Role.COACHEE: "A friendly reminder when it's time to schedule your next session.",
    Role.COACH: "A daily digest of the engagements you coach that went off track.",
    Role.ADMINISTRATOR: "A daily digest of the engagements you own that went off track.",
    Role.EARLY_WARNING: "A heads-up a few days before an engagement you coach, or are coached "
                        "in, would go off track with nothing scheduled (where its template "
                        "asks for one).",
    Role.WEEKLY_DIGEST: "On Monday morning: what you administer on and off track, what "
                        "changed last week and what goes off track this week.",
}
LABELS = {Role.EARLY_WARNING: "Early warnings before an engagement goes off track",
          Role.WEEKLY_DIGEST: "Weekly programme digest"}


class NudgePreferencesForm(forms.Form):
    """One switch per role the user holds; the field names are the roles."""

    def __init__(self, *args, roles, **kwargs):
        super().__init__(*args, **kwargs)
        for role in roles:
            self.fields[role] = forms.BooleanField(
                required=False,
                label=LABELS.get(role, f"Off-track emails as {Role(role).label.lower()}"),
                help_text=HELP[role],
            )
