"""
Who is calling the API: a bearer token (accounts.ApiToken) or, for the browsable API and the
docs, the signed-in session (DRF's SessionAuthentication, which keeps Django's CSRF check).
"""

import datetime as dt

from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from accounts.models import ApiToken

# last_used_at is written at most this often per token: a busy client would otherwise turn
# every read into a write of the same row.
LAST_USED_GRANULARITY = dt.timedelta(minutes=1)


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer opt_<key_id>_<secret>`; `request.auth` is the ApiToken."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("Invalid Authorization header: send “Bearer <token>”."))
        try:
            plaintext = header[1].decode("ascii")
        except UnicodeDecodeError as error:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from error
        user, token = self.authenticate_token(plaintext)
        speak_as(request, user)
        return user, token

    def authenticate_token(self, plaintext, now=None):
        now = now or timezone.now()
        parts = ApiToken.split(plaintext)
        token = None
        if parts is not None:
            key_id, secret = parts
            token = (ApiToken.objects.select_related("user", "user__company")
                     .filter(key_id=key_id).first())
            if token is not None and not token.matches(secret):
                token = None
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed(_("This token has been revoked."))
        if token.expires_at is not None and token.expires_at <= now:
            raise exceptions.AuthenticationFailed(_("This token has expired."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("This account cannot use the API."))
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_GRANULARITY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return token.user, token

    def authenticate_header(self, request):
        # Makes DRF answer 401 (with WWW-Authenticate) rather than 403 to a missing token.
        return f'{self.keyword} realm="api"'


def speak_as(request, user):
    """
    The rest of the request speaks the token's user's language, as their pages do (theirs,
    else their company's): reasons and error messages. optify.middleware.UserLanguageMiddleware
    chose before authentication (the browser's Accept-Language for a request without a
    session); it puts the thread's language back when the request ends and names this one
    in Content-Language.
    """
    translation.activate(translation.get_supported_language_variant(user.language_code))
    request._request.LANGUAGE_CODE = translation.get_language()
