"""
Paused (rule 9) and the reasons (rule 10) where progress is shown: the Engagements page (a
filter value, a column value, the status cell's title), the Report (totals, trend) and the
CSV (the status, and the optional reason column); "-" to those who may not see progress.
"""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from engagements.models import Progress
from optify.lists.tables import ColumnPreference
from reports.tables import EngagementReportTable
from tests import factories
from tests.reports.conftest import flip

LIST = reverse("engagements:list")
REPORT = reverse("reports:report")
EXPORT = reverse("reports:export")

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def paused(make_engagement):
    e = make_engagement(progress=Progress.PAUSED, paused_until=dt.date(2026, 6, 14))
    factories.PauseFactory(engagement=e, starts_on=dt.date(2026, 5, 1),
                           ends_on=dt.date(2026, 6, 14), reason="leave")
    flip(e, dt.date(2026, 5, 1), Progress.PAUSED, Progress.ON_TRACK)
    return e


def test_paused_is_a_filter_value_and_a_column_value_with_its_reason(
        client_for, global_admin, paused, make_engagement):
    make_engagement(progress=Progress.ON_TRACK)
    response = client_for(global_admin).get(LIST, {"progress": "paused"})
    rows = list(response.context["table"].page.object_list)
    assert [row.record.pk for row in rows] == [paused.pk]
    body = response.content.decode()
    assert "progress-paused" in body
    assert 'title="Paused until 14 Jun (leave)"' in body


def test_the_report_counts_paused_in_its_totals_and_trend(client_for, global_admin, paused,
                                                         make_engagement):
    make_engagement(progress=Progress.ON_TRACK)
    response = client_for(global_admin).get(REPORT)
    totals = response.context["totals"]
    assert (totals.paused, totals["on_track"], totals["total"]) == (1, 1, 2)
    assert b'id="total-paused">1<' in response.content
    weeks = response.context["chart"]["weeks"]
    assert weeks[-1].paused == 1
    assert weeks[0].paused == 0  # before 1 May it was on track


def test_the_csv_says_paused_and_why_and_dash_to_those_who_may_not_see(
        client_for, global_admin, provider_admin, paused):
    for user, expected in ((global_admin, ["Paused", "Paused until 14 Jun (leave)"]),
                           (provider_admin, ["-", "-"])):
        ColumnPreference(EngagementReportTable, user).save(
            ["coachee", "progress", "progress_reason"])
        response = client_for(user).get(EXPORT)
        body = b"".join(response.streaming_content).decode("utf-8-sig")
        lines = list(csv.reader(io.StringIO(body)))
        assert lines[1][1:] == expected, user


def test_a_viewer_who_may_not_see_progress_gets_dash_and_no_reason(
        client_for, provider_admin, paused):
    response = client_for(provider_admin).get(LIST, {"progress": "paused"})
    assert list(response.context["table"].page.object_list) == []
    body = client_for(provider_admin).get(LIST).content.decode()
    assert "Paused until" not in body
    assert "progress-paused" not in body
