"""
Sign-in throttling (accounts/throttle.py) against the two attacks that locked real users out:
failures under made-up emails from one address, and a proxy that makes everyone one address.
What is throttled is the pair (account, client address), with a cooling-off that grows.
"""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import SignInThrottle
from tests.factories import AdminFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
NOW = dt.datetime(2026, 4, 1, 12, tzinfo=dt.UTC)
ATTACKER = "198.51.100.66"
ADMIN_DESK = "203.0.113.10"
PROXY = "127.0.0.9"


@pytest.fixture(autouse=True)
def _throttling_on(settings):
    settings.AXES_ENABLED = True
    settings.TRUSTED_PROXIES = 0


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def admin(db):
    return AdminFactory(email="admin@acme.test")


def sign_in(client, email, password=PASSWORD, **headers):
    client.logout()
    return client.post(reverse("accounts:login"), {"username": email, "password": password},
                       **headers)


def signed_in(response):
    return response.status_code == 302 and response.url == reverse("home")


def test_failures_under_made_up_emails_do_not_lock_out_the_real_admin(client, admin, clock):
    for n in range(5):
        response = sign_in(client, f"made-up-{n}@acme.test", "guess", REMOTE_ADDR=ATTACKER)
        assert response.status_code == 200
    # Not from the admin's own desk...
    assert signed_in(sign_in(client, admin.email, REMOTE_ADDR=ADMIN_DESK))
    # ...nor even from the attacker's address: no account was guessed at five times.
    assert signed_in(sign_in(client, admin.email, REMOTE_ADDR=ATTACKER))


def test_guessing_one_account_from_one_address_throttles_only_that_pair(client, admin, clock):
    for _ in range(4):
        assert sign_in(client, admin.email, "guess", REMOTE_ADDR=ATTACKER).status_code == 200
    fifth = sign_in(client, admin.email, "guess", REMOTE_ADDR=ATTACKER)
    assert fifth.status_code == 429
    assert b"Too many sign-in attempts" in fifth.content
    assert int(fifth["Retry-After"]) == 5 * 60
    # Even the right password is refused from there, without being checked...
    refused = sign_in(client, admin.email, REMOTE_ADDR=ATTACKER)
    assert refused.status_code == 429 and "_auth_user_id" not in client.session
    # ...and with other spellings of the same email.
    assert sign_in(client, " ADMIN@Acme.test", REMOTE_ADDR=ATTACKER).status_code == 429
    # The admin signs in from their own address all along.
    assert signed_in(sign_in(client, admin.email, REMOTE_ADDR=ADMIN_DESK))


def test_the_cooling_off_grows_with_each_lockout_and_refusals_do_not_count(client, admin,
                                                                           clock):
    waits = []
    for _ in range(3):
        for _ in range(5):
            response = sign_in(client, admin.email, "guess", REMOTE_ADDR=ATTACKER)
        assert response.status_code == 429
        waits.append(int(response["Retry-After"]))
        # Hammering during the cooling-off is refused, and neither counts nor prolongs it.
        for _ in range(20):
            assert sign_in(client, admin.email, "guess", REMOTE_ADDR=ATTACKER).status_code == 429
        clock.shift(dt.timedelta(seconds=waits[-1] - 1))
        assert sign_in(client, admin.email, REMOTE_ADDR=ATTACKER).status_code == 429
        clock.shift(dt.timedelta(seconds=1))
    assert waits == [5 * 60, 10 * 60, 20 * 60]
    # Once it is over, the right password works, and the pair starts afresh.
    assert signed_in(sign_in(client, admin.email, REMOTE_ADDR=ATTACKER))
    assert not SignInThrottle.objects.exists()


def test_a_pair_quiet_for_a_day_is_forgotten(client, admin, clock):
    for _ in range(5):
        sign_in(client, admin.email, "guess", REMOTE_ADDR=ATTACKER)
    clock.shift(dt.timedelta(days=1, minutes=10))
    sign_in(client, "someone@else.test", "guess", REMOTE_ADDR=ADMIN_DESK)  # a failure cleans up
    assert list(SignInThrottle.objects.values_list("username", flat=True)) == [
        "someone@else.test"]


def test_behind_a_trusted_proxy_users_do_not_share_a_lock(client, admin, settings, clock):
    settings.TRUSTED_PROXIES = 1
    for _ in range(5):
        # The attacker's own X-Forwarded-For entries come first; the proxy appends what it saw.
        response = sign_in(client, admin.email, "guess", REMOTE_ADDR=PROXY,
                           HTTP_X_FORWARDED_FOR=f"{ADMIN_DESK}, {ATTACKER}")
    assert response.status_code == 429
    assert sign_in(client, admin.email, REMOTE_ADDR=PROXY,
                   HTTP_X_FORWARDED_FOR=ATTACKER).status_code == 429
    assert signed_in(sign_in(client, admin.email, REMOTE_ADDR=PROXY,
                             HTTP_X_FORWARDED_FOR=ADMIN_DESK))
    assert set(SignInThrottle.objects.values_list("ip_address", flat=True)) == {ATTACKER}


def test_without_trusted_proxies_x_forwarded_for_is_ignored(client, admin, clock):
    # Anyone can send the header: rotating it must not buy more guesses.
    for n in range(5):
        response = sign_in(client, admin.email, "guess", REMOTE_ADDR=ATTACKER,
                           HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    assert response.status_code == 429
    assert set(SignInThrottle.objects.values_list("ip_address", flat=True)) == {ATTACKER}


@pytest.mark.parametrize("forwarded", ["", "not-an-address", "2001:db8::1, junk", " , "])
def test_a_forwarded_header_that_is_not_an_address_falls_back_to_the_peer(client, admin,
                                                                          settings, clock,
                                                                          forwarded):
    settings.TRUSTED_PROXIES = 1
    response = sign_in(client, admin.email, "guess", REMOTE_ADDR=PROXY,
                       HTTP_X_FORWARDED_FOR=forwarded)
    assert response.status_code == 200
    assert list(SignInThrottle.objects.values_list("ip_address", flat=True)) == [PROXY]


def test_a_password_reset_lifts_the_cooling_off_only_where_it_was_done(client, admin, clock):
    for address in (ADMIN_DESK, ATTACKER):
        for _ in range(5):
            sign_in(client, admin.email, "guess", REMOTE_ADDR=address)
    uid = urlsafe_base64_encode(force_bytes(admin.pk))
    token = default_token_generator.make_token(admin)
    page = client.get(reverse("accounts:password_reset_confirm", args=[uid, token]),
                      REMOTE_ADDR=ADMIN_DESK, follow=True)
    new = "a brand new passphrase"
    done = client.post(page.redirect_chain[-1][0],
                       {"new_password1": new, "new_password2": new}, REMOTE_ADDR=ADMIN_DESK)
    assert done.status_code == 302
    assert signed_in(sign_in(client, admin.email, new, REMOTE_ADDR=ADMIN_DESK))
    assert sign_in(client, admin.email, new, REMOTE_ADDR=ATTACKER).status_code == 429
