"""
A coachee's nudge asks them to book a session, and its button opens the booking form of their
engagement (issue 19); a coach's and an administrator's keep the engagement's page.
"""

import pytest
from django.core import mail

from notifications import sender
from notifications.outbox import build_outbox


@pytest.fixture
def owed(engagement, make_run, turn_off_track, frozen):
    run = make_run(engagement.company)
    turn_off_track(run, engagement)
    build_outbox(run)
    return run


def sent_to(email):
    return [m for m in mail.outbox if m.to == [email]]


def test_the_coachees_nudge_links_to_their_booking_form(owed, engagement, client_for,
                                                        coachee):
    sender.send_due_nudges()
    [message] = sent_to("coachee@acme.test")
    book = f"https://optify.test/engagements/{engagement.pk}/book/"
    assert f"Book a session: {book}" in message.body
    assert f'href="{book}"' in message.alternatives[0].content
    assert client_for(coachee).get(book.removeprefix("https://optify.test")).status_code == 200
    for email in ("coach@coachly.test", "admin@acme.test"):
        [other] = sent_to(email)
        assert "/book/" not in other.body
