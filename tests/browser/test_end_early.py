"""
In a real browser: an administrator ends an engagement early from the Engagements page's row
menu, with a reason; it leaves the list and appears under "include completed engagements".

Self-contained (its own Chromium + signed-in context fixture), so it runs whether or not the
shared browser fixtures of tests/browser/conftest.py are present.
"""

import os

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import connections

from engagements.models import AuditEvent, Engagement
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture
def signed_in_page(live_server, global_admin, monkeypatch):
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM}")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # around it are ordinary synchronous ones.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    session = SessionStore()
    session[SESSION_KEY] = str(global_admin.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = global_admin.get_session_auth_hash()
    session.create()
    with playwright_api.sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                                 args=["--no-sandbox"])
            context = browser.new_context(base_url=live_server.url)
            context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                                  "value": session.session_key, "url": live_server.url}])
            page = context.new_page()
            page.set_default_timeout(15_000)
            yield page
            context.close()
            browser.close()
        finally:
            # While Playwright's loop runs in this thread, Django's connections are context-local
            # (asgiref's thread-critical Local), so the ORM calls made under it use a second
            # connection that nothing else can reach once the loop stops: close it here, or it
            # keeps the test database busy and dropping it at the end of the run fails.
            connections.close_all()


def test_ending_early_from_the_row_menu_moves_the_engagement_to_completed(
        signed_in_page, engagement, owner_company, location, global_admin, screenshot):
    page = signed_in_page
    other = factories.EngagementFactory(
        company=owner_company, location=location, owner=global_admin,
        coachee=factories.UserFactory(company=owner_company, full_name="Dora Different"))

    page.goto("/engagements/")
    assert page.get_by_text("Cole Coachee").count() >= 1

    page.locator('summary[aria-label="Actions for Cole Coachee"]').click()
    page.get_by_role("link", name="End early").click()

    page.get_by_role("heading", name="End Cole Coachee's engagement early?").wait_for()
    screenshot(page, "end-early-confirm")
    page.get_by_label("Client request").check()
    page.get_by_label("Note").fill("Asked to pause coaching")
    page.get_by_role("button", name="End early").click()

    page.get_by_text("Cole Coachee's engagement was ended early.").wait_for()
    assert page.url.rstrip("/").endswith("/engagements")
    rows = page.locator("table tbody")
    assert rows.get_by_text("Dora Different").count() == 1
    assert rows.get_by_text("Cole Coachee").count() == 0

    page.get_by_label("Include completed engagements").check()
    page.get_by_role("button", name="View results").click()
    page.wait_for_url("**include_completed=on**")
    assert page.locator("table tbody").get_by_text("Cole Coachee").count() == 1
    assert page.locator("table tbody").get_by_text("Ended early").count() >= 1

    engagement.refresh_from_db()
    assert engagement.status == Engagement.Status.ENDED_EARLY
    assert engagement.end_reason == "client_request"
    assert engagement.end_note == "Asked to pause coaching"
    assert AuditEvent.objects.filter(engagement=engagement, actor=global_admin).exists()
    other.refresh_from_db()
    assert other.status == Engagement.Status.ACTIVE
