"""
The webhook pages and the calendar sections of Settings in a real browser, at a laptop's and a
phone's width, checked with axe: an administrator registers an endpoint against a real local
receiver, copies its secret, sends a test event and reads its delivery in the log.
"""

import pytest

from engagements.models import CalendarFeed
from notifications import webhooks
from tests.browser.test_accessibility import LAPTOP, PHONE, assert_no_violations
from tests.support.http import LocalServer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_an_administrator_registers_a_webhook_and_reads_its_delivery(
        settings, signed_in_page, global_admin, engagement, axe, viewport):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    with LocalServer() as receiver:
        receiver.answer("/hook", 200)
        page = signed_in_page(global_admin, viewport=viewport)
        page.goto("/settings/")
        page.get_by_role("link", name="Manage webhooks").click()
        page.wait_for_load_state()
        assert_no_violations(axe, page, "the webhooks page")

        page.get_by_label("Address (URL)").fill(receiver.url("/hook"))
        page.get_by_label("Session scheduled").check()
        page.get_by_role("button", name="Register endpoint").click()
        page.wait_for_load_state()
        secret = page.locator("#webhook-secret").inner_text()
        assert secret.startswith("whsec_")
        assert_no_violations(axe, page, "a new endpoint's page")

        page.get_by_role("button", name="Send a test event").click()
        page.wait_for_load_state()
        assert webhooks.deliver_due() == {"delivered": 1}
        page.reload()
        row = page.locator("#deliveries-table tbody tr").first
        assert "webhook.test" in row.inner_text() and "Delivered" in row.inner_text()
        assert_no_violations(axe, page, "an endpoint's delivery log")
        [request] = receiver.to("/hook")
        assert request.headers["webhook-signature"].startswith("v1,")


def test_settings_with_a_feed_address_and_a_failing_calendar_pass_axe_on_a_phone(
        signed_in_page, coach, engagement, axe):
    CalendarFeed.objects.create(owner=coach, url="https://calendar.example.com/secret.ics",
                                last_error="The calendar's server answered HTTP 404.",
                                failing_since="2026-03-23T07:00:00Z")
    page = signed_in_page(coach, viewport=PHONE)
    page.goto("/settings/")
    page.get_by_role("button", name="Make my feed address").click()
    page.wait_for_load_state()
    assert "/engagements/calendar/" in page.locator("#calendar-feed-url").inner_text()
    assert page.get_by_text("Failing").is_visible()
    assert_no_violations(axe, page, "Settings with a feed address and a failing calendar")
