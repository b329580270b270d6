"""The MIME message itself, delivered over SMTP to a real server started by the test."""

import pytest
from aiosmtpd.controller import Controller

from notifications import sender
from notifications.emails import build_email
from notifications.models import Nudge
from notifications.outbox import build_outbox
from tests.notifications.smtp import Inbox, free_port


@pytest.fixture
def smtp_server(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": controller.port, "timeout": 10},
        }
    }
    yield inbox
    controller.stop()


def test_digest_arrives_as_multipart_with_one_click_unsubscribe_and_absolute_links(
    smtp_server, engagement, make_run, turn_off_track, frozen
):
    run = make_run(engagement.company)
    turn_off_track(run, engagement)
    build_outbox(run)

    assert sender.send_due_nudges() == {Nudge.Status.SENT: 3}

    received = {tuple(to): message for to, message in smtp_server.messages}
    assert set(received) == {("admin@acme.test",), ("coach@coachly.test",),
                             ("coachee@acme.test",)}
    message = received[("coach@coachly.test",)]
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert message["Subject"] == "Cole Coachee's engagement is off track · Acme"
    assert message["From"] == "Optify <nudges@optify.example>"

    unsubscribe = message["List-Unsubscribe"]
    assert unsubscribe.startswith("<https://optify.test/unsubscribe/") and unsubscribe.endswith(">")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe_url = unsubscribe[1:-1]
    engagement_url = f"https://optify.test/engagements/{engagement.pk}/"
    for part in (text, html):
        assert engagement_url in part
        assert unsubscribe_url in part
        assert "https://optify.test/settings/" in part
        assert 'href="/' not in part  # every link is absolute

    nudge = Nudge.objects.get(role="coach")
    assert nudge.message_id == message["Message-ID"] == f"<nudge-{nudge.pk}@optify.example>"


def test_an_smtp_server_that_is_down_leaves_the_nudges_pending(settings, engagement, make_run,
                                                          turn_off_track, frozen):
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": free_port(), "timeout": 2},
        }
    }
    run = make_run(engagement.company)
    turn_off_track(run, engagement)
    build_outbox(run)

    with pytest.raises(OSError):
        sender.send_due_nudges()  # cannot even open the connection: nothing claimed

    assert set(Nudge.objects.values_list("status", "attempts")) == {(Nudge.Status.PENDING, 0)}


def test_the_unsubscribe_header_goes_over_the_wire_as_a_plain_url(smtp_server, db):
    url = "https://optify.test/unsubscribe/" + "a1B2c3D4e5" * 12 + "/"  # a long signed token
    build_email("offtrack-coachee", to="coachee@acme.test", context={},
                unsubscribe_url=url).send()
    raw = smtp_server.raw[0]
    # One line, not folded into =?utf-8?q?…?= words that mail clients do not read as a URL.
    assert f"List-Unsubscribe: <{url}>".encode() in raw.splitlines()
