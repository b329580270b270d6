"""
The end-early note is the managing administrators' own words ("budget cut after the coachee's
review"): shown only to those who may manage the engagement. The reason, from the fixed
list, is shown to everyone who may read it.
"""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from notifications.sender import send_due_nudges

pytestmark = pytest.mark.django_db

NOTE = "Budget cut after the coachee's performance review"
REASON = "Budget or contract change"


@pytest.fixture
def ended(client_for, global_admin, engagement):
    with time_machine.travel(dt.datetime(2026, 4, 1, 12, tzinfo=dt.UTC), tick=False):
        response = client_for(global_admin).post(
            reverse("engagements:end_early", args=[engagement.pk]),
            {"reason": "budget_change", "note": NOTE},
        )
    assert response.status_code == 302
    engagement.refresh_from_db()
    assert engagement.end_note == NOTE
    return engagement


@pytest.mark.parametrize("role", ["global_admin", "location_admin"])
def test_those_who_manage_the_engagement_read_the_reason_and_the_note(client_for, roles, ended,
                                                                      role):
    html = client_for(roles[role]).get(ended.get_absolute_url()).content.decode()
    assert REASON in html
    assert NOTE.replace("'", "&#x27;") in html


@pytest.mark.parametrize("role", ["coachee", "provider_admin", "coach"])
def test_those_who_only_read_it_see_the_reason_but_not_the_note(client_for, roles, ended, role):
    client = client_for(roles[role])
    html = client.get(ended.get_absolute_url()).content.decode()
    assert REASON in html
    assert "Budget cut" not in html
    for name in ("engagements:list", "reports:report", "reports:export"):
        response = client.get(reverse(name), {"include_completed": "on"})
        body = (b"".join(response.streaming_content) if response.streaming
                else response.content).decode()
        assert "Budget cut" not in body, name


def test_no_email_carries_the_note(ended):
    send_due_nudges()
    for message in mail.outbox:
        parts = [message.subject, message.body, *(c for c, _ in message.alternatives)]
        assert not any("Budget cut" in part for part in parts)
