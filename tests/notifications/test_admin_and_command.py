from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from notifications.models import Nudge
from notifications.outbox import build_outbox
from tests import factories

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def owed(engagement, make_run, turn_off_track):
    run = make_run(engagement.company)
    turn_off_track(run, engagement)
    build_outbox(run)


def test_the_command_sends_what_is_due(owed):
    out = StringIO()

    call_command("send_nudges", stdout=out)

    assert out.getvalue().strip() == "nudges: sent 3"
    assert len(mail.outbox) == 3


@pytest.fixture
def staff_client(client_for, owner_company):
    staff = factories.UserFactory(company=owner_company, is_staff=True, is_superuser=True)
    return client_for(staff)


def test_admin_lists_failed_and_pending_nudges(owed, staff_client):
    Nudge.objects.filter(role="coach").update(status=Nudge.Status.FAILED, last_error="boom")

    response = staff_client.get(reverse("admin:notifications_nudge_changelist"),
                                {"status__exact": "failed"})

    assert response.status_code == 200
    assert response.context["cl"].result_count == 1
    assert b"boom" in response.content


def test_admin_resend_action_queues_failed_nudges_again(
    owed, staff_client, django_capture_on_commit_callbacks
):
    Nudge.objects.update(status=Nudge.Status.FAILED, attempts=5)
    failed = list(Nudge.objects.values_list("pk", flat=True))

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = staff_client.post(
            reverse("admin:notifications_nudge_changelist"),
            {"action": "resend_nudges", "_selected_action": failed},
        )

    assert response.status_code == 302
    assert set(Nudge.objects.values_list("status", "attempts")) == {(Nudge.Status.PENDING, 0)}
    assert len(callbacks) == 1  # the sender is queued once the change commits
    call_command("send_nudges", stdout=StringIO())
    assert len(mail.outbox) == 3
