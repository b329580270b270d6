import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.invitations import send_invitation
from accounts.models import User
from tests.factories import UserFactory

PASSWORD = "correct horse battery staple"


@pytest.fixture
def active_user(db):
    return UserFactory(email="ann@example.com", full_name="Ann Active")


def sign_in(client, email, password=PASSWORD):
    return client.post(reverse("accounts:login"), {"username": email, "password": password})


def test_sign_in_page_renders(client, db):
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    assert b"Sign in" in response.content


def test_active_user_signs_in_by_email_and_sees_the_layout(client, active_user):
    response = sign_in(client, "ANN@example.com")
    assert response.status_code == 302
    page = client.get(response.url)
    assert page.status_code == 200
    assert b"Sign out" in page.content
    assert b"Ann Active" in page.content


def test_wrong_password_gives_a_clear_message(client, active_user):
    response = sign_in(client, "ann@example.com", "nope")
    assert response.status_code == 200
    assert b"do not match an account" in response.content


@pytest.mark.parametrize("status", [User.Status.INTERNAL_RECORD, User.Status.INACTIVE])
def test_internal_records_and_inactive_users_cannot_sign_in(client, db, status):
    UserFactory(email="rec@example.com", status=status)
    response = sign_in(client, "rec@example.com")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_sign_out_is_a_post(client, active_user):
    client.force_login(active_user, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_password_reset_emails_a_link_that_sets_a_new_password(client, active_user):
    client.post(reverse("accounts:password_reset"), {"email": "ann@example.com"})
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.alternatives, "reset email has an HTML part"
    link = re.search(r"https?://[^\s]+/accounts/reset/[^\s]+/", message.body).group(0)
    path = link.split("testserver", 1)[-1]
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    response = client.post(form_page.redirect_chain[-1][0], {
        "new_password1": "a brand new passphrase", "new_password2": "a brand new passphrase",
    })
    assert response.status_code == 302
    active_user.refresh_from_db()
    assert active_user.check_password("a brand new passphrase")


def test_password_reset_sends_nothing_to_an_internal_record(client, db):
    UserFactory(email="rec@example.com", status=User.Status.INTERNAL_RECORD)
    response = client.post(reverse("accounts:password_reset"), {"email": "rec@example.com"})
    assert response.status_code == 302  # same answer either way: no account enumeration
    assert mail.outbox == []


def test_invitation_sets_a_password_and_activates(client, db):
    invitee = UserFactory(email="new@example.com", status=User.Status.INTERNAL_RECORD,
                          password=None)
    send_invitation(invitee)
    invitee.refresh_from_db()
    assert invitee.status == User.Status.INVITED
    assert len(mail.outbox) == 1
    link = re.search(r"https://optify.test(/accounts/invitation/\S+/)", mail.outbox[0].body)
    page = client.get(link.group(1))
    assert page.status_code == 200
    response = client.post(link.group(1), {
        "new_password1": "a lovely long passphrase", "new_password2": "a lovely long passphrase",
    })
    assert response.status_code == 302
    invitee.refresh_from_db()
    assert invitee.status == User.Status.ACTIVE
    assert invitee.check_password("a lovely long passphrase")
    # The link is spent once used.
    assert client.get(link.group(1)).status_code == 400


def test_tampered_invitation_link_gets_a_clear_page(client, db):
    response = client.get("/accounts/invitation/MQ/not-a-token/")
    assert response.status_code == 400
    assert b"no longer works" in response.content
