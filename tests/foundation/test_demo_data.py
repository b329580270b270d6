"""
The demo data `make run` loads is fit to show a customer: plain names, no history before an
engagement's start, and today's off-track nudges already in the outbox (sent as files under
var/mail/ by `make run`; tests/foundation/test_sqlite_default.py walks that path).
"""

import pytest
from django.core.management import call_command
from django.db.models import F, Q

from accounts.models import User
from notifications.models import Nudge
from tracking.models import ProgressTransition


@pytest.fixture
def demo(db):
    call_command("seed_demo", engagements=60)


def test_demo_names_are_plain_names(demo):
    names = list(User.objects.values_list("full_name", flat=True))
    assert names and not [n for n in names if "<" in n or ">" in n or "(" in n]


def test_demo_history_never_starts_before_an_engagement(demo):
    assert ProgressTransition.objects.exists()
    assert not ProgressTransition.objects.filter(day__lt=F("engagement__started_on")).exists()
    assert not ProgressTransition.objects.filter(
        ~Q(engagement__ended_on=None), day__gt=F("engagement__ended_on")).exists()


def test_demo_leaves_todays_nudges_without_moving_the_clock(demo):
    roles = set(Nudge.objects.values_list("role", flat=True))
    assert {"coachee", "coach", "administrator"} <= roles


def test_demo_shows_goals_and_messages_to_the_coachee_and_the_coach_it_prints(demo, capsys):
    from engagements.models import Engagement, Goal, Message

    call_command("seed_demo")  # prints the sign-ins again; adds nothing
    printed = capsys.readouterr().out
    coachee_email = printed.split("Coachee", 1)[1].split()[0]
    engagement = Engagement.objects.filter(coachee__email=coachee_email,
                                           goals__isnull=False).distinct().get()
    assert engagement.status == Engagement.Status.ACTIVE
    assert engagement.goals.count() == 3 and engagement.messages.count() == 5
    assert Goal.objects.filter(engagement__coach__email="coach0@summit.example").exists()
    # Nothing from before an engagement's start, nor after its end.
    assert not Message.objects.filter(created_at__lt=F("engagement__launched_at")).exists()
    assert not Message.objects.filter(created_at__gt=F("engagement__ended_at")).exists()
    assert Goal.objects.filter(engagement__status="completed", achieved_at=None).count() == 0
