import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from notifications.models import NudgePreference, Role
from notifications.tokens import MAX_AGE, make_unsubscribe_token
from tests.notifications.conftest import MORNING


def unsubscribe_path(user, role):
    return reverse("notifications:unsubscribe", args=[make_unsubscribe_token(user, role)])


def is_off(user, role):
    return NudgePreference.objects.filter(user=user, role=role, enabled=False).exists()


# --- Settings page -----------------------------------------------------------------------

def test_settings_page_needs_sign_in(client):
    response = client.get(reverse("notifications:settings"))

    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_settings_page_offers_one_switch_per_role_held(engagement, client_for, global_admin):
    engagement.coach = global_admin  # an administrator who also coaches
    engagement.save(update_fields=["coach"])

    response = client_for(global_admin).get(reverse("notifications:settings"))

    assert response.status_code == 200
    assert list(response.context["form"].fields) == [Role.COACH, Role.ADMINISTRATOR]
    assert response.context["form"].initial == {Role.COACH: True, Role.ADMINISTRATOR: True}


def test_coachee_turns_emails_off_and_on_again(engagement, client_for, coachee):
    client = client_for(coachee)
    url = reverse("notifications:settings")

    response = client.post(url, {})
    assert response.status_code == 302
    assert is_off(coachee, Role.COACHEE)

    client.post(url, {Role.COACHEE: "on"})
    assert not is_off(coachee, Role.COACHEE)
    assert client.get(url).context["form"].initial == {Role.COACHEE: True}


def test_turning_one_role_off_leaves_the_other_on(engagement, client_for, global_admin):
    engagement.coach = global_admin
    engagement.save(update_fields=["coach"])

    client_for(global_admin).post(reverse("notifications:settings"), {Role.COACH: "on"})

    assert is_off(global_admin, Role.ADMINISTRATOR)
    assert not is_off(global_admin, Role.COACH)


def test_settings_page_without_roles_says_so(client_for, other_admin, provider_admin):
    provider_admin.is_global_admin = False
    provider_admin.save(update_fields=["is_global_admin"])

    response = client_for(provider_admin).get(reverse("notifications:settings"))

    assert response.status_code == 200
    assert b"nothing to notify you about" in response.content


# --- Unsubscribe -------------------------------------------------------------------------

def test_unsubscribe_link_shows_a_confirmation_and_changes_nothing_on_get(client, coach):
    response = client.get(unsubscribe_path(coach, Role.COACH))

    assert response.status_code == 200
    assert b"coach@coachly.test" in response.content
    assert not is_off(coach, Role.COACH)


def test_unsubscribe_button_turns_the_role_off_without_signing_in(client, coach):
    response = client.post(unsubscribe_path(coach, Role.COACH))

    assert response.status_code == 200
    assert b"unsubscribed" in response.content
    assert is_off(coach, Role.COACH)
    assert not is_off(coach, Role.COACHEE)


def test_one_click_post_from_a_mail_client_works_without_csrf(coach):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post(
        unsubscribe_path(coach, Role.COACH), "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert is_off(coach, Role.COACH)


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_token_gets_a_clear_page_with_400(client, coach, method):
    path = unsubscribe_path(coach, Role.COACH)
    tampered = path[:-3] + ("A" if path[-3] != "A" else "B") + path[-2:]

    response = getattr(client, method)(tampered)

    assert response.status_code == 400
    assert b"link doesn't work" in response.content
    assert not NudgePreference.objects.exists()


def test_an_expired_token_gets_a_clear_page_with_400(client, coach):
    with time_machine.travel(MORNING, tick=False):
        path = unsubscribe_path(coach, Role.COACH)
    with time_machine.travel(MORNING + dt.timedelta(seconds=MAX_AGE + 1), tick=False):
        response = client.post(path)

    assert response.status_code == 400
    assert b"has expired" in response.content
    assert not NudgePreference.objects.exists()


def test_a_token_for_a_deleted_user_or_unknown_role_is_400(client, coach):
    from django.core import signing

    from notifications.tokens import SALT

    unknown_role = signing.dumps({"u": coach.pk, "r": "janitor"}, salt=SALT, compress=True)
    gone = signing.dumps({"u": 999999, "r": "coach"}, salt=SALT, compress=True)
    for token in (unknown_role, gone, "garbage"):
        response = client.get(reverse("notifications:unsubscribe", args=[token]))
        assert response.status_code == 400
