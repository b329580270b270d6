from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm

User = get_user_model()


class SignInForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That email and password do not match an account. Check both and "
                         "try again.",
        "inactive": "This account cannot sign in. Ask your programme administrator.",
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

    def get_users(self, email):
        return (
            user
            for user in super().get_users(email)
            if user.status in (User.Status.ACTIVE, User.Status.INVITED)
        )
