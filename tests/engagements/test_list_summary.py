"""
Lists say how many ("1–25 of 30 engagements") without a COUNT that grows with the tenant, and
show the active filters as chips that each remove themselves.
"""

import datetime as dt
import urllib.parse

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from engagements.models import Engagement, Progress
from optify.lists import summary
from optify.lists.summary import RowCount, count_rows
from tests import factories

URL = reverse("engagements:list")
REPORT = reverse("reports:report")
NOW = dt.datetime(2026, 4, 1, 12, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen_and_uncached():
    cache.clear()
    with time_machine.travel(NOW, tick=False):
        yield
    cache.clear()


def count_line(response):
    return response.context["summary"] and str(response.context["summary"])


def counts(queries):
    return [q["sql"] for q in queries if q["sql"].startswith("SELECT COUNT(*)")]


@pytest.fixture
def thirty(owner_company, global_admin):
    return factories.EngagementFactory.create_batch(30, company=owner_company, owner=global_admin)


def test_the_first_page_says_which_rows_of_how_many(client_for, global_admin, thirty):
    response = client_for(global_admin).get(URL)
    assert count_line(response) == "1–25 of 30"
    assert "1–25 of 30 engagements" in response.content.decode()


def test_the_last_page_knows_the_total_without_counting(client_for, global_admin, thirty):
    with CaptureQueriesContext(connection) as queries:
        response = client_for(global_admin).get(URL, {"page": 2})
    assert count_line(response) == "26–30 of 30"
    assert counts(queries) == []


def test_the_count_is_bounded_and_cached_across_pages_sizes_and_sorts(
        client_for, global_admin, thirty):
    client = client_for(global_admin)
    with CaptureQueriesContext(connection) as queries:
        client.get(URL)
    [count] = counts(queries)
    assert "LIMIT 10001" in count  # never more rows than that, whatever the tenant's size
    with CaptureQueriesContext(connection) as queries:
        client.get(URL, {"sort": "-started_on", "per_page": 25})
    assert counts(queries) == []
    # Another filter is another count.
    with CaptureQueriesContext(connection) as queries:
        client.get(URL, {"include_completed": "on"})
    assert len(counts(queries)) == 1


def test_beyond_the_bound_the_page_says_about(monkeypatch, owner_company, global_admin, thirty):
    monkeypatch.setattr(summary, "EXACT_UP_TO", 10)
    count = count_rows(Engagement.objects.filter(company=owner_company))
    assert not count.exact
    if connection.vendor == "postgresql":
        # The planner's estimate, rounded; or, if it thinks there are fewer, "more than".
        assert str(count).startswith(("about ", "more than 10"))
    assert str(RowCount(203_456 // 1000 * 1000, exact=False)) == "about 203,000"
    assert summary._rounded(203_456) == 200_000
    assert str(RowCount(10_000, exact=False, at_least=True)) == "more than 10,000"


def test_an_empty_list_says_so(client_for, other_admin, thirty):
    response = client_for(other_admin).get(URL)
    assert response.context["summary"] is None
    assert "No engagements" in response.content.decode()


def test_the_report_counts_from_its_totals(client_for, global_admin, thirty):
    with CaptureQueriesContext(connection) as queries:
        response = client_for(global_admin).get(REPORT)
    assert count_line(response) == "1–25 of 30"
    assert response.context["totals"]["total"] == 30
    assert counts(queries) == []


def test_active_filters_are_chips_that_remove_themselves(
        client_for, global_admin, owner_company, location, coach, thirty):
    factories.EngagementFactory(company=owner_company, owner=global_admin, location=location,
                                coach=coach, progress=Progress.OFF_TRACK,
                                off_track_since=dt.date(2026, 3, 20))
    client = client_for(global_admin)
    query = {"progress": ["off_track", "on_track"], "location": location.pk, "q": "  ",
             "include_completed": "on", "per_page": 50}
    response = client.get(URL, query)
    chips = {(chip.label, chip.value): chip.remove_url for chip in response.context["chips"]}
    assert set(chips) == {("Progress", "Off Track"), ("Progress", "On Track"),
                          ("Location", location.name),
                          ("Include completed engagements", "")}
    removed = urllib.parse.parse_qs(chips["Progress", "Off Track"].split("?", 1)[1])
    assert removed["progress"] == ["on_track"] and removed["per_page"] == ["50"]
    assert "location" not in urllib.parse.parse_qs(chips["Location", location.name]
                                                   .split("?", 1)[1])
    html = response.content.decode()
    assert 'aria-label="Remove the filter Progress: Off Track"' in html
    # Following a chip's link lists without that filter.
    after = client.get(chips["Progress", "Off Track"])
    assert ("Progress", "Off Track") not in {(c.label, c.value) for c in after.context["chips"]}


def test_a_date_range_is_one_chip_and_the_reading_of_it_none(client_for, global_admin, thirty):
    response = client_for(global_admin).get(REPORT, {
        "off_track_since_after": "2026-03-01", "off_track_since_before": "2026-03-31",
        "off_track_mode": "history"})
    [chip] = response.context["chips"]
    assert (chip.label, chip.value) == ("Off Track Since", "1 Mar 2026 – 31 Mar 2026")
    assert "off_track_since" not in chip.remove_url and "off_track_mode" in chip.remove_url


def test_a_filter_not_understood_is_no_chip(client_for, global_admin, thirty):
    response = client_for(global_admin).get(URL, {"status": "bogus", "kind": "one_on_one"})
    assert [(c.label, c.value) for c in response.context["chips"]] == [("Kind", "1:1")]
