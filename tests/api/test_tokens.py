"""
API tokens: stored as a digest, shown once, revoked and expired ones refused, read-only ones
refused on every write; created and revoked on the Settings page.
"""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from engagements.models import Session
from optify.api.throttling import TokenRateThrottle

NOW = dt.datetime(2026, 4, 1, 9, tzinfo=dt.UTC)
ENGAGEMENTS = "/api/v1/engagements/"


def bearer(text):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {text}")
    return client


def test_a_token_is_stored_as_a_digest_and_only_its_id_is_readable(global_admin):
    token, text = ApiToken.issue(user=global_admin, name="HR sync")
    key_id, secret = ApiToken.split(text)
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.key_id == key_id and text.startswith(f"opt_{key_id}_")
    assert secret not in stored.secret_hash and len(stored.secret_hash) == 64
    assert not any(secret in str(value) for value in ApiToken.objects.values().get().values())
    assert bearer(text).get(ENGAGEMENTS).status_code == 200


@pytest.mark.parametrize("text", [
    "", "opt_", "opt_abc", "opt_000000000000_wrong", "Token abc", "opt_" + "x" * 300,
    "opt_zzzzzzzzzzzz_\u00e9",
])
def test_a_wrong_token_is_401_in_json(global_admin, text):
    ApiToken.issue(user=global_admin, name="real")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {text}")
    response = client.get(ENGAGEMENTS)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


def test_the_right_id_with_a_wrong_secret_is_refused(global_admin):
    _, text = ApiToken.issue(user=global_admin, name="real")
    assert bearer(text[:-1] + ("A" if text[-1] != "A" else "B")).get(ENGAGEMENTS).status_code \
        == 401


def test_a_revoked_token_is_refused(client_for, global_admin):
    token, text = ApiToken.issue(user=global_admin, name="old")
    client = client_for(global_admin)
    response = client.post(reverse("accounts:revoke_api_token", args=[token.pk]))
    assert response.status_code == 302
    answer = bearer(text).get(ENGAGEMENTS)
    assert answer.status_code == 401
    assert answer.json()["detail"] == "This token has been revoked."


def test_an_expired_token_is_refused(global_admin):
    _, text = ApiToken.issue(user=global_admin, name="temp",
                             expires_at=NOW + dt.timedelta(days=1))
    with time_machine.travel(NOW, tick=False):
        assert bearer(text).get(ENGAGEMENTS).status_code == 200
    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
        answer = bearer(text).get(ENGAGEMENTS)
    assert answer.status_code == 401
    assert answer.json()["detail"] == "This token has expired."


def test_a_token_of_a_deactivated_user_is_refused(coachee):
    _, text = ApiToken.issue(user=coachee, name="mine")
    coachee.status = coachee.Status.INACTIVE
    coachee.save(update_fields=["status"])
    assert bearer(text).get(ENGAGEMENTS).status_code == 401


def test_a_read_only_token_reads_but_is_refused_on_writes(global_admin, engagement):
    _, text = ApiToken.issue(user=global_admin, name="dashboard", write_enabled=False)
    client = bearer(text)
    assert client.get(f"{ENGAGEMENTS}{engagement.pk}/").status_code == 200
    response = client.post("/api/v1/sessions/", {"engagement": engagement.pk,
                                                 "starts_at": "2026-05-01T10:00Z"},
                           format="json")
    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]
    assert not Session.objects.exists()
    for path in ("/api/v1/people/", "/api/v1/sessions/1/cancel/"):
        assert client.post(path, {}, format="json").status_code == 403


def test_last_used_is_recorded_at_most_once_a_minute(global_admin):
    token, text = ApiToken.issue(user=global_admin, name="x")
    with time_machine.travel(NOW, tick=False):
        bearer(text).get(ENGAGEMENTS)
    token.refresh_from_db()
    assert token.last_used_at == NOW
    with time_machine.travel(NOW + dt.timedelta(seconds=30), tick=False):
        bearer(text).get(ENGAGEMENTS)
    token.refresh_from_db()
    assert token.last_used_at == NOW
    with time_machine.travel(NOW + dt.timedelta(minutes=2), tick=False):
        bearer(text).get(ENGAGEMENTS)
    token.refresh_from_db()
    assert token.last_used_at == NOW + dt.timedelta(minutes=2)


def test_the_settings_page_creates_a_token_shown_once(client_for, coach):
    client = client_for(coach)
    page = client.get(reverse("notifications:settings"))
    assert b"API tokens" in page.content and b"You have no API tokens." in page.content
    with time_machine.travel(NOW, tick=False):
        created = client.post(reverse("accounts:create_api_token"),
                              {"name": "Calendar sync", "access": "write",
                               "expires_on": "2026-12-31"})
    assert created.status_code == 200
    token = ApiToken.objects.get(user=coach)
    text = created.context["plaintext"]
    assert text.encode() in created.content
    assert token.write_enabled and token.name == "Calendar sync"
    # The end of that day in the coach's company's timezone (New York).
    assert token.expires_at == dt.datetime(2027, 1, 1, 5, tzinfo=dt.UTC)
    with time_machine.travel(NOW, tick=False):
        assert bearer(text).get(ENGAGEMENTS).status_code == 200
        listed = client.get(reverse("notifications:settings"))
    assert text.encode() not in listed.content
    assert token.display_prefix.encode() in listed.content
    assert b"Calendar sync" in listed.content and b"Read and write" in listed.content


def test_the_settings_form_refuses_a_past_expiry_and_an_empty_name(client_for, coach):
    client = client_for(coach)
    with time_machine.travel(NOW, tick=False):
        response = client.post(reverse("accounts:create_api_token"),
                               {"name": "", "access": "read", "expires_on": "2026-01-01"})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_nobody_revokes_another_users_token(client_for, coach, global_admin):
    token, text = ApiToken.issue(user=coach, name="coach's")
    response = client_for(global_admin).post(reverse("accounts:revoke_api_token",
                                                     args=[token.pk]))
    assert response.status_code == 404
    assert bearer(text).get(ENGAGEMENTS).status_code == 200
    for hostile in ("99999999999999999999999", "-1", "abc"):
        assert client_for(coach).post(f"/accounts/api-tokens/{hostile}/revoke/").status_code \
            == 404


def test_a_usable_token_is_neither_revoked_nor_expired(global_admin):
    live, _ = ApiToken.issue(user=global_admin, name="a")
    ApiToken.issue(user=global_admin, name="b", expires_at=timezone.now() - dt.timedelta(1))
    revoked, _ = ApiToken.issue(user=global_admin, name="c")
    ApiToken.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    assert list(ApiToken.objects.usable()) == [live]


def test_requests_are_limited_per_token(global_admin, monkeypatch):
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"api": "2/minute"})
    first, second = bearer(ApiToken.issue(user=global_admin, name="a")[1]), \
        bearer(ApiToken.issue(user=global_admin, name="b")[1])
    assert [first.get(ENGAGEMENTS).status_code for _ in range(3)] == [200, 200, 429]
    refused = first.get(ENGAGEMENTS)
    assert refused["Content-Type"] == "application/json" and "Retry-After" in refused
    assert second.get(ENGAGEMENTS).status_code == 200  # another token counts apart
