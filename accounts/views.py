import logging

from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts.forms import InvitationAcceptForm, LanguageForm, ResetPasswordForm, SignInForm
from accounts.invitations import invitation_token_generator
from accounts.tasks import send_password_reset
from accounts.throttle import client_ip, forget_pair

User = get_user_model()
log = logging.getLogger("accounts")


class SignInView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True


class SignOutView(auth_views.LogoutView):
    pass


class PasswordResetView(auth_views.PasswordResetView):
    """
    Answers at once and alike for every address. Finding the account and rendering and
    sending its email is the task's (accounts/tasks.py), queued once the answer has gone:
    done here, it made the page measurably slower for real accounts (62.7 against 54.2 ms),
    which told anyone which addresses have one.
    """

    template_name = "accounts/password_reset.html"
    form_class = ResetPasswordForm
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        response = HttpResponseRedirect(self.get_success_url())
        return call_after_response(
            response, send_password_reset.delay, form.cleaned_data["email"],
            domain=self.request.get_host(), use_https=self.request.is_secure(),
        )


def call_after_response(response, function, *args, **kwargs):
    """
    Calls `function` once `response` has been sent: WSGI and ASGI servers close a response
    after its last byte, and the test client does too. A failure is logged, not raised: the
    answer is gone. (Queuing a Celery task here runs it in-process on the embedded default.)
    Before the response's own closing, which ends the request (and its database connection).
    """
    close = response.close

    def call_then_close():
        try:
            function(*args, **kwargs)
        except Exception:
            log.exception("after_response_failed function=%s",
                          getattr(function, "__qualname__", function))
        finally:
            close()

    response.close = call_then_close
    return response


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form):
        # Whoever set a new password from the emailed link may sign in from here again at once
        # (the refusal page offers the reset for that). Only from here: a reset does not
        # lift, for an attacker's address, a cooling-off it earned.
        response = super().form_valid(form)
        forget_pair(form.user, client_ip(self.request))
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


def _user_from_uid(uidb64):
    try:
        pk = force_str(urlsafe_base64_decode(uidb64))
        return User.objects.get(pk=pk)
    except (TypeError, ValueError, OverflowError, User.DoesNotExist):
        return None


@sensitive_post_parameters()
@never_cache
def accept_invitation(request, uidb64, token):
    user = _user_from_uid(uidb64)
    valid = (
        user is not None
        and user.status == User.Status.INVITED
        and invitation_token_generator.check_token(user, token)
    )
    if not valid:
        return render(request, "accounts/invitation_invalid.html", status=400)
    form = InvitationAcceptForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome to Optify, %(name)s.") % {
            "name": user.get_short_name()})
        return redirect("home")
    return render(request, "accounts/accept_invitation.html", {"form": form, "invitee": user})


@login_required
@require_POST
def change_language(request):
    """The language form of the Settings page."""
    form = LanguageForm(request.POST, instance=request.user)
    if form.is_valid():
        form.save()
        # Said in the language just chosen, as the page it redirects to will be.
        with translation.override(request.user.language_code):
            messages.success(request, _("Your language is saved."))
    else:
        messages.error(request, _("Choose one of the languages offered."))
    return redirect("notifications:settings")
