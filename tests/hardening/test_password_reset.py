"""
The password-reset page must not tell whether an address has an account — not in what it
says, and not in how long it takes. Times are noise on a shared machine, so these compare the
work each path does in the request: the same queries, nothing rendered or sent, one task
queued with the address, and queued only after the answer has been sent.
"""

import re

import pytest
from django.core import mail
from django.db import connection
from django.test import RequestFactory
from django.test.signals import template_rendered
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import views
from accounts.models import User
from accounts.tasks import send_password_reset
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ACCOUNT = "ann@acme.test"
NOBODY = "nobody-at-all@acme.test"


@pytest.fixture
def account(db):
    return UserFactory(email=ACCOUNT)


@pytest.fixture
def queued(monkeypatch):
    calls = []
    monkeypatch.setattr(send_password_reset, "delay",
                        lambda *args, **kwargs: calls.append((args, kwargs)))
    return calls


def work_of_a_reset_request(client, email):
    templates = []

    def rendered(sender, template, context, **kwargs):
        templates.append(template.name)

    template_rendered.connect(rendered)
    try:
        with CaptureQueriesContext(connection) as queries:
            response = client.post(reverse("accounts:password_reset"), {"email": email})
    finally:
        template_rendered.disconnect(rendered)
    # Ids and addresses aside, the statements themselves.
    statements = [re.sub(r"'[^']*'|\b\d+\b", "?", q["sql"]) for q in queries.captured_queries]
    return response, statements, templates


def test_an_account_and_no_account_cost_the_request_the_same_work(client, account, queued):
    answers = {}
    for email in (ACCOUNT, NOBODY):
        response, statements, templates = work_of_a_reset_request(client, email)
        answers[email] = (response.status_code, response["Location"], statements, templates)
    assert answers[ACCOUNT] == answers[NOBODY]
    status, location, statements, templates = answers[ACCOUNT]
    assert (status, location) == (302, reverse("accounts:password_reset_done"))
    assert statements == []  # not even a look-up of the account
    assert not any(name.startswith("emails/") for name in templates)
    assert mail.outbox == []
    assert [args for args, _ in queued] == [(ACCOUNT,), (NOBODY,)]


def test_the_email_is_queued_only_once_the_answer_has_been_sent(account, queued):
    request = RequestFactory().post(reverse("accounts:password_reset"), {"email": ACCOUNT})
    request._dont_enforce_csrf_checks = True
    response = views.PasswordResetView.as_view()(request)
    assert response.status_code == 302
    assert queued == []  # the view returned its answer without queuing anything
    response.close()  # what the server does after the last byte
    assert queued == [((ACCOUNT,), {"domain": "testserver", "use_https": False})]


def test_the_task_emails_an_account_that_may_sign_in_and_nobody_else(account, db):
    UserFactory(email="record@acme.test", status=User.Status.INTERNAL_RECORD)
    for email in (NOBODY, "record@acme.test"):
        send_password_reset(email, domain="optify.example", use_https=True)
    assert mail.outbox == []
    send_password_reset(ACCOUNT.upper(), domain="optify.example", use_https=True)
    assert [m.to for m in mail.outbox] == [[ACCOUNT]]
    assert "https://optify.example/accounts/reset/" in mail.outbox[0].body
    assert mail.outbox[0].alternatives


def test_a_failure_after_the_answer_is_logged_not_raised(caplog):
    response = views.call_after_response(views.HttpResponseRedirect("/"), lambda: 1 / 0)
    response.close()
    assert "after_response_failed" in caplog.text
