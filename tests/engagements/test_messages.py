"""
The message thread of an engagement (issue 19): between its coachee, its coach and the
administrators who manage it, newest last. A coaching provider's administrator sees the
engagement but not the thread; another tenant gets 404. After the end the thread stays
readable, no form is shown, and a direct POST is refused with the reason (409).
"""

import datetime as dt

import pytest
from django.urls import reverse

from engagements import actions
from engagements.models import MESSAGE_MAX, AuditEvent, Message
from engagements.templatetags.engagement_parts import THREAD_LENGTH
from tests import factories
from tests.engagements.conftest import NOW
from tests.engagements.conftest import detail_page as page

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("first_of_april")]


def post(client, engagement, body="Can we move Thursday to the afternoon?", **data):
    return client.post(reverse("engagements:post_message", args=[engagement.pk]),
                       {"body": body, **data})


@pytest.mark.parametrize("role", ["coachee", "coach", "global_admin", "location_admin"])
def test_each_participant_writes_and_reads_the_thread_newest_last(client_for, roles,
                                                                  engagement, coach, role):
    actions.do_post_message(engagement, by=coach, body="Welcome aboard!",
                            now=NOW - dt.timedelta(hours=2))
    client = client_for(roles[role])
    response = post(client, engagement, body=f"Hello from the {role}")
    assert response.status_code == 302
    assert response["Location"] == f"/engagements/{engagement.pk}/#messages-{engagement.pk}"
    body = page(client, engagement).content.decode()
    assert body.index("Welcome aboard!") < body.index(f"Hello from the {role}")
    assert "Message sent." in body
    message = Message.objects.latest("pk")
    assert (message.author, message.author_name) == (roles[role], str(roles[role]))
    # The audit trail says a message was written, never what it says.
    audit = AuditEvent.objects.filter(action=AuditEvent.Action.MESSAGE_POSTED).latest("pk")
    assert audit.changes == {"message": message.pk}


def test_the_coaching_providers_administrator_does_not_read_the_thread(
        client_for, provider_admin, coachee, engagement):
    actions.do_post_message(engagement, by=coachee, body="Something personal")
    client = client_for(provider_admin)
    body = page(client, engagement).content.decode()
    assert "Something personal" not in body
    assert "The message thread is between the coachee, the coach and the administrators" in body
    assert post(client, engagement).status_code == 403
    assert Message.objects.count() == 1


@pytest.mark.parametrize("role", ["other_admin", "other_location_admin"])
def test_someone_who_does_not_see_the_engagement_gets_404(client_for, roles, engagement, role):
    assert post(client_for(roles[role]), engagement).status_code == 404
    assert not Message.objects.exists()


def test_after_the_end_the_thread_stays_readable_and_nothing_can_be_added(
        client_for, roles, engagement, coachee, global_admin):
    actions.do_post_message(engagement, by=coachee, body="Thank you for everything")
    actions.do_mark_complete(engagement, by=global_admin)
    for role in ("coachee", "coach", "global_admin", "location_admin"):
        client = client_for(roles[role])
        body = page(client, engagement).content.decode()
        assert "Thank you for everything" in body
        assert 'id="post-message-' not in body
        assert "its messages stay readable, and nothing new can be added" in body
        response = post(client, engagement, body="One more thing")
        assert response.status_code == 409
        assert "This engagement has ended: its messages stay readable" in (
            response.content.decode())
    assert list(Message.objects.values_list("body", flat=True)) == ["Thank you for everything"]
    with pytest.raises(actions.EngagementEnded):
        actions.do_post_message(engagement, by=coachee, body="Through the action")


def test_an_over_long_or_empty_message_is_a_form_error_never_a_500(client_for, coachee,
                                                                   engagement):
    client = client_for(coachee)
    response = post(client, engagement, body="x" * (MESSAGE_MAX + 1))
    assert response.status_code == 400
    assert f"at most {MESSAGE_MAX} characters" in response.content.decode()
    for body in ("", " \n ", "nul\x00byte"):
        assert post(client, engagement, body=body).status_code == 400
    assert not Message.objects.exists()
    with pytest.raises(actions.ActionRefused, match="too long"):
        actions.do_post_message(engagement, by=coachee, body="x" * (MESSAGE_MAX + 1))


def test_a_long_thread_shows_its_newest_messages_and_counts_the_rest(client_for, coachee,
                                                                     engagement):
    for i in range(THREAD_LENGTH + 3):
        factories.MessageFactory(engagement=engagement, body=f"Note number {i:03d}.",
                                 created_at=NOW - dt.timedelta(minutes=500 - i))
    body = page(client_for(coachee), engagement).content.decode()
    assert "3 older messages are not shown." in body
    assert "Note number 002." not in body
    assert body.index("Note number 003.") < body.index(f"Note number {THREAD_LENGTH + 2:03d}.")
