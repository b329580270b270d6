"""
A set-based evaluation writes only the row version it read: an engagement written by someone
else in between (an at-once evaluation) keeps that writer's values, and its status change is
recorded once. The full evaluation reads in one statement and writes in a second, so another
transaction can commit between them; the UPDATE finds each row by the ctid it read and checks
its xmin (tracking/evaluation.py, `updated`).
"""

import datetime as dt
import threading

import pytest
from django.db import connection, connections

from engagements.models import Engagement, Progress
from tests import factories
from tracking import evaluation
from tracking.evaluation import Cause, evaluate_engagement, evaluate_many
from tracking.models import ProgressTransition

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="the set-based statements are PostgreSQL's (SQLite evaluates "
                              "one engagement at a time)"),
]

D = dt.date
ACTIVATED = D(2026, 3, 2)
DAY = D(2026, 3, 30)  # 28 days without a session: off track with a 21-day threshold


def test_a_row_written_between_the_read_and_the_write_keeps_the_other_writers_values(
        monkeypatch):
    company = factories.CompanyFactory(slug="acme")
    engagement = factories.EngagementFactory(company=company, started_on=ACTIVATED,
                                             template__tracking_threshold_days=21)
    untouched = factories.EngagementFactory(company=company, started_on=ACTIVATED,
                                            template__tracking_threshold_days=21)
    for each in (engagement, untouched):
        evaluate_engagement(Engagement.objects.select_related("company").get(pk=each.pk),
                            cause=Cause.LAUNCH, today=ACTIVATED)

    def evaluated_elsewhere():
        # Another worker's transaction, committed while the full evaluation is between its
        # reading statement and its writing one.
        try:
            evaluate_engagement(Engagement.objects.select_related("company").get(
                pk=engagement.pk), cause=Cause.EDIT, today=DAY)
        finally:
            connections.close_all()

    statements = evaluation._sql

    def with_a_writer_in_between(*args, **kwargs):
        reading, *writing = statements(*args, **kwargs)
        yield reading
        writer = threading.Thread(target=evaluated_elsewhere)
        writer.start()
        writer.join(timeout=30)
        yield from writing

    monkeypatch.setattr(evaluation, "_sql", with_a_writer_in_between)
    counts = evaluate_many({company.pk: DAY}, cause=Cause.MANUAL)

    # The full evaluation decided both off track; it wrote only the row nobody else had.
    assert counts.off_track == 2
    assert counts.written == 1
    transitions = ProgressTransition.objects.filter(to_status=Progress.OFF_TRACK)
    assert sorted(transitions.values_list("engagement_id", "cause")) == sorted(
        [(engagement.pk, Cause.EDIT), (untouched.pk, Cause.MANUAL)])
    assert set(Engagement.objects.values_list("progress", flat=True)) == {Progress.OFF_TRACK}
