from django import forms
from django.utils.translation import gettext_lazy as _

from notifications.models import Role

HELP = {
    Role.COACHEE: _("A friendly reminder when it's time to schedule your next session."),
    Role.COACH: _("A daily digest of the engagements you coach that went off track."),
    Role.ADMINISTRATOR: _("A daily digest of the engagements you own that went off track."),
    Role.EARLY_WARNING: _("A heads-up a few days before an engagement you coach, or are coached "
                          "in, would go off track with nothing scheduled (where its template "
                          "asks for one)."),
    Role.WEEKLY_DIGEST: _("On Monday morning: what you administer on and off track, what "
                          "changed last week and what goes off track this week."),
    Role.CALENDAR_INVITES: _("An email with a calendar invitation when a session or "
                             "discovery call of yours is scheduled, moved or cancelled."),
    Role.MESSAGES: _("When someone writes in the message thread of an engagement you take "
                     "part in. Several messages in a row come as one email."),
}
LABELS = {Role.EARLY_WARNING: _("Early warnings before an engagement goes off track"),
          Role.WEEKLY_DIGEST: _("Weekly programme digest"),
          Role.COACHEE: _("Off-track emails as coachee"),
          Role.COACH: _("Off-track emails as coach"),
          Role.ADMINISTRATOR: _("Off-track emails as administrator"),
          Role.CALENDAR_INVITES: _("Calendar invitations for sessions"),
          Role.MESSAGES: _("New messages")}


class NudgePreferencesForm(forms.Form):
    """One switch per role the user holds; the field names are the roles."""

    def __init__(self, *args, roles, **kwargs):
        super().__init__(*args, **kwargs)
        for role in roles:
            self.fields[role] = forms.BooleanField(
                required=False,
                label=LABELS[role],
                help_text=HELP[role],
            )
