import datetime as dt
import threading

import pytest
from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
from django.core import mail
from django.db import connection

from accounts.models import User
from engagements.models import Engagement
from notifications import sender
from notifications.models import Nudge, NudgePreference, Role
from notifications.outbox import build_outbox
from tests import factories
from tests.notifications.conftest import MORNING


@pytest.fixture
def owed(engagement, make_run, turn_off_track, frozen):
    """The standing engagement went off track this morning; its outbox is written."""
    run = make_run(engagement.company)
    turn_off_track(run, engagement)
    build_outbox(run)
    return run


def sent_to(email):
    return [m for m in mail.outbox if m.to == [email]]


class FlakyProvider:
    """Patches the anymail test backend to fail the first `failures` sends."""

    def __init__(self, monkeypatch, failures, error=None):
        from anymail.backends.test import EmailBackend

        self.calls = 0
        original = EmailBackend.send_messages

        def send_messages(backend, messages):
            self.calls += 1
            if self.calls <= failures:
                raise error or AnymailAPIError("503 Service Unavailable")
            return original(backend, messages)

        monkeypatch.setattr(EmailBackend, "send_messages", send_messages)


def test_each_recipient_gets_their_digest_once_and_the_provider_id_is_recorded(owed):
    counts = sender.send_due_nudges()

    assert counts == {Nudge.Status.SENT: 3}
    assert len(mail.outbox) == 3
    for nudge in Nudge.objects.all():
        assert nudge.status == Nudge.Status.SENT
        assert nudge.attempts == 1
        assert nudge.sent_at == MORNING
        assert nudge.message_id  # anymail's test backend gives each message an id
    assert sender.send_due_nudges() == {}
    assert len(mail.outbox) == 3


def test_sending_a_batch_costs_a_fixed_number_of_queries_per_email(
    owner_company, location, global_admin, coach, make_run, turn_off_track, frozen,
    django_assert_max_num_queries,
):
    engagements = factories.EngagementFactory.create_batch(
        8, company=owner_company, location=location, owner=global_admin, coach=coach
    )
    run = make_run(owner_company)
    turn_off_track(run, *engagements)
    build_outbox(run)  # 8 coachees + coach + admin = 10 nudges

    # Per batch: SAVEPOINT, SELECT ... FOR UPDATE SKIP LOCKED, UPDATE (claim), RELEASE, SELECT
    # nudges + recipients, their administered locations (prefetched for restrict). Per
    # nudge: preference EXISTS, items through restrict, UPDATE outcome. Then the empty claim.
    with django_assert_max_num_queries(6 + 10 * 3 + 3):
        sender.send_due_nudges()

    assert len(mail.outbox) == 10


def test_a_crash_after_the_outbox_is_written_loses_nothing(owed):
    # The evaluation committed its outbox and the process died before any sending: the next
    # sender run (beat, every minute) finds the pending rows.
    assert Nudge.objects.filter(status=Nudge.Status.PENDING).count() == 3

    sender.send_due_nudges()

    assert len(mail.outbox) == 3


def test_a_crash_while_sending_is_retried_after_the_lease(owed, frozen):
    # A worker claimed everything (committed "sending") and died before calling the mailer.
    assert len(sender.claim_due_nudges()) == 3
    assert sender.send_due_nudges() == {}  # still leased to the dead worker

    frozen.shift(sender.LEASE + dt.timedelta(seconds=1))
    sender.send_due_nudges()

    assert len(mail.outbox) == 3
    assert set(Nudge.objects.values_list("attempts", flat=True)) == {2}


def test_a_provider_error_is_retried_with_backoff_then_succeeds_once(owed, frozen, monkeypatch):
    provider = FlakyProvider(monkeypatch, failures=2)
    Nudge.objects.exclude(role=Role.ADMINISTRATOR).delete()  # follow a single row
    nudge = Nudge.objects.get()

    assert sender.send_due_nudges() == {Nudge.Status.PENDING: 1}
    nudge.refresh_from_db()
    assert nudge.last_error.startswith("AnymailAPIError")
    assert nudge.next_attempt_at == MORNING + dt.timedelta(minutes=1)

    frozen.shift(dt.timedelta(seconds=59))
    assert sender.send_due_nudges() == {}  # not due yet
    frozen.shift(dt.timedelta(seconds=1))
    assert sender.send_due_nudges() == {Nudge.Status.PENDING: 1}
    nudge.refresh_from_db()
    assert nudge.next_attempt_at == MORNING + dt.timedelta(minutes=1 + 2)

    frozen.shift(dt.timedelta(minutes=2))
    assert sender.send_due_nudges() == {Nudge.Status.SENT: 1}
    assert provider.calls == 3
    assert len(mail.outbox) == 1
    nudge.refresh_from_db()
    assert (nudge.status, nudge.attempts, nudge.last_error) == (Nudge.Status.SENT, 3, "")


def test_a_nudge_is_marked_failed_after_the_last_attempt(owed, frozen, monkeypatch):
    FlakyProvider(monkeypatch, failures=100)
    for _ in range(sender.MAX_ATTEMPTS):
        sender.send_due_nudges()
        frozen.shift(dt.timedelta(hours=1))

    assert set(Nudge.objects.values_list("status", "attempts")) == {
        (Nudge.Status.FAILED, sender.MAX_ATTEMPTS)
    }
    assert sender.send_due_nudges() == {}
    assert mail.outbox == []


def test_a_refused_recipient_fails_at_once(owed, monkeypatch):
    FlakyProvider(monkeypatch, failures=100, error=AnymailRecipientsRefused("bounced"))

    sender.send_due_nudges()

    assert set(Nudge.objects.values_list("status", "attempts")) == {(Nudge.Status.FAILED, 1)}


def test_resending_a_failed_nudge_sends_it(owed, monkeypatch):
    FlakyProvider(monkeypatch, failures=3, error=AnymailRecipientsRefused("mailbox full"))
    sender.send_due_nudges()
    assert Nudge.objects.filter(status=Nudge.Status.FAILED).count() == 3

    assert sender.resend(Nudge.objects.all()) == 3
    sender.send_due_nudges()

    assert Nudge.objects.filter(status=Nudge.Status.SENT).count() == 3
    assert len(mail.outbox) == 3


def test_a_recipient_who_turns_emails_off_before_sending_gets_nothing(owed, coach):
    NudgePreference.objects.create(user=coach, role=Role.COACH, enabled=False)

    sender.send_due_nudges()

    assert sent_to(coach.email) == []
    assert Nudge.objects.get(recipient=coach).status == Nudge.Status.CANCELLED


def test_an_engagement_back_on_track_before_sending_is_left_out(owed, engagement):
    Engagement.objects.filter(pk=engagement.pk).update(progress="on_track", off_track_since=None)

    sender.send_due_nudges()

    assert mail.outbox == []
    assert set(Nudge.objects.values_list("status", flat=True)) == {Nudge.Status.CANCELLED}


def test_a_recipient_deactivated_before_sending_gets_nothing(owed, coach):
    User.objects.filter(pk=coach.pk).update(status=User.Status.INACTIVE)

    sender.send_due_nudges()

    assert sent_to(coach.email) == []


def test_administrator_digest_lists_coachee_coach_template_date_and_link(owed, engagement):
    sender.send_due_nudges()

    [message] = sent_to("admin@acme.test")
    html = message.alternatives[0].content
    assert message.subject == "Cole Coachee's engagement is off track · Acme"
    link = f"https://optify.test/engagements/{engagement.pk}/"
    for part in (message.body, html):
        assert "Cole Coachee" in part
        assert "Cora Coach" in part
        assert engagement.template.name in part
        assert "23 Mar 2026" in part
        assert link in part
        assert "https://optify.test/unsubscribe/" in part
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.extra_headers["List-Unsubscribe"].startswith("<https://optify.test/unsubscribe/")


def test_coachee_nudge_is_friendly_and_shows_no_progress(owed, engagement):
    sender.send_due_nudges()

    [message] = sent_to("coachee@acme.test")
    html = message.alternatives[0].content
    assert message.subject == "Time to book your next coaching session · Acme"
    for part in (message.body, html):
        # What a coachee can do: they don't schedule in Optify, their coach does.
        assert "Get in touch with Cora Coach to book your next session." in part
        assert f"https://optify.test/engagements/{engagement.pk}/" in part
        assert "off track" not in part.lower()
        assert "23 Mar" not in part


def test_a_coachee_nudge_reaches_their_coach_and_names_no_template(owed, engagement, coach):
    sender.send_due_nudges()

    [message] = sent_to("coachee@acme.test")
    assert message.reply_to == [coach.email]  # answering the nudge writes to the coach
    for part in (message.body, message.alternatives[0].content):
        assert engagement.template.name not in part  # an internal name, not the coachee's
        assert "Your coaching with Cora Coach" in part
        assert coach.email in part
        assert "Replying to this email reaches Cora Coach." in part


def test_a_coach_nudge_says_when_the_last_session_was(owed, engagement, coach):
    factories.SessionFactory(engagement=engagement, starts_at=MORNING - dt.timedelta(days=30))
    factories.SessionFactory(engagement=engagement, status="cancelled", cancelled_at=MORNING,
                             starts_at=MORNING - dt.timedelta(days=3))  # not held

    sender.send_due_nudges()

    [message] = sent_to(coach.email)
    assert message.reply_to == []
    for part in (message.body, message.alternatives[0].content):
        assert "last session on 21 Feb 2026, 30 days ago" in part
    [admin] = sent_to("admin@acme.test")
    assert "last session" not in admin.body  # the administrator's digest is about the programme


def test_a_coachee_still_finding_a_coach_is_asked_about_a_discovery_call(
        owner_company, location, global_admin, coachee, make_run, turn_off_track, frozen):
    matching = factories.EngagementFactory(
        company=owner_company, location=location, owner=global_admin, coachee=coachee,
        coach=None, kind=Engagement.Kind.COACH_MATCHING,
        status=Engagement.Status.COACH_MATCHING)
    run = make_run(owner_company)
    turn_off_track(run, matching)
    build_outbox(run)

    sender.send_due_nudges()

    [message] = sent_to("coachee@acme.test")
    assert message.subject == "Time to talk with a candidate coach · Acme"
    for part in (message.body, message.alternatives[0].content):
        assert "Ask Ada Admin to set up a discovery call with a candidate coach." in part
        assert "session" not in part.lower()


def test_digest_is_sorted_by_coachee(owner_company, location, global_admin, coach, make_run,
                                     turn_off_track, frozen):
    names = ["Zoe Zed", "Amy Able", "Max Mid"]
    engagements = [
        factories.EngagementFactory(
            company=owner_company, location=location, owner=global_admin, coach=coach,
            coachee=factories.UserFactory(company=owner_company, full_name=name),
        )
        for name in names
    ]
    run = make_run(owner_company)
    turn_off_track(run, *engagements)
    build_outbox(run)

    sender.send_due_nudges()

    [message] = sent_to(coach.email)
    assert message.subject == "3 engagements you coach are off track · Acme"
    positions = [message.body.index(name) for name in sorted(names)]
    assert positions == sorted(positions)


@pytest.mark.django_db(transaction=True)
def test_two_senders_at_once_send_each_email_once(
    owner_company, location, global_admin, coach, make_run, turn_off_track, monkeypatch, frozen
):
    engagements = factories.EngagementFactory.create_batch(
        6, company=owner_company, location=location, owner=global_admin, coach=coach
    )
    run = make_run(owner_company)
    turn_off_track(run, *engagements)
    build_outbox(run)
    total = Nudge.objects.count()  # 6 coachees, the coach, the administrator

    # Both senders claim a first batch before either sends anything, so they truly overlap.
    barrier = threading.Barrier(2, timeout=30)
    claim = sender.claim_due_nudges
    local = threading.local()

    def claim_together(limit=50, now=None):
        ids = claim(limit=3, now=now)
        if not getattr(local, "waited", False):
            local.waited = True
            barrier.wait()
        return ids

    monkeypatch.setattr(sender, "claim_due_nudges", claim_together)
    errors = []

    def run_sender():
        try:
            sender.send_due_nudges()
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run_sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    assert len(mail.outbox) == total
    assert len({(tuple(m.to), m.subject) for m in mail.outbox}) == total
    assert Nudge.objects.filter(status=Nudge.Status.SENT, attempts=1).count() == total
