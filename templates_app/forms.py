from django import forms
from django.contrib.auth import get_user_model
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Location
from engagements.people import coach_candidates, coachee_candidates, company_admins, locations_for
from templates_app.models import EngagementKind, EngagementTemplate, ThresholdUnit

User = get_user_model()

# Who receives what and when: said on the form and on the templates page (issue 15).
REMINDERS_SENTENCE = gettext_lazy(
    "Every N days while an engagement stays Off Track, its coachee, coach and owner "
    "administrator get the off-track email again, in that morning's digest.")
EARLY_WARNING_SENTENCE = gettext_lazy(
    "N days before an engagement with nothing scheduled would go Off Track, its coachee and "
    "coach get one heads-up that morning, with a link to book.")

TRACKING_FIELDS = ("tracking_threshold_days", "offtrack_notifications_enabled",
                   "offtrack_reminder_every_days", "early_warning_days")


class EngagementTemplateForm(forms.ModelForm):
    """The threshold is entered as a number of days or weeks and stored as days."""

    threshold = forms.IntegerField(
        required=False, min_value=1, max_value=3650, label=gettext_lazy("Off Track after"),
        help_text=gettext_lazy("Without any activity for this long. Leave empty to turn "
                               "tracking off."),
    )
    threshold_unit = forms.ChoiceField(choices=ThresholdUnit.choices, label=gettext_lazy("Unit"),
                                       initial=ThresholdUnit.DAYS)

    class Meta:
        model = EngagementTemplate
        fields = ["name", "kind", "description", "offtrack_notifications_enabled",
                  "offtrack_reminder_every_days", "early_warning_days"]
        labels = {
            "name": gettext_lazy("Name"),
            "kind": gettext_lazy("Kind"),
            "description": gettext_lazy("Description"),
            "offtrack_notifications_enabled": gettext_lazy(
                "Email the coachee, coach and owner when it goes Off Track"),
            "offtrack_reminder_every_days": gettext_lazy("Remind every N days while Off Track"),
            "early_warning_days": gettext_lazy("Warn N days before it would go Off Track"),
        }
        help_texts = {
            "offtrack_reminder_every_days": format_lazy(
                "{} {}", REMINDERS_SENTENCE, gettext_lazy("Optional; empty means no reminders.")),
            "early_warning_days": format_lazy(
                "{} {}", EARLY_WARNING_SENTENCE,
                gettext_lazy("Optional; empty (the default) means no warning.")),
        }

    field_order = ["name", "kind", "description", "threshold", "threshold_unit",
                   "offtrack_notifications_enabled", "offtrack_reminder_every_days",
                   "early_warning_days"]

    def __init__(self, *args, company, **kwargs):
        self.company = company
        super().__init__(*args, **kwargs)
        template = self.instance
        if template.pk and template.tracking_threshold_days:
            days = template.tracking_threshold_days
            if template.tracking_threshold_unit == ThresholdUnit.WEEKS and days % 7 == 0:
                self.initial.update(threshold=days // 7, threshold_unit=ThresholdUnit.WEEKS)
            else:
                self.initial.update(threshold=days, threshold_unit=ThresholdUnit.DAYS)

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        clash = EngagementTemplate.objects.filter(company=self.company, name__iexact=name)
        if clash.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("Your company already has a template with this name."))
        return name

    def clean(self):
        cleaned = super().clean()
        number, unit = cleaned.get("threshold"), cleaned.get("threshold_unit")
        if number is not None and unit:
            days = number * 7 if unit == ThresholdUnit.WEEKS else number
            if days > 3650:
                self.add_error("threshold", _("At most 10 years (3650 days)."))
            cleaned["tracking_threshold_days"] = days
        else:
            cleaned["tracking_threshold_days"] = None
        return cleaned

    def tracking_before(self):
        return {name: getattr(self.instance, name) for name in TRACKING_FIELDS} \
            if self.instance.pk else None

    def save(self, commit=True):
        template = super().save(commit=False)
        template.company = self.company
        template.tracking_threshold_days = self.cleaned_data["tracking_threshold_days"]
        template.tracking_threshold_unit = self.cleaned_data.get("threshold_unit") \
            or ThresholdUnit.DAYS
        if commit:
            template.save()
        return template


class LaunchForm(forms.Form):
    """
    Launching an engagement from a template. Every dropdown is restricted to the launching
    administrator's company: coachees are its people (internal records included), coaches
    come from `coach_candidates`, owners are its administrators, and a location administrator
    may only choose (and must choose) one of their locations.
    """

    coachee = forms.ModelChoiceField(queryset=User.objects.none(), label=gettext_lazy("Coachee"))
    coach = forms.ModelChoiceField(queryset=User.objects.none(), required=False,
                                   label=gettext_lazy("Coach"),
                                   help_text=gettext_lazy("Leave empty to find one by coach "
                                                          "matching."))
    owner = forms.ModelChoiceField(queryset=User.objects.none(), label=gettext_lazy("Owner"),
                                   help_text=gettext_lazy("The administrator responsible."))
    location = forms.ModelChoiceField(queryset=Location.objects.none(), required=False,
                                      label=gettext_lazy("Location"))

    def __init__(self, *args, template, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.template = template
        self.user = user
        company = template.company
        self.fields["coachee"].queryset = coachee_candidates(company)
        self.fields["coach"].queryset = coach_candidates(company)
        self.fields["owner"].queryset = company_admins(company)
        self.fields["owner"].initial = user.pk
        self.fields["location"].queryset = locations_for(user, company)
        if not user.is_global_admin:
            self.fields["location"].required = True
        if template.kind == EngagementKind.COACH_MATCHING:
            self.fields["coach"].disabled = True
            self.fields["coach"].help_text = _("Chosen later, by coach matching.")
        else:
            self.fields["coach"].required = True
            self.fields["coach"].help_text = ""
        if not self.fields["location"].queryset.exists():
            del self.fields["location"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("coach") and cleaned.get("coach") == cleaned.get("coachee"):
            self.add_error("coach", _("A coachee cannot be their own coach."))
        return cleaned
