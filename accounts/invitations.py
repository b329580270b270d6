from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode

from notifications.emails import send_email


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    """
    Invitation links: a password-reset style token under a salt of their own, so that an
    invitation is no password-reset link and a reset link no invitation, with their own life
    (INVITATION_TIMEOUT). The user's status is part of what is signed: a link is spent once its
    invitee is active (or inactive), as well as once a password is set.
    """

    key_salt = "accounts.invitations.InvitationTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        return f"{super()._make_hash_value(user, timestamp)}{user.status}"

    def check_token(self, user, token):
        # Django's check_token reads PASSWORD_RESET_TIMEOUT; this is the same check with ours.
        if not (user and token):
            return False
        try:
            timestamp = base36_to_int(token.split("-")[0])
        except ValueError:
            return False
        if self._num_seconds(self._now()) - timestamp > settings.INVITATION_TIMEOUT:
            return False
        return any(
            constant_time_compare(self._make_token_with_timestamp(user, timestamp, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        )


invitation_token_generator = InvitationTokenGenerator()


def invitation_url(user):
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = invitation_token_generator.make_token(user)
    return settings.SITE_URL + reverse("accounts:accept_invitation", args=[uid, token])


def send_invitation(user, invited_by=None):
    """
    Emails `user` a link to set a password. It stops working once used (the password hash and
    the status change) or after INVITATION_TIMEOUT.
    """
    from accounts.models import User

    if user.status == User.Status.INTERNAL_RECORD:
        user.status = User.Status.INVITED
    user.invited_at = timezone.now()
    user.save(update_fields=["status", "invited_at"])
    send_email(
        "invitation",
        to=user.email,
        context={"user": user, "invited_by": invited_by, "url": invitation_url(user),
                 "company": user.company},
        language=user.language_code,
    )
