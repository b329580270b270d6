"""
Sign-in throttling, as a django-axes handler (`AXES_HANDLER`): axes refuses a locked sign-in
in the authentication backend and answers it with our page (`lockout_response`); this module
decides who is locked.

What is locked is the pair (account, client address), never the account alone nor the address
alone: someone guessing passwords from their address only locks that address out of that
account, and failures under made-up emails lock no real account. After AXES_FAILURE_LIMIT
wrong passwords the pair is refused for a cooling-off period that doubles with each lockout
(SIGN_IN_COOLOFF, up to SIGN_IN_COOLOFF_MAX); attempts refused while cooling off check no
password and are not counted. A pair quiet for SIGN_IN_MEMORY is forgotten, and a successful
sign-in forgets it at once.

The client address is REMOTE_ADDR, or, behind TRUSTED_PROXIES reverse proxies, the address the
outermost of them saw (`client_ip`).
"""

import ipaddress
import logging

from axes.handlers.base import AbstractAxesHandler, AxesBaseHandler
from axes.helpers import get_client_username
from axes.signals import user_locked_out
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.shortcuts import render
from django.utils import timezone

from accounts.models import SignInThrottle

log = logging.getLogger("accounts.throttle")

USERNAME_LENGTH = 254  # an email address's longest


def _valid_ip(value):
    try:
        return str(ipaddress.ip_address(value.strip()))
    except (AttributeError, ValueError):
        return None


def client_ip(request):
    """
    The client's address: with TRUSTED_PROXIES = N proxies in front of Optify, each appending
    the address it received the request from to X-Forwarded-For, the client is the N-th entry
    from the right; what lies left of it was sent by the client and proves nothing. Without
    proxies (N = 0), or when the header is shorter than N entries or not an address (then the
    request did not come through the proxies as configured), it is REMOTE_ADDR.
    """
    remote = _valid_ip(request.META.get("REMOTE_ADDR", "")) or "0.0.0.0"
    hops = settings.TRUSTED_PROXIES
    if hops <= 0:
        return remote
    forwarded = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
                 if part.strip()]
    if len(forwarded) < hops:
        return remote
    return _valid_ip(forwarded[-hops]) or remote


def normalized_username(request, credentials):
    """The email signed in with, as the account is found: case and spaces do not make a new pair."""
    if credentials:
        username = credentials.get(settings.AXES_USERNAME_FORM_FIELD)
    else:
        username = getattr(request, "POST", {}).get(settings.AXES_USERNAME_FORM_FIELD)
    return (username or "").strip().lower()[:USERNAME_LENGTH]


def cooloff(lockouts):
    """How long the `lockouts`-th lockout of a pair lasts: doubling, within a maximum."""
    doublings = min(max(lockouts - 1, 0), 30)  # past the maximum anyway; no overflow
    return min(settings.SIGN_IN_COOLOFF * 2**doublings, settings.SIGN_IN_COOLOFF_MAX)


def forget_pair(user, ip_address):
    """After a successful sign-in or password reset from `ip_address`: that pair starts afresh."""
    SignInThrottle.objects.filter(username=user.get_username().lower(),
                                  ip_address=ip_address).delete()


def _pair(request, credentials):
    return {"username": get_client_username(request, credentials),
            "ip_address": request.axes_ip_address}


class SignInThrottleHandler(AbstractAxesHandler, AxesBaseHandler):
    def is_locked(self, request, credentials=None):
        return SignInThrottle.objects.filter(
            **_pair(request, credentials), locked_until__gt=request.axes_attempt_time
        ).exists()

    def get_failures(self, request, credentials=None):
        throttle = SignInThrottle.objects.filter(**_pair(request, credentials)).first()
        return throttle.failures if throttle else 0

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        if request is None:
            return  # authenticate() without a request (a shell, a test): nothing to count
        request.axes_credentials = credentials
        if request.axes_locked_out:
            return  # refused while cooling off: no password was checked
        now = request.axes_attempt_time
        pair = _pair(request, credentials)
        with transaction.atomic():
            SignInThrottle.objects.filter(
                Q(locked_until__isnull=True) | Q(locked_until__lt=now - settings.SIGN_IN_MEMORY),
                last_failure_at__lt=now - settings.SIGN_IN_MEMORY,
            ).delete()
            throttle, _ = SignInThrottle.objects.select_for_update().get_or_create(**pair)
            throttle.failures += 1
            throttle.last_failure_at = now
            locked = throttle.failures >= settings.AXES_FAILURE_LIMIT
            if locked:
                throttle.lockouts += 1
                throttle.failures = 0
                throttle.locked_until = now + cooloff(throttle.lockouts)
            throttle.save()
        if locked:
            log.warning("sign_in_locked lockouts=%d until=%s", throttle.lockouts,
                        throttle.locked_until.isoformat())
            request.axes_locked_out = True
            user_locked_out.send("axes", request=request, username=pair["username"],
                                 ip_address=pair["ip_address"])

    def user_logged_in(self, sender, request, user, **kwargs):
        if request is not None:
            forget_pair(user, request.axes_ip_address)

    def user_logged_out(self, sender, request, user, **kwargs):
        pass

    def reset_attempts(self, *, ip_address=None, username=None, ip_or_username=False):
        """For axes' reset commands (`manage.py axes_reset_username ...`)."""
        throttles = SignInThrottle.objects.all()
        if ip_or_username:
            throttles = throttles.filter(Q(ip_address=ip_address) | Q(username=username))
        else:
            if ip_address:
                throttles = throttles.filter(ip_address=ip_address)
            if username:
                throttles = throttles.filter(username=username.strip().lower())
        return throttles.delete()[0]


def lockout_response(request, original_response=None, credentials=None):
    """The answer to a refused sign-in (`AXES_LOCKOUT_CALLABLE`): when to try again, 429."""
    throttle = SignInThrottle.objects.filter(**_pair(request, credentials)).first()
    retry_at = throttle.locked_until if throttle else None
    response = render(request, "accounts/locked_out.html", {"retry_at": retry_at}, status=429)
    if retry_at:
        seconds = max(int((retry_at - timezone.now()).total_seconds()), 1)
        response["Retry-After"] = str(seconds)
    return response
