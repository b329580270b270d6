"""Who may do what through the API, before the gate and the actions have their say."""

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from accounts.models import ApiToken


class TokenScopePermission(permissions.BasePermission):
    """
    Signed in (by token or session), and a read-only token only reads: it is refused on any
    method that could change something, whatever the user behind it may do.
    """

    message = _("This token is read-only: create a read-write token on the Settings page "
                "to make changes.")

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            self.message = _("Authentication credentials were not provided.")
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        token = request.auth
        if isinstance(token, ApiToken) and not token.write_enabled:
            self.message = TokenScopePermission.message
            return False
        return True
