from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.utils import translation
from django.utils.translation import gettext_lazy as _

User = get_user_model()


class SignInForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Email"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("That email and password do not match an account. Check both and "
                           "try again."),
        "inactive": _("This account cannot sign in. Ask your programme administrator."),
    }


class InvitationAcceptForm(SetPasswordForm):
    """Sets the first password of an invited user, who becomes active."""

    def save(self, commit=True):
        user = super().save(commit=False)
        user.status = User.Status.ACTIVE
        if commit:
            user.save()
        return user


class ResetPasswordForm(PasswordResetForm):
    """Only users who may sign in get a reset link; internal records never do."""

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        # In the account's language, not the one of the page that asked (nor the task's).
        with translation.override(context["user"].language_code):
            super().send_mail(subject_template_name, email_template_name, context,
                              *args, **kwargs)

    def get_users(self, email):
        return (
            user
            for user in super().get_users(email)
            if user.status in (User.Status.ACTIVE, User.Status.INVITED)
        )


class LanguageForm(forms.ModelForm):
    """The user's language (Settings): one of Optify's, or blank for their company's."""

    class Meta:
        model = User
        fields = ["language"]
        labels = {"language": _("Language")}
        help_texts = {"language": _("Of your pages and of the emails Optify sends you.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        company = self.instance.company
        default = dict(settings.LANGUAGES).get(
            company.language if company else settings.LANGUAGE_CODE, "")
        self.fields["language"].choices = [
            ("", _("Your company’s (%(language)s)") % {"language": default}),
            *settings.LANGUAGES,
        ]
