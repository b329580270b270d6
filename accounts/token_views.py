"""
API tokens on the Settings page: each user creates and revokes their own. The token's text
is shown once, in the answer to the POST that created it, and never stored (only its digest:
accounts.models.ApiToken); it is not put in the session or a redirect either.
"""

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.models import ApiToken
from engagements.dates import DayField
from optify.forms import parse_id

# A user's tokens, at most: enough for every integration, few enough to review on one page.
MAX_TOKENS = 20


class ApiTokenForm(forms.Form):
    READ, WRITE = "read", "write"

    name = forms.CharField(max_length=100, label=gettext_lazy("Name"),
                           help_text=gettext_lazy("What uses it, e.g. “HR sync”."))
    access = forms.ChoiceField(
        label=gettext_lazy("Access"), widget=forms.RadioSelect, initial=READ,
        choices=[(READ, gettext_lazy("Read only")),
                 (WRITE, gettext_lazy("Read and write (sessions, discovery calls, "
                                      "invitations)"))])
    expires_on = DayField(required=False, label=gettext_lazy("Expires on (optional)"),
                          help_text=gettext_lazy("It stops working at the end of that day."))

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def today(self):
        company = self.user.company
        return company.local_today() if company else timezone.localdate()

    def clean_expires_on(self):
        day = self.cleaned_data.get("expires_on")
        if day is not None and day < self.today():
            raise forms.ValidationError(_("Choose today or a later day."))
        return day

    def clean(self):
        cleaned = super().clean()
        if ApiToken.objects.usable().filter(user=self.user).count() >= MAX_TOKENS:
            raise forms.ValidationError(
                _("You have %(n)d tokens: revoke one you no longer use first.")
                % {"n": MAX_TOKENS})
        return cleaned

    def expires_at(self):
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        tz = self.user.company.tzinfo if self.user.company else dt.UTC
        return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=tz)


def tokens_of(user):
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).order_by("-created_at",
                                                                                  "-pk")


@require_POST
@login_required
def create_token(request):
    form = ApiTokenForm(request.POST, user=request.user)
    if not form.is_valid():
        return render(request, "accounts/api_token_form.html", {"form": form}, status=400)
    token, plaintext = ApiToken.issue(
        user=request.user, name=form.cleaned_data["name"],
        write_enabled=form.cleaned_data["access"] == ApiTokenForm.WRITE,
        expires_at=form.expires_at())
    return render(request, "accounts/api_token_created.html",
                  {"token": token, "plaintext": plaintext})


@require_POST
@login_required
def revoke_token(request, pk):
    pk = parse_id(pk)
    token = get_object_or_404(ApiToken, pk=pk or 0, user=request.user, revoked_at__isnull=True)
    # A conditional update: revoking twice at once records the first moment only.
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now())
    messages.success(request, _("Token “%(name)s” revoked: it no longer works.")
                     % {"name": token.name})
    return redirect("notifications:settings")
