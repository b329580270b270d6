"""
Rate limits per token (per user for session callers), counted in the "api" cache — Redis,
when REDIS_URL is set, so that every web process counts together — else the default cache.
"""

from django.conf import settings
from django.core.cache import caches
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import ApiToken


class TokenRateThrottle(SimpleRateThrottle):
    scope = "api"

    def __init__(self):
        self.cache = caches["api" if "api" in settings.CACHES else "default"]
        super().__init__()

    def get_cache_key(self, request, view):
        user = request.user
        if isinstance(request.auth, ApiToken):
            # Its random id, not its row's: SQLite reuses the ids of deleted rows, and a new
            # token must not inherit the count of an old one.
            ident = f"token:{request.auth.key_id}"
        elif user and user.is_authenticated:
            ident = f"user:{user.pk}"
        else:
            ident = f"anon:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
