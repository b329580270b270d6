"""What docs/operations.md tells an operator to run, doing what it says."""

from io import StringIO

import pytest
import time_machine
from django.core import signing
from django.core.management import CommandError, call_command

from notifications.models import Nudge
from notifications.tokens import make_unsubscribe_token, read_unsubscribe_token
from tests import factories
from tests.faults.inprocess import DAY, MORNING, two_crossing_on_day
from tracking.jobs import run_daily_evaluation


@pytest.mark.django_db
def test_resend_failed_puts_back_only_the_failed_nudges_asked_for():
    with time_machine.travel(MORNING, tick=False):
        for slug in ("acme", "globex"):
            company, _, _ = two_crossing_on_day(slug)
            run_daily_evaluation(company, DAY)
        Nudge.objects.update(status=Nudge.Status.FAILED, attempts=12, last_error="503")
        Nudge.objects.filter(company__slug="acme", role="coach").update(
            status=Nudge.Status.CANCELLED)
        out = StringIO()
        call_command("send_nudges", "--resend-failed", "--company", "acme",
                     "--day", DAY.isoformat(), stdout=out)

    assert out.getvalue().splitlines() == [
        "re-sending: 3 failed nudge(s) back in the outbox", "nudges: sent 3"]
    assert set(Nudge.objects.filter(company__slug="acme").values_list("status", "attempts")) == {
        ("sent", 1), ("cancelled", 12)}
    assert set(Nudge.objects.filter(company__slug="globex").values_list("status")) == {
        ("failed",)}
    with pytest.raises(CommandError):
        call_command("send_nudges", "--company", "acme")


def test_a_rotated_secret_key_still_reads_what_the_old_one_signed(db, settings):
    user = factories.UserFactory()
    settings.SECRET_KEY = "old-" + "k" * 50
    token = make_unsubscribe_token(user, "coach")

    settings.SECRET_KEY = "new-" + "k" * 50
    with pytest.raises(signing.BadSignature):
        read_unsubscribe_token(token)
    settings.SECRET_KEY_FALLBACKS = ["old-" + "k" * 50]
    assert read_unsubscribe_token(token) == (user.pk, "coach")
