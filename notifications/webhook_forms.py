from django import forms
from django.utils.translation import gettext_lazy as _

from notifications.models import WebhookEndpoint, WebhookEventType
from optify.outbound import clean_url_field

EVENT_CHOICES = [(value, label) for value, label in WebhookEventType.choices
                 if value != WebhookEventType.TEST]


class WebhookEndpointForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        label=_("Events"), choices=EVENT_CHOICES, widget=forms.CheckboxSelectMultiple,
        help_text=_("What this address is sent. A test event can be sent to it at any time."),
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "description"]
        labels = {"url": _("Address (URL)"), "description": _("Description")}
        help_texts = {
            "url": _("Optify POSTs each event here as JSON, signed per Standard Webhooks. "
                     "Addresses inside a private network are refused."),
            "description": _("Optional: what receives these events, for you and your "
                             "colleagues."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial.setdefault("events", self.instance.event_types)

    def clean_url(self):
        return clean_url_field(self.cleaned_data["url"])

    def save(self, commit=True):
        self.instance.event_types = self.cleaned_data["events"]
        return super().save(commit=commit)
