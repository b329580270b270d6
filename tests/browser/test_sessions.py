"""
In a real browser: the coach marks the last session held and moves the next one, from the
engagement page, on a laptop and on a phone; the engagement is re-evaluated at once.
"""

import datetime as dt

import pytest

from engagements.models import AuditEvent, Engagement, EventStatus, Progress
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport, suffix", [
    ({"width": 1366, "height": 900}, ""), ({"width": 390, "height": 844}, "-phone")])
def test_the_coach_marks_a_session_held_and_moves_the_next_one(
        signed_in_page, coach, engagement, screenshot, first_of_april, viewport, suffix):
    Engagement.objects.filter(pk=engagement.pk).update(
        progress=Progress.OFF_TRACK, off_track_since=dt.date(2026, 3, 23))
    last = factories.SessionFactory(engagement=engagement,
                                    starts_at=dt.datetime(2026, 3, 31, 9, tzinfo=dt.UTC))
    following = factories.SessionFactory(engagement=engagement,
                                         starts_at=dt.datetime(2026, 4, 8, 9, tzinfo=dt.UTC))
    page = signed_in_page(coach, viewport=viewport)
    page.goto(f"/engagements/{engagement.pk}/")
    row = page.locator(f"#session-{last.pk}")
    screenshot(page, f"engagement-sessions{suffix}")
    # Every button of a session is on screen, not behind a sideways scroll of its table.
    for button in row.locator(".btn").all():
        box = button.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], box

    row.get_by_role("button", name="Mark held").click()
    page.get_by_text("marked held").wait_for()
    assert page.locator(f"#session-{last.pk}").get_by_text("Completed").count() == 1
    assert page.locator("#progress").get_by_text("On Track").count() >= 1

    page.locator(f"#session-{following.pk}").get_by_role("link", name="Move").click()
    page.get_by_role("heading", name="Move the session").wait_for()
    page.get_by_label("Date").fill("2026-04-15")
    page.get_by_label("Time").fill("10:30")
    screenshot(page, f"session-move{suffix}")
    page.get_by_role("button", name="Move").click()
    page.get_by_text("Session moved.").wait_for()
    moved = page.locator(f"#session-{following.pk}")
    assert "15 Apr 2026" in moved.inner_text()
    # No horizontal scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")

    last.refresh_from_db()
    following.refresh_from_db()
    assert last.status == EventStatus.COMPLETED
    assert following.starts_at == dt.datetime(2026, 4, 15, 9, 30, tzinfo=dt.UTC)  # BST
    engagement.refresh_from_db()
    assert engagement.progress == Progress.ON_TRACK
    assert engagement.next_event_on == dt.date(2026, 4, 15)
    assert set(AuditEvent.objects.values_list("action", flat=True)) == {
        AuditEvent.Action.SESSION_COMPLETED, AuditEvent.Action.SESSION_MOVED}


def test_an_administrator_finds_a_coachee_creates_a_draft_and_launches_it(
        signed_in_page, global_admin, owner_company, location, screenshot, first_of_april):
    template = factories.EngagementTemplateFactory(company=owner_company, name="Leadership")
    factories.UserFactory(company=owner_company, full_name="Jonas Rossi", email="j1@acme.test")
    factories.UserFactory(company=owner_company, full_name="Jonas Rossi", email="j2@acme.test")
    coach = factories.UserFactory(company=owner_company, full_name="Cory Coach", is_coach=True)
    page = signed_in_page(global_admin, viewport={"width": 390, "height": 844})
    page.goto("/engagements/new/")
    page.get_by_label("Find a coachee").fill("jonas")
    page.get_by_role("button", name="Search coachees").click()
    page.get_by_label("Coachee", exact=True).select_option(label="Jonas Rossi — j2@acme.test")
    page.get_by_label("Template").select_option(label="Leadership")
    page.get_by_label("Coach", exact=True).select_option(label=f"Cory Coach — {coach.email}")
    page.get_by_label("Location").select_option(label="London")
    screenshot(page, "engagement-new-phone")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.get_by_role("button", name="Create draft").click()
    page.get_by_text("Draft engagement for Jonas Rossi created.").wait_for()
    page.get_by_role("button", name="Launch").click()
    page.get_by_text("Engagement for Jonas Rossi launched.").wait_for()
    launched = Engagement.objects.get(template=template)
    assert launched.coachee.email == "j2@acme.test"
    assert launched.status == Engagement.Status.ACTIVE
    assert launched.started_on == dt.date(2026, 4, 1)
