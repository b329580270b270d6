"""
Links that work without a sign-in — invitations, password resets, unsubscribes — each signed
for its own purpose and with an expiry, so that one cannot be used as another, an old one
dies, and nobody can mint one without the deployment's own SECRET_KEY.
"""

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.invitations import invitation_token_generator, invitation_url
from accounts.models import User
from notifications.models import Role
from notifications.tokens import MAX_AGE, make_unsubscribe_token
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
NOW = dt.datetime(2026, 4, 1, 12, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def invitee(db):
    return UserFactory(email="new@acme.test", status=User.Status.INVITED, password=None)


def uid(user):
    return urlsafe_base64_encode(force_bytes(user.pk))


def reset_form_offered(client, user, token):
    page = client.get(reverse("accounts:password_reset_confirm", args=[uid(user), token]),
                      follow=True)
    return "new_password1" in page.content.decode()


def test_an_invitation_link_is_no_password_reset_link(client, invitee):
    token = invitation_token_generator.make_token(invitee)
    assert not reset_form_offered(client, invitee, token)
    # ...while a real reset token for the same user is offered the form: the test can tell.
    assert reset_form_offered(client, invitee, default_token_generator.make_token(invitee))


def test_a_password_reset_link_is_no_invitation(client, invitee):
    token = default_token_generator.make_token(invitee)
    path = reverse("accounts:accept_invitation", args=[uid(invitee), token])
    assert client.get(path).status_code == 400
    assert client.get(invitation_url(invitee).split("optify.test", 1)[1]).status_code == 200


def test_an_invitation_expires(client, invitee, settings, _frozen):
    path = invitation_url(invitee).split("optify.test", 1)[1]
    _frozen.shift(dt.timedelta(seconds=settings.INVITATION_TIMEOUT - 60))
    assert client.get(path).status_code == 200
    _frozen.shift(dt.timedelta(seconds=120))
    assert client.get(path).status_code == 400


def test_an_invitation_is_spent_once_its_invitee_is_active_or_inactive(client, invitee):
    path = invitation_url(invitee).split("optify.test", 1)[1]
    for status in (User.Status.ACTIVE, User.Status.INACTIVE):
        User.objects.filter(pk=invitee.pk).update(status=status)
        assert client.get(path).status_code == 400


def unsubscribe(client, token):
    return client.get(reverse("notifications:unsubscribe", args=[token]))


def test_an_unsubscribe_token_is_signed_for_unsubscribing_only(client, coachee):
    assert unsubscribe(client, make_unsubscribe_token(coachee, Role.COACHEE)).status_code == 200
    payload = {"u": coachee.pk, "r": "coachee"}
    for salt in ("", "django.core.signing", "accounts.invitations.InvitationTokenGenerator"):
        forged = signing.dumps(payload, salt=salt, compress=True)
        assert unsubscribe(client, forged).status_code == 400, salt
    # Nor can one be minted with another key, such as one published in a compose file.
    forged = signing.dumps(payload, key="change-me-in-production-please-0123456789abcdefghijklmnop",
                           salt="notifications.unsubscribe", compress=True)
    assert unsubscribe(client, forged).status_code == 400


def test_an_unsubscribe_token_expires(client, coachee, _frozen):
    token = make_unsubscribe_token(coachee, Role.COACHEE)
    _frozen.shift(dt.timedelta(seconds=MAX_AGE - 60))
    assert unsubscribe(client, token).status_code == 200
    _frozen.shift(dt.timedelta(seconds=120))
    response = unsubscribe(client, token)
    assert response.status_code == 400


def test_docker_compose_refuses_to_start_without_a_secret_key():
    compose = (ROOT / "docker-compose.yml").read_text()
    entries = re.findall(r"^\s*SECRET_KEY:\s*(.+)$", compose, flags=re.MULTILINE)
    assert entries, "docker-compose.yml sets SECRET_KEY"
    for value in entries:
        # ${VAR:?message} makes `docker compose` stop with the message when VAR is unset or empty.
        assert re.fullmatch(r"\$\{SECRET_KEY:\?[^}]+\}", value.strip()), value


def test_the_app_refuses_to_start_without_a_secret_key_when_debug_is_off():
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    env["DEBUG"] = "false"
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()"], cwd=ROOT,
                            env=env | {"DJANGO_SETTINGS_MODULE": "optify.settings"},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr
