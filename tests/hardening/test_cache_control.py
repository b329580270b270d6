"""Signed-in pages carry tenant data: no shared cache and no browser disk cache may keep them."""

import pytest
from django.urls import reverse
from django.utils.cache import get_max_age

from notifications.models import Role
from notifications.tokens import make_unsubscribe_token
from tests.hardening.test_hostile_input import concrete_paths

pytestmark = pytest.mark.django_db


def directives(response):
    return {part.strip() for part in response.get("Cache-Control", "").split(",")}


@pytest.mark.parametrize("role", ["global_admin", "location_admin", "coach", "provider_admin",
                                  "coachee"])
def test_every_answer_to_a_signed_in_user_is_private_and_not_stored(client_for, roles,
                                                                    engagement, role):
    client = client_for(roles[role])
    paths = [p for p in concrete_paths([engagement.pk, engagement.template_id])
             if p != reverse("accounts:logout")]
    assert reverse("engagements:list") in paths and reverse("reports:export") in paths
    for path in paths:
        response = client.get(path)
        assert {"private", "no-store"} <= directives(response), (path, response.status_code)
        assert "public" not in directives(response), path


def test_a_redirect_after_a_signed_in_post_is_private_too(client_for, global_admin):
    response = client_for(global_admin).post(reverse("reports:save_view"),
                                             {"name": "Mine", "query": "progress=off_track"})
    assert response.status_code == 302
    assert {"private", "no-store"} <= directives(response)


def test_the_unsubscribe_page_names_its_recipient_and_is_not_stored(client, coachee):
    token = make_unsubscribe_token(coachee, Role.COACHEE)
    response = client.get(reverse("notifications:unsubscribe", args=[token]))
    assert response.status_code == 200
    assert {"private", "no-store"} <= directives(response)
    assert get_max_age(response) == 0

