"""
The main pages on a 390 px phone and on a 1366 px laptop: nothing scrolls sideways on the
phone, the menu and the filters fold behind buttons, every engagement card shows its coachee,
On/Off Track and next session, the report's chart keeps a readable size; on the laptop the
Engagements table's default columns fit. Screenshots of both sizes go to docs/screenshots/
when OPTIFY_SCREENSHOTS=1 (tests/browser/conftest.py).
"""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from engagements.models import Engagement, Progress
from tests import factories
from tracking.models import ProgressTransition

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 800}
NAMES = ["Amara Okafor", "Ben Schmidt", "Chloe Tanaka", "Dev Silva", "Elena Novak",
         "Farid Haddad", "Grace Lindqvist"]


@pytest.fixture
def late_march():
    with time_machine.travel(dt.datetime(2026, 3, 27, 9, tzinfo=dt.UTC)):
        yield


@pytest.fixture
def programme(owner_company, location, other_location, global_admin, engagement, coach):
    """The standing engagement and seven more, on and off track, with weeks of history."""
    template = factories.EngagementTemplateFactory(
        company=owner_company, name="Leadership 1:1 (3 weeks)")
    Engagement.objects.filter(pk=engagement.pk).update(
        template=template, progress=Progress.ON_TRACK, last_activity_on=dt.date(2026, 3, 25),
        next_event_on=dt.date(2026, 4, 8))
    factories.SessionFactory(engagement=engagement)
    rows = [engagement]
    for index, name in enumerate(NAMES):
        off = index % 3 == 1
        row = factories.EngagementFactory(
            company=owner_company, template=template, owner=global_admin, coach=coach,
            location=location if index % 2 else other_location,
            coachee=factories.UserFactory(company=owner_company, full_name=name),
            started_on=dt.date(2026, 1, 5 + index), progress=Progress.OFF_TRACK if off
            else Progress.ON_TRACK, last_activity_on=dt.date(2026, 3, 2 + index),
            next_event_on=None if off else dt.date(2026, 4, 1 + index),
            off_track_since=dt.date(2026, 3, 16 + index) if off else None)
        ProgressTransition.objects.create(
            engagement=row, company=owner_company, from_status=Progress.NOT_TRACKED,
            to_status=Progress.ON_TRACK, day=row.started_on,
            cause=ProgressTransition.Cause.LAUNCH)
        if off:
            ProgressTransition.objects.create(
                engagement=row, company=owner_company, from_status=Progress.ON_TRACK,
                to_status=Progress.OFF_TRACK, day=row.off_track_since,
                cause=ProgressTransition.Cause.DAILY)
        rows.append(row)
    return rows


def scroll_width(page):
    return page.evaluate("document.documentElement.scrollWidth")


def test_engagements_on_a_phone(signed_in_page, global_admin, programme, screenshot,
                                late_march):
    page = signed_in_page(global_admin, viewport=PHONE)
    page.goto("/engagements/?progress=off_track&progress=on_track&location="
              f"{programme[0].location_id}")
    assert scroll_width(page) <= PHONE["width"]

    # The header is one compact bar; the navigation hides behind "Menu".
    assert page.locator(".topbar").bounding_box()["height"] <= 60
    nav = page.get_by_role("navigation", name="Main")
    assert not nav.is_visible()
    menu = page.get_by_role("button", name="Menu")
    menu.click()
    assert menu.get_attribute("aria-expanded") == "true"
    assert nav.get_by_role("link", name="Ready to complete?").is_visible()
    assert scroll_width(page) <= PHONE["width"]
    page.keyboard.press("Escape")
    assert not nav.is_visible()

    # The filters fold behind a button that says how many are set (progress, location).
    filters = page.get_by_role("button", name="Filters (2)")
    assert not page.locator("#filters").is_visible()
    filters.click()
    assert page.locator("#filters").is_visible()
    filters.click()

    # Every card shows its coachee, On/Off Track and next session, inside the screen.
    cards = page.locator("#engagements-table tbody tr")
    assert cards.count() == 4
    for index in range(cards.count()):
        card = cards.nth(index)
        for column in ("coachee", "progress", "next_event_on"):
            box = card.locator(f'td[data-col="{column}"]').bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], column
    # ... each value named by its column (the card's labels are the table's headers).
    assert cards.first.locator('td[data-col="next_event_on"]').get_attribute(
        "data-label") == "Next session"
    screenshot(page, "phone-engagements")


def test_the_engagement_page_and_report_on_a_phone(signed_in_page, global_admin, programme,
                                                   screenshot, late_march):
    page = signed_in_page(global_admin, viewport=PHONE)
    page.goto(reverse("engagements:detail", args=[programme[0].pk]))
    assert scroll_width(page) <= PHONE["width"]
    # The "?" beside progress explains the marks, by tap.
    tip = page.locator("#progress details.tip")
    tip.locator("summary").click()
    assert tip.get_by_text("Not tracked").is_visible()
    tip.locator("summary").click()
    screenshot(page, "phone-engagement")

    page.goto("/reports/")
    assert scroll_width(page) <= PHONE["width"]
    # The chart keeps a readable size: its smallest text at least 10 px, scrolled sideways
    # inside its own frame if need be, never the page.
    sizes = page.locator("svg.trend-chart text.axis").evaluate_all(
        "(texts) => texts.map((t) => t.getBoundingClientRect().height)")
    assert sizes and min(sizes) >= 10
    screenshot(page, "phone-report")


def test_the_engagements_table_fits_a_laptop(signed_in_page, global_admin, programme,
                                             screenshot, late_march):
    page = signed_in_page(global_admin, viewport=LAPTOP)
    page.goto("/engagements/")
    assert page.get_by_role("navigation", name="Main").is_visible()
    assert page.locator("#filters").is_visible()
    frame = page.locator(".table-wrap").first
    fits = frame.evaluate("(el) => el.scrollWidth <= el.clientWidth")
    assert fits, "the default columns are wider than the table's frame at 1366 px"
    assert scroll_width(page) <= LAPTOP["width"]
    # The page's two buttons side by side at its right, not one adrift in the middle.
    new = page.get_by_role("link", name="New engagement").bounding_box()
    launch = page.get_by_role("link", name="Launch from a template").bounding_box()
    assert 0 <= launch["x"] - (new["x"] + new["width"]) < 20
    screenshot(page, "laptop-engagements")
    page.goto(reverse("engagements:detail", args=[programme[0].pk]))
    screenshot(page, "laptop-engagement")
    page.goto("/reports/")
    assert scroll_width(page) <= LAPTOP["width"]
    screenshot(page, "laptop-report")


def test_dates_are_typed_as_the_pages_show_them(signed_in_page, global_admin, programme,
                                                late_march):
    page = signed_in_page(global_admin, viewport=LAPTOP)
    page.goto("/reports/")
    since = page.locator("#filters").get_by_role("group", name="Off Track Since")
    start = since.get_by_label("From")
    assert start.get_attribute("type") == "text"
    assert start.get_attribute("placeholder") == "e.g. 30 Nov 2026"
    start.fill("16 Mar 2026")
    since.get_by_label("To").fill("2026-03-31")
    with page.expect_navigation():
        page.get_by_role("button", name="View results").click()
    assert "off_track_since_after=16+Mar+2026" in page.url
    # Shown back in the pages' own format, the ISO day too.
    since = page.locator("#filters").get_by_role("group", name="Off Track Since")
    assert since.get_by_label("From").input_value() == "16 Mar 2026"
    assert since.get_by_label("To").input_value() == "31 Mar 2026"
    assert page.locator("#total-off").inner_text() == "2"

    # Scheduling a session: the same format.
    page.goto(reverse("engagements:detail", args=[programme[0].pk]))
    form = page.locator("#schedule-session")
    # The day, the time and the length are boxes of one width, none stretched across the form.
    assert len({form.get_by_label(name).bounding_box()["width"]
                for name in ("Date", "Time", "Duration (minutes)")}) == 1
    form.get_by_label("Date").fill("9 Apr 2026")
    form.get_by_label("Time").fill("10:30")
    form.get_by_role("button", name="Schedule session").click()
    page.get_by_text("Session scheduled.").wait_for()
    # In the company's time (Europe/London is on summer time by 9 April).
    assert page.get_by_text("Thu 9 Apr 2026, 10:30").count() == 1


def test_billing_by_location_opens_on_the_latest_months_on_a_phone(
        signed_in_page, global_admin, programme, late_march):
    # Like the laptop, where the months run left to right up to this one, the phone opens the
    # table on the latest months (it started on the oldest), the location kept in view.
    page = signed_in_page(global_admin, viewport=PHONE)
    page.goto(reverse("reports:billing"))
    assert scroll_width(page) <= PHONE["width"]
    frame = page.locator(".table-wrap:has(table.billing-locations)")
    table = frame.locator("table.billing-locations")
    sizes = frame.evaluate(
        "(el) => ({left: el.scrollLeft, width: el.scrollWidth, shown: el.clientWidth})")
    assert sizes["width"] > sizes["shown"], "the months fit a phone: nothing to scroll"
    assert sizes["left"] >= sizes["width"] - sizes["shown"] - 1

    def inside(locator):
        cell, box = locator.bounding_box(), frame.bounding_box()
        return box["x"] - 1 <= cell["x"] <= cell["x"] + cell["width"] <= box["x"] + box["width"] + 1

    assert inside(table.locator("thead th").last)
    assert table.locator("thead th").last.inner_text().title() == "Mar 2026"
    assert not inside(table.locator("thead th").nth(2))  # the oldest month, Apr 2025
    assert inside(table.get_by_role("cell", name="London"))
    # ... and the laptop shows them all, from the location to this month.
    page.set_viewport_size(LAPTOP)
    page.goto(reverse("reports:billing"))
    assert frame.evaluate("(el) => el.scrollWidth <= el.clientWidth")
    assert inside(table.locator("thead th").first) and inside(table.locator("thead th").last)
