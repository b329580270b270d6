"""
In a real browser, on a phone: an administrator pauses an engagement's tracking from its page
and sees it Paused, with the pause in the list; the coach asks for a pause and the
administrator approves it; the page passes axe with the pause list, a pending request and an
edit form open.
"""

import datetime as dt

import pytest

from engagements.models import AuditEvent, Engagement, Pause, Progress
from tests.browser.test_accessibility import PHONE, assert_no_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def no_sideways_scrolling(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_an_administrator_pauses_and_the_page_shows_paused(
        signed_in_page, global_admin, engagement, screenshot, first_of_april, axe):
    Engagement.objects.filter(pk=engagement.pk).update(
        progress=Progress.OFF_TRACK, off_track_since=dt.date(2026, 3, 23))
    page = signed_in_page(global_admin, viewport=PHONE)
    page.goto(f"/engagements/{engagement.pk}/")
    form = page.locator("#pause-form")
    form.get_by_role("heading", name="Pause tracking").wait_for()
    form.get_by_label("From").fill("31 Mar 2026")
    form.get_by_label("To (included)").fill("14 Apr 2026")
    form.get_by_label("Reason").select_option(label="Leave")
    form.get_by_label("Note").fill("Parental leave")
    form.get_by_role("button", name="Pause tracking").click()
    page.get_by_text("Tracking paused.").wait_for()

    pause = Pause.objects.get()
    item = page.locator(f"#pause-{pause.pk}")
    assert "31 Mar 2026 – 14 Apr 2026" in item.inner_text()
    assert "Paused now" in item.inner_text()
    assert page.locator("#progress").get_by_text("Paused", exact=True).count() >= 1
    assert "Paused until 14 Apr (leave)" in page.locator("#progress-reason").inner_text()
    assert no_sideways_scrolling(page)
    screenshot(page, "engagement-paused-phone")

    # The edit form open, then axe over the whole page.
    item.locator("summary", has_text="Edit").click()
    item.get_by_label("To (included)").fill("10 Apr 2026")
    assert no_sideways_scrolling(page)
    assert_no_violations(axe, page, "the engagement page with a pause being edited, phone")
    item.get_by_role("button", name="Save pause").click()
    page.get_by_text("Pause changed.").wait_for()
    pause.refresh_from_db()
    assert pause.ends_on == dt.date(2026, 4, 10)

    page.locator(f"#pause-{pause.pk}").get_by_role("button", name="End early").click()
    page.get_by_text("Pause ended: tracking resumes today.").wait_for()
    engagement.refresh_from_db()
    assert engagement.progress == Progress.OFF_TRACK
    assert list(AuditEvent.objects.order_by("pk").values_list("action", flat=True)) == [
        AuditEvent.Action.PAUSED, AuditEvent.Action.PAUSE_CHANGED, AuditEvent.Action.PAUSE_ENDED]


def test_the_coach_requests_a_pause_and_an_administrator_approves_it(
        signed_in_page, coach, global_admin, engagement, first_of_april, axe):
    coach_page = signed_in_page(coach, viewport=PHONE)
    coach_page.goto(f"/engagements/{engagement.pk}/")
    form = coach_page.locator("#pause-form")
    form.get_by_label("From").fill("6 Apr 2026")
    form.get_by_label("To (included)").fill("10 Apr 2026")
    form.get_by_label("Reason").select_option(label="Holiday")
    form.get_by_role("button", name="Request a pause").click()
    coach_page.get_by_text("Pause requested: an administrator will answer it.").wait_for()
    assert_no_violations(axe, coach_page, "the engagement page as the coach, phone")

    request = Pause.objects.get()
    page = signed_in_page(global_admin, viewport=PHONE)
    page.goto(f"/engagements/{engagement.pk}/")
    item = page.locator(f"#pause-{request.pk}")
    assert "Requested by Cora Coach" in item.inner_text()
    assert_no_violations(axe, page, "a pending pause request, phone")
    item.get_by_role("button", name="Approve").click()
    page.get_by_text("Pause approved: the coach is told.").wait_for()
    assert "Planned" in page.locator(f"#pause-{request.pk}").inner_text()
    request.refresh_from_db()
    assert (request.status, request.approved_by) == (Pause.Status.APPROVED, global_admin)
