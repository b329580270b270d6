"""Signed unsubscribe tokens: they name a user and a role, and need no sign-in."""

from django.core import signing

SALT = "notifications.unsubscribe"
# Long enough for an old email in someone's inbox to still work, short enough to expire.
MAX_AGE = 60 * 60 * 24 * 90


def make_unsubscribe_token(user, role):
    return signing.dumps({"u": user.pk, "r": str(role)}, salt=SALT, compress=True)


def read_unsubscribe_token(token):
    """(user_pk, role) from a token; raises signing.BadSignature (or SignatureExpired)."""
    data = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    if not isinstance(data, dict) or "u" not in data or "r" not in data:
        raise signing.BadSignature("Malformed unsubscribe token.")
    return data["u"], data["r"]
