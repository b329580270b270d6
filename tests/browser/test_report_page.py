import csv
import datetime as dt
import io

import pytest
import time_machine

from engagements.models import Progress
from tests import factories
from tracking.models import ProgressTransition

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TODAY = dt.date(2026, 5, 20)


@pytest.fixture
def mid_may():
    with time_machine.travel(dt.datetime(2026, 5, 20, 9, tzinfo=dt.UTC)):
        yield


def flip(engagement, day, from_status, to_status):
    ProgressTransition.objects.create(
        engagement=engagement, company=engagement.company, from_status=from_status,
        to_status=to_status, day=day, cause=ProgressTransition.Cause.DAILY)


@pytest.fixture
def history(owner_company, location, global_admin, coach):
    """Six engagements of Acme coached by the provider's coach, with twelve weeks of history."""
    names = ["Amara Okafor", "Ben Schmidt", "Chloe Tanaka", "Dev Silva", "Elena Novak",
             "Farid Haddad"]
    rows = []
    for index, name in enumerate(names):
        off = index % 3 == 1
        engagement = factories.EngagementFactory(
            company=owner_company, location=location, owner=global_admin, coach=coach,
            coachee=factories.UserFactory(company=owner_company, full_name=name),
            started_on=dt.date(2026, 2, 2), tracking_threshold_days=21,
            next_event_on=None if off else dt.date(2026, 5, 27),
            progress=Progress.OFF_TRACK if off else Progress.ON_TRACK,
            off_track_since=dt.date(2026, 4, 6) + dt.timedelta(weeks=index) if off else None)
        flip(engagement, dt.date(2026, 3, 2), Progress.NOT_TRACKED, Progress.ON_TRACK)
        if off:
            flip(engagement, dt.date(2026, 4, 6) + dt.timedelta(weeks=index), Progress.ON_TRACK,
                 Progress.OFF_TRACK)
        rows.append(engagement)
    return rows


def test_report_filters_totals_chart_saved_view_and_export_in_a_browser(
        signed_in_page, global_admin, history, screenshot, mid_may):
    page = signed_in_page(global_admin)
    page.goto("/reports/")
    assert page.locator("#total-all").inner_text() == "6"
    assert page.locator("#total-on").inner_text() == "4"
    assert page.locator("#total-off").inner_text() == "2"
    chart = page.locator("svg.trend-chart[role=img]")
    assert chart.count() == 1 and chart.locator("rect").count() == 12  # off-track markers
    page.locator("summary", has_text="The numbers").click()
    weeks = page.locator(".trend-data tbody tr")
    assert weeks.count() == 12
    assert weeks.last.locator("td").nth(2).inner_text() == "4"  # on track today
    screenshot(page, "report")

    # Off Track only: the totals and the table follow, and the filter is in the URL.
    page.locator("#filters").get_by_label("Off Track", exact=True).check()
    with page.expect_navigation():
        page.get_by_role("button", name="View results").click()
    assert "progress=off_track" in page.url
    assert page.locator("#total-all").inner_text() == "2"
    assert page.locator("#report-table tbody tr").count() == 2

    # Saved under a name, and opened again from the menu.
    page.get_by_label("Save this view as").fill("Off track in London")
    with page.expect_navigation():
        page.get_by_role("button", name="Save view").click()
    page.goto("/reports/")
    assert page.locator("#total-all").inner_text() == "6"
    page.locator("summary", has_text="Saved views").click()
    with page.expect_navigation():
        page.get_by_role("link", name="Off track in London").click()
    assert page.locator("#total-all").inner_text() == "2"

    # The export is exactly the two rows the page shows, with their progress.
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    assert download.value.suggested_filename == f"engagements-report-acme-{TODAY}.csv"
    rows = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
    progress = rows[0].index("On/Off Track")
    assert len(rows) == 3 and {row[progress] for row in rows[1:]} == {"Off Track"}


def test_a_provider_administrator_sees_the_rows_but_no_progress(
        signed_in_page, provider_admin, history, mid_may):
    page = signed_in_page(provider_admin)
    page.goto("/reports/")
    assert page.locator("#total-all").inner_text() == "6"
    assert page.locator("#total-hidden").inner_text() == "6"
    assert page.locator("#total-on").inner_text() == page.locator("#total-off").inner_text() == "0"
    table = page.locator("#report-table tbody").inner_text()
    assert "Off Track" not in table and "On Track" not in table


@pytest.mark.parametrize("width", [1366, 1100])
def test_the_chart_is_centred_in_its_card_on_a_laptop(signed_in_page, global_admin, history,
                                                       mid_may, width):
    # Drawn at most 300 px high, it is narrower than its card on a laptop: it stood against
    # the card's left edge, the rest of the card empty; now it sits in the middle.
    page = signed_in_page(global_admin, viewport={"width": width, "height": 800})
    page.goto("/reports/")
    card = page.locator("figure.trend").bounding_box()
    drawn = page.locator("svg.trend-chart").evaluate("""(svg) => {
        const view = svg.viewBox.baseVal, ctm = svg.getScreenCTM();
        return {left: ctm.e, right: ctm.e + view.width * ctm.a};
    }""")
    assert drawn["right"] - drawn["left"] < card["width"] - 100  # narrower than the card
    left, right = drawn["left"] - card["x"], card["x"] + card["width"] - drawn["right"]
    assert abs(left - right) <= 2, (left, right)
