from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from notifications.emails import send_email


def invitation_url(user):
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return settings.SITE_URL + reverse("accounts:accept_invitation", args=[uid, token])


def send_invitation(user, invited_by=None):
    """
    Emails `user` a link to set a password. The link is a password-reset token, so it
    stops working once used (the password hash changes) or after PASSWORD_RESET_TIMEOUT.
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
    )
