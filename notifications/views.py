from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from accounts.forms import LanguageForm
from engagements.calendar_views import settings_context as calendar_settings
from notifications.forms import NudgePreferencesForm
from notifications.models import Role
from notifications.preferences import enabled_roles, other_kinds_held, roles_held, set_enabled
from notifications.tokens import read_unsubscribe_token


@login_required
@require_http_methods(["GET", "POST"])
def settings_view(request):
    roles = roles_held(request.user)
    kinds = other_kinds_held(request.user, roles)
    enabled = enabled_roles(request.user)
    data = request.POST if request.method == "POST" else None
    form = NudgePreferencesForm(data, roles=roles,
                                initial={role: role in enabled for role in roles})
    # The early warnings and the weekly digest: switches of their own, in the same POST.
    other_form = NudgePreferencesForm(data, roles=kinds,
                                      initial={kind: kind in enabled for kind in kinds})
    if request.method == "POST" and form.is_valid() and other_form.is_valid():
        for chosen in (form, other_form):
            for role, on in chosen.cleaned_data.items():
                set_enabled(request.user, role, on)
        messages.success(request, _("Your notification settings are saved."))
        return redirect("notifications:settings")
    return render(request, "notifications/settings.html",
                  {"form": form, "other_form": other_form, "roles": roles,
                   "language_form": LanguageForm(instance=request.user),
                   **calendar_settings(request)})


# No sign-in and no CSRF token: the signed token is the credential, and RFC 8058 one-click
# POSTs come from mail providers, which have neither a session nor our cookie.
# never_cache: the page names the recipient, and is not behind a sign-in that would mark it
# private (optify.middleware.PrivatePagesMiddleware).
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    try:
        user_pk, role = read_unsubscribe_token(token)
        user = get_user_model().objects.get(pk=user_pk)
        role = Role(role)
    except signing.SignatureExpired:
        return render(request, "notifications/unsubscribe_invalid.html", {"expired": True},
                      status=400)
    except (signing.BadSignature, ValueError, get_user_model().DoesNotExist):
        return render(request, "notifications/unsubscribe_invalid.html", {"expired": False},
                      status=400)
    context = {"user_email": user.email, "role": role}
    # In the language of the emails it stops: the recipient's, whoever's browser opened it.
    with translation.override(user.language_code):
        if request.method == "POST":
            # GET only shows a button: link scanners and previews fetch URLs, and must not
            # unsubscribe anyone. A mail client's one-click POST and our button both land here.
            set_enabled(user, role, False)
            return render(request, "notifications/unsubscribed.html", context)
        return render(request, "notifications/unsubscribe.html", context)
