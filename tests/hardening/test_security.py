import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_pages_carry_a_content_security_policy_without_inline_script(client):
    response = client.get(reverse("accounts:login"))
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_pages_have_no_inline_script(client):
    body = client.get(reverse("accounts:login")).content.decode()
    assert "<script>" not in body
    assert "<script src=" in body


def test_sign_in_is_locked_after_repeated_failures_with_a_clear_message(client, settings):
    settings.AXES_ENABLED = True
    UserFactory(email="victim@example.com")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("accounts:login"),
                    {"username": "victim@example.com", "password": "guess"})
    response = client.post(reverse("accounts:login"), {
        "username": "victim@example.com", "password": "correct horse battery staple",
    })
    assert response.status_code == 429
    assert b"Too many sign-in attempts" in response.content
    assert "_auth_user_id" not in client.session


def test_session_cookie_expires(settings):
    assert settings.SESSION_COOKIE_AGE <= 12 * 60 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


def test_weak_passwords_are_refused_on_invitation(client):
    from accounts.invitations import invitation_url, send_invitation

    invitee = UserFactory(status="invited", password=None)
    send_invitation(invitee)
    path = invitation_url(invitee).split("optify.test", 1)[1]
    response = client.post(path, {"new_password1": "12345678", "new_password2": "12345678"})
    assert response.status_code == 200
    assert b"too common" in response.content or b"entirely numeric" in response.content
