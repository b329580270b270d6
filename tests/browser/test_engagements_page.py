import datetime as dt

import pytest
import time_machine

from engagements.models import Engagement, Progress
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def realistic(engagement, owner_company, location, global_admin, coach):
    Engagement.objects.filter(pk=engagement.pk).update(
        progress=Progress.ON_TRACK, last_activity_on=dt.date(2026, 3, 25),
        next_event_on=dt.date(2026, 4, 8))
    names = ["Amara Okafor", "Ben Schmidt", "Chloe Tanaka", "Dev Silva", "Elena Novak"]
    off = []
    for index, name in enumerate(names):
        person = factories.UserFactory(company=owner_company, full_name=name)
        state = Progress.OFF_TRACK if index % 2 else Progress.ON_TRACK
        off.append(factories.EngagementFactory(
            company=owner_company, location=location, owner=global_admin, coach=coach,
            coachee=person, progress=state, last_activity_on=dt.date(2026, 3, 16 + index),
            off_track_since=dt.date(2026, 3, 22 + index) if state == Progress.OFF_TRACK
            else None))
    factories.SessionFactory(engagement=engagement)
    return off


@pytest.fixture
def late_march():
    # The data's dates are of March 2026: "days until off track" is counted from this day.
    with time_machine.travel(dt.datetime(2026, 3, 27, 9, tzinfo=dt.UTC)):
        yield


def test_columns_filters_and_engagement_page_in_a_browser(signed_in_page, global_admin,
                                                         realistic, engagement, screenshot,
                                                         late_march):
    page = signed_in_page(global_admin, viewport={"width": 1720, "height": 900})
    page.goto("/engagements/")
    assert page.locator("#engagements-table th", has_text="Location").count() == 1
    screenshot(page, "engagements-list")

    # Hide a column; it stays hidden after a reload.
    page.locator("summary", has_text="Columns").click()
    page.locator("#col-location").uncheck()
    with page.expect_navigation():
        page.get_by_role("button", name="Save columns").click()
    page.reload()
    assert page.locator("#engagements-table th", has_text="Location").count() == 0
    # ... and shows again.
    page.locator("summary", has_text="Columns").click()
    page.locator("#col-location").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Save columns").click()
    assert page.locator("#engagements-table th", has_text="Location").count() == 1

    # Filter Off Track: only off-track rows.
    page.locator("#filters").get_by_label("Off Track", exact=True).check()
    with page.expect_navigation():
        page.get_by_role("button", name="View results").click()
    assert "progress=off_track" in page.url
    rows = page.locator("#engagements-table tbody tr")
    assert rows.count() == 2
    assert page.locator("#engagements-table tbody .progress-on").count() == 0

    # Open an engagement.
    page.goto("/engagements/")
    page.get_by_role("link", name="Cole Coachee").first.click()
    page.wait_for_url(f"**/engagements/{engagement.pk}/")
    assert page.get_by_role("heading", name="Sessions").count() == 1
    screenshot(page, "engagement-page")
