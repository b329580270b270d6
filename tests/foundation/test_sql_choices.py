"""
Raw SQL never spells a status of its own: the values it compares with are parameters built from
their TextChoices, so renaming a choice cannot leave a statement silently matching nothing.
"""

import pytest

from accounts.models import User
from engagements.models import Engagement, EventStatus, Pause, Progress
from notifications import outbox
from notifications.models import Nudge, NudgeItem, Role
from tracking import evaluation
from tracking.models import ProgressTransition

CHOICES = [Engagement.Status, Engagement.Kind, Progress, EventStatus, Pause.Status,
           Pause.Reason, ProgressTransition.Cause, User.Status, Nudge.Status, NudgeItem.Reason,
           Role]
STATEMENTS = {
    "outbox: eligible": outbox._ELIGIBLE_SQL,
    "outbox: nudges": outbox._INSERT_NUDGES_SQL,
    "outbox: items": outbox._INSERT_ITEMS_SQL,
}
# The evaluation's statements as they are executed (every part in place), for each way of
# running it: all engagements or the due ones, with or without recording the daily runs.
for _rows, _due in (("all", evaluation.ALL_ROWS), ("due", evaluation.DUE_ROWS)):
    for _runs in (False, True):
        for _i, _statement in enumerate(evaluation._sql(_due, record_runs=_runs)):
            STATEMENTS[f"evaluation: {_rows}{' recording runs' if _runs else ''} {_i}"] = _statement


@pytest.mark.parametrize("name", sorted(STATEMENTS))
def test_raw_sql_takes_choices_as_parameters(name):
    sql = STATEMENTS[name]
    spelled = [value for choices in CHOICES for value in choices.values if f"'{value}'" in sql]
    assert spelled == [], f"{name} spells {spelled}: pass them as parameters"


def test_the_outbox_parameters_are_the_choices_values():
    assert outbox.CHOICES["active"] == Engagement.Status.ACTIVE.value
    assert outbox.CHOICES["pending"] == Nudge.Status.PENDING.value
    assert all(isinstance(value, str) and type(value) is str for value in outbox.CHOICES.values())


def test_the_evaluation_parameters_are_the_choices_values():
    assert evaluation.CHOICES["active"] == Engagement.Status.ACTIVE.value
    assert evaluation.CHOICES["kind_coach_matching"] == Engagement.Kind.COACH_MATCHING.value
    assert evaluation.CHOICES["not_tracked"] == Progress.NOT_TRACKED.value
    assert evaluation.CHOICES["event_cancelled"] == EventStatus.CANCELLED.value
    assert evaluation.CHOICES["pause_approved"] == Pause.Status.APPROVED.value
    assert all(type(value) is str for value in evaluation.CHOICES.values())
    # Every value of the statuses the rules decide is one the statements can write.
    assert set(Progress.values) <= set(evaluation.CHOICES.values())
