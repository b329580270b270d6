"""Who may end or complete an engagement: the answer follows the visibility rules."""

import pytest
from django.urls import reverse

from engagements.models import Engagement

# role -> (GET confirmation page, POST action) status codes. Visible but not manageable: 403;
# not visible at all: 404, as a guessed URL.
EXPECTED = {
    "global_admin": (200, 302),
    "location_admin": (200, 302),
    "other_location_admin": (404, 404),
    "coach": (403, 403),
    "coachee": (403, 403),
    "provider_admin": (403, 403),
    "other_admin": (404, 404),
}


@pytest.mark.parametrize("url_name, data", [
    ("engagements:end_early", {"reason": "client_request"}),
    ("engagements:mark_complete", {}),
])
@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_only_administrators_in_scope_may_end_an_engagement(
        role, url_name, data, roles, engagement, client_for):
    client = client_for(roles[role])
    url = reverse(url_name, args=[engagement.pk])
    expected_get, expected_post = EXPECTED[role]

    assert client.get(url).status_code == expected_get
    assert client.post(url, data).status_code == expected_post

    engagement.refresh_from_db()
    ended = expected_post == 302
    assert engagement.is_ended is ended
    if not ended:
        assert engagement.status == Engagement.Status.ACTIVE


@pytest.mark.parametrize("url_name", ["engagements:end_early", "engagements:mark_complete"])
def test_anonymous_visitors_are_sent_to_sign_in(url_name, engagement, client_for):
    response = client_for(None).post(reverse(url_name, args=[engagement.pk]))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]
    engagement.refresh_from_db()
    assert engagement.status == Engagement.Status.ACTIVE


def test_an_unknown_engagement_answers_404(global_admin, client_for):
    client = client_for(global_admin)
    assert client.get(reverse("engagements:end_early", args=[999999])).status_code == 404
    assert client.post(reverse("engagements:mark_complete", args=[999999])).status_code == 404


@pytest.mark.parametrize("role", ["coach", "coachee", "provider_admin"])
def test_people_who_only_read_the_engagement_are_told_why_they_cannot_end_it(
        role, roles, engagement, client_for):
    response = client_for(roles[role]).get(reverse("engagements:end_early", args=[engagement.pk]))
    assert response.status_code == 403
    content = response.content.decode()
    assert "Only the administrators responsible for this engagement can end it early" in content
