"""
Raw SQL never spells a status of its own: the values it compares with are parameters built from
their TextChoices, so renaming a choice cannot leave a statement silently matching nothing.
"""

import pytest

from accounts.models import User
from engagements.models import Engagement, Progress
from notifications import outbox
from notifications.models import Nudge, NudgeItem, Role

CHOICES = [Engagement.Status, Progress, User.Status, Nudge.Status, NudgeItem.Reason, Role]
STATEMENTS = {
    "outbox: eligible": outbox._ELIGIBLE_SQL,
    "outbox: nudges": outbox._INSERT_NUDGES_SQL,
    "outbox: items": outbox._INSERT_ITEMS_SQL,
}


@pytest.mark.parametrize("name", sorted(STATEMENTS))
def test_raw_sql_takes_choices_as_parameters(name):
    sql = STATEMENTS[name]
    spelled = [value for choices in CHOICES for value in choices.values if f"'{value}'" in sql]
    assert spelled == [], f"{name} spells {spelled}: pass them as parameters"


def test_the_outbox_parameters_are_the_choices_values():
    assert outbox.CHOICES["active"] == Engagement.Status.ACTIVE.value
    assert outbox.CHOICES["pending"] == Nudge.Status.PENDING.value
    assert all(isinstance(value, str) and type(value) is str for value in outbox.CHOICES.values())
