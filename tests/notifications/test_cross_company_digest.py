"""
"One email per recipient per role per day" across companies (DESIGN.md, Nudges): a provider's
coach who coaches in two client companies gets one digest, grouped by company, whichever
sender claims it; the group is claimed, sent, retried and recorded as one.
"""

import threading

import pytest
from anymail.exceptions import AnymailAPIError
from django.core import mail
from django.db import connection, transaction

from accounts.models import User
from notifications import sender
from notifications.models import Nudge, Role
from notifications.outbox import build_outbox
from tests import factories


@pytest.fixture
def second_client(db):
    return factories.CompanyFactory(name="Initech", slug="initech", timezone="Europe/London")


@pytest.fixture
def owed_in_two(engagement, second_client, coach, make_run, turn_off_track, frozen):
    """The provider's coach: one engagement off track today in Acme, one in Initech."""
    elsewhere = factories.EngagementFactory(
        company=second_client, coach=coach,
        coachee=factories.UserFactory(company=second_client, full_name="Ivy Initech"))
    for company, off in ((engagement.company, engagement), (second_client, elsewhere)):
        run = make_run(company)
        turn_off_track(run, off)
        build_outbox(run)
    return engagement, elsewhere


def coach_mail(coach):
    return [m for m in mail.outbox if m.to == [coach.email]]


def test_the_coach_gets_one_digest_grouped_by_company(owed_in_two, coach):
    acme, initech = owed_in_two
    # One outbox row per company (each company's run writes its own), ...
    assert Nudge.objects.filter(recipient=coach, role=Role.COACH).count() == 2

    counts = sender.send_due_nudges()

    # ... one email: Acme's coachee, admin and Initech's coachee, admin get theirs too.
    assert counts == {Nudge.Status.SENT: 6}
    [message] = coach_mail(coach)
    assert message.subject == "2 engagements are off track · Acme, Initech"
    body = message.body
    assert body.index("== Acme ==") < body.index("Cole Coachee") < body.index("== Initech ==")
    assert body.index("== Initech ==") < body.index("Ivy Initech")
    for engagement in (acme, initech):
        assert f"https://optify.test/engagements/{engagement.pk}/" in body
    assert "Initech" in message.alternatives[0].content
    rows = Nudge.objects.filter(recipient=coach)
    assert set(rows.values_list("status", flat=True)) == {Nudge.Status.SENT}
    assert len(set(rows.values_list("message_id", flat=True))) == 1
    assert len(mail.outbox) == 5
    assert sender.send_due_nudges() == {}


def test_a_group_is_claimed_whole_even_by_a_batch_of_one(owed_in_two, coach):
    first = Nudge.objects.filter(recipient=coach).order_by("pk").first()
    Nudge.objects.exclude(recipient=coach).update(next_attempt_at=first.next_attempt_at
                                                  + sender.LEASE)
    claimed = sender.claim_due_nudges(limit=1)
    assert sorted(claimed) == sorted(Nudge.objects.filter(recipient=coach)
                                     .values_list("pk", flat=True))


def test_a_group_that_has_a_single_company_left_reads_as_that_companys_digest(
        owed_in_two, coach):
    acme, initech = owed_in_two
    type(initech).objects.filter(pk=initech.pk).update(progress="on_track",
                                                       off_track_since=None)
    sender.send_due_nudges()
    [message] = coach_mail(coach)
    assert "Initech" not in message.subject and "Ivy Initech" not in message.body
    assert "Cole Coachee" in message.body


def test_a_failed_group_is_retried_as_one_email(owed_in_two, coach, frozen, monkeypatch):
    from anymail.backends.test import EmailBackend

    original = EmailBackend.send_messages
    calls = []

    def flaky(backend, messages):
        calls.append(messages[0].to)
        if messages[0].to == [coach.email] and len(calls) < 10 and not getattr(
                flaky, "failed", False):
            flaky.failed = True
            raise AnymailAPIError("503 Service Unavailable")
        return original(backend, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", flaky)
    sender.send_due_nudges()
    rows = Nudge.objects.filter(recipient=coach)
    assert set(rows.values_list("status", flat=True)) == {Nudge.Status.PENDING}
    assert coach_mail(coach) == []
    frozen.shift(sender.backoff(1))
    sender.send_due_nudges()
    assert len(coach_mail(coach)) == 1
    assert sorted(rows.values_list("attempts", flat=True)) == [2, 2]


@pytest.mark.django_db(transaction=True)
def test_a_recipient_another_sender_is_claiming_is_left_whole_to_it(
        engagement, second_client, coach, make_run, turn_off_track, frozen):
    elsewhere = factories.EngagementFactory(company=second_client, coach=coach)
    for company, off in ((engagement.company, engagement), (second_client, elsewhere)):
        run = make_run(company)
        turn_off_track(run, off)
        build_outbox(run)
    locked, release = threading.Event(), threading.Event()

    def other_sender_claiming_the_coach():
        # What another sender's claim holds while it runs: the recipient's row.
        try:
            with transaction.atomic():
                list(User.objects.select_for_update(no_key=True).filter(pk=coach.pk))
                locked.set()
                release.wait(30)
        finally:
            connection.close()

    thread = threading.Thread(target=other_sender_claiming_the_coach)
    thread.start()
    try:
        assert locked.wait(30)
        claimed = Nudge.objects.filter(pk__in=sender.claim_due_nudges())
        # Everyone else's, none of the coach's: never half of their group.
        assert claimed.count() == 4
        assert not claimed.filter(recipient=coach).exists()
    finally:
        release.set()
        thread.join(30)
    assert sorted(Nudge.objects.filter(pk__in=sender.claim_due_nudges())
                  .values_list("recipient__email", flat=True)) == [coach.email] * 2
