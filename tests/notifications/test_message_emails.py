"""
Emails about new messages (notifications/messages.py): a burst of messages is one email per
recipient, once the first has waited; the author is not told of their own; an opt-out (Settings
or the unsubscribe link) is respected at sending time; running the sender twice sends nothing
twice; a provider's error is retried, then the email goes out once.
"""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from accounts.models import User
from engagements import actions
from notifications import messages, tasks
from notifications.models import MessageNotice, NudgePreference, Role
from notifications.tokens import make_unsubscribe_token
from tests import factories
from tests.notifications.test_sender import FlakyProvider

NOW = dt.datetime(2026, 4, 1, 12, tzinfo=dt.UTC)
WAIT = messages.WAIT

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def to(user):
    return [m for m in mail.outbox if m.to == [user.email]]


def burst(engagement, author, *bodies, start=NOW, every=dt.timedelta(seconds=30)):
    return [actions.do_post_message(engagement, by=author, body=body, now=start + i * every)
            for i, body in enumerate(bodies)]


def test_a_burst_of_messages_is_one_email_per_recipient_once_the_first_has_waited(
        engagement, coachee, coach, global_admin, location_admin, clock):
    burst(engagement, coachee, "Hi Cora,", "could we meet on Friday instead?",
          "Morning or afternoon, either is fine.")
    assert messages.send_due_message_emails(now=NOW + WAIT - dt.timedelta(seconds=1)) == {}
    assert mail.outbox == []

    assert messages.send_due_message_emails(now=NOW + WAIT) == {MessageNotice.Status.SENT: 2}
    # The coach and the administrator responsible; not the author, not every administrator.
    assert sorted(m.to[0] for m in mail.outbox) == [global_admin.email, coach.email]
    assert to(coachee) == [] and to(location_admin) == []
    email = to(coach)[0]
    assert email.subject == "3 new messages from Cole Coachee"
    text = email.body
    assert text.index("Hi Cora,") < text.index("could we meet on Friday instead?") < text.index(
        "Morning or afternoon")
    assert "1 Apr 2026, 13:00" in text  # London time
    assert f"https://optify.test/engagements/{engagement.pk}/#messages-{engagement.pk}" in text
    html, kind = email.alternatives[0]
    assert kind == "text/html" and "could we meet on Friday instead?" in html
    assert email.extra_headers["List-Unsubscribe"].startswith("<https://optify.test/unsubscribe/")
    assert "Unsubscribe from message emails" in text

    # Exactly once: the sender again, and the Celery task twice, send nothing more.
    assert messages.send_due_message_emails(now=NOW + 2 * WAIT) == {}
    tasks.send_message_emails(wait_seconds=0)
    tasks.send_message_emails(wait_seconds=0)
    assert len(mail.outbox) == 2
    assert set(MessageNotice.objects.values_list("status", flat=True)) == {"sent"}


def test_one_message_alone_says_so_and_the_coachee_reads_whose_coaching_it_is(
        engagement, coachee, coach, clock):
    actions.do_post_message(engagement, by=coach, body="See you Thursday!", now=NOW)
    messages.send_due_message_emails(now=NOW + WAIT)
    email = to(coachee)[0]
    assert email.subject == "New message from Cora Coach"
    assert "Your coaching with Cora Coach" in email.body
    assert "There is a new message for you on Optify" in email.body


def test_what_comes_after_the_window_is_the_next_email(engagement, coachee, coach, clock):
    burst(engagement, coachee, "First")
    messages.send_due_message_emails(now=NOW + WAIT)
    burst(engagement, coachee, "Second", "Third", start=NOW + WAIT + dt.timedelta(seconds=10))
    messages.send_due_message_emails(now=NOW + 3 * WAIT)
    bodies = [m.body for m in to(coach)]
    assert len(bodies) == 2
    assert "First" in bodies[0] and "Second" not in bodies[0]
    assert "Second" in bodies[1] and "Third" in bodies[1] and "First" not in bodies[1]


def test_an_opt_out_is_respected_at_sending_time(engagement, coachee, coach, global_admin,
                                                 clock):
    burst(engagement, coachee, "Are you there?")
    NudgePreference.objects.create(user=coach, role=Role.MESSAGES, enabled=False)
    messages.send_due_message_emails(now=NOW + WAIT)
    assert to(coach) == [] and len(to(global_admin)) == 1
    notice = MessageNotice.objects.get(recipient=coach)
    assert (notice.status, notice.last_error) == ("cancelled", "Turned off by the recipient.")


def test_the_settings_page_and_the_unsubscribe_link_turn_them_off(client_for, client, coach,
                                                                  engagement):
    page = client_for(coach).get(reverse("notifications:settings"))
    assert "New messages" in page.content.decode()
    # Everything on but the message emails.
    response = client_for(coach).post(reverse("notifications:settings"),
                                      {"coach": "on", "early_warning": "on"})
    assert response.status_code == 302
    assert NudgePreference.objects.get(user=coach, role=Role.MESSAGES).enabled is False

    NudgePreference.objects.all().delete()
    client.logout()
    token = make_unsubscribe_token(coach, Role.MESSAGES)
    url = reverse("notifications:unsubscribe", args=[token])
    assert "emails about new messages" in client.get(url).content.decode()
    assert "no longer get emails about new messages" in client.post(url).content.decode()
    assert NudgePreference.objects.get(user=coach, role=Role.MESSAGES).enabled is False


def test_writing_in_the_thread_cancels_what_its_author_was_about_to_be_told(
        engagement, coachee, coach, clock):
    burst(engagement, coachee, "Question for you")
    actions.do_post_message(engagement, by=coach, body="Answered!", now=NOW + dt.timedelta(
        seconds=40))
    messages.send_due_message_emails(now=NOW + 2 * WAIT)
    assert to(coach) == []  # they replied: they have read it
    assert len(to(coachee)) == 1 and "Answered!" in to(coachee)[0].body


def test_an_administrator_who_writes_is_told_of_what_follows(engagement, coachee,
                                                             location_admin, clock):
    actions.do_post_message(engagement, by=location_admin, body="Budget approved.", now=NOW)
    burst(engagement, coachee, "Thank you!", start=NOW + dt.timedelta(seconds=5))
    messages.send_due_message_emails(now=NOW + 2 * WAIT)
    assert len(to(location_admin)) == 1 and "Thank you!" in to(location_admin)[0].body


def test_nobody_who_cannot_read_the_thread_is_told(engagement, coach, coachee, provider_admin,
                                                   owner_company, clock):
    # An internal-record coachee cannot sign in; a former coach no longer takes part.
    User.objects.filter(pk=coachee.pk).update(status=User.Status.INTERNAL_RECORD)
    burst(engagement, coach, "Notes from today")
    new_coach = factories.UserFactory(company=owner_company, full_name="Nia New",
                                      is_coach=True)
    actions.do_edit_engagement(engagement, by=engagement.owner, coach=new_coach)
    messages.send_due_message_emails(now=NOW + WAIT)
    assert to(coachee) == [] and to(provider_admin) == [] and to(new_coach) == []
    assert [m.to for m in mail.outbox] == [[engagement.owner.email]]
    assert not MessageNotice.objects.filter(recipient__in=[coachee, provider_admin]).exists()


def test_a_provider_error_is_retried_then_sent_once(engagement, coachee, coach, monkeypatch,
                                                    clock):
    MessageNotice.objects.all().delete()
    provider = FlakyProvider(monkeypatch, failures=1)
    actions.do_post_message(engagement, by=coach, body="Retry me", now=NOW)
    MessageNotice.objects.exclude(recipient=coachee).delete()  # follow one recipient
    assert messages.send_due_message_emails(now=NOW + WAIT) == {MessageNotice.Status.PENDING: 1}
    notice = MessageNotice.objects.get()
    assert notice.status == "pending" and notice.attempts == 1
    assert notice.last_error.startswith("AnymailAPIError")
    assert messages.send_due_message_emails(now=NOW + WAIT) == {}  # backing off
    assert messages.send_due_message_emails(now=NOW + WAIT + dt.timedelta(minutes=1)) == {
        MessageNotice.Status.SENT: 1}
    assert provider.calls == 2 and len(to(coachee)) == 1
    notice.refresh_from_db()
    assert (notice.status, notice.attempts) == ("sent", 2)


def test_the_sender_is_queued_after_commit_with_the_window(engagement, coachee, monkeypatch,
                                                           settings,
                                                           django_capture_on_commit_callbacks):
    queued = []
    monkeypatch.setattr(tasks.send_message_emails, "apply_async",
                        lambda **kwargs: queued.append(kwargs))
    monkeypatch.setattr(tasks.send_message_emails, "delay",
                        lambda **kwargs: queued.append({"eager": kwargs}))
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_post_message(engagement, by=coachee, body="Queued?")
    assert queued == [{"countdown": WAIT.total_seconds()}]
    # In-process tasks (the embedded default) cannot wait: they send at once.
    settings.CELERY_TASK_ALWAYS_EAGER = True
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_post_message(engagement, by=coachee, body="At once")
    assert queued[-1] == {"eager": {"wait_seconds": 0}}
