"""
In a real browser (issue 19): a coachee signs in, lands on "My coaching", books a session with
their coach, adds a goal and sends a message there, and their coach sees the session on "My
coachees" and the goal and the message on the engagement's page; every role's home passes
axe-core at a laptop's and a phone's width, without sideways scrolling. Screenshots of each
home at 1366 and 390 px go to docs/screenshots/ with OPTIFY_SCREENSHOTS=1
(tests/browser/conftest.py).
"""

import datetime as dt

import pytest

from engagements import actions
from engagements.models import Engagement, EventStatus, Progress, Session
from tests import factories
from tests.browser.test_accessibility import assert_no_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 800}
PHONE = {"width": 390, "height": 844}
PASSWORD = "correct horse battery staple"  # tests/factories.py


@pytest.fixture
def programme(owner_company, location, other_location, global_admin, engagement, coach,
              coachee):
    """The standing engagement off track, and the coach's other coachees in every state."""
    template = factories.EngagementTemplateFactory(company=owner_company,
                                                   name="Leadership 1:1 (3 weeks)")
    Engagement.objects.filter(pk=engagement.pk).update(
        template=template, progress=Progress.OFF_TRACK, off_track_since=dt.date(2026, 3, 23),
        last_activity_on=dt.date(2026, 3, 2))
    factories.SessionFactory(engagement=engagement, status=EventStatus.COMPLETED,
                             starts_at=dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC),
                             notes="Map the three conversations you keep putting off.",
                             notes_shared=True)
    people = [("Amara Okafor", Progress.ON_TRACK, None, dt.date(2026, 4, 5), location),
              ("Ben Schmidt", Progress.OFF_TRACK, dt.date(2026, 3, 5), None, other_location),
              ("Chloe Tanaka", Progress.ON_TRACK, None, None, location),
              ("Dev Silva", Progress.PAUSED, None, None, other_location)]
    for index, (name, progress, since, goes_off, where) in enumerate(people):
        row = factories.EngagementFactory(
            company=owner_company, template=template, owner=global_admin, coach=coach,
            location=where, progress=progress, off_track_since=since,
            goes_off_track_on=goes_off, paused_until=(dt.date(2026, 4, 14)
                                                      if progress == Progress.PAUSED else None),
            next_event_on=None if goes_off or since else dt.date(2026, 4, 9 + index),
            last_activity_on=(since - dt.timedelta(days=21) if since
                              else dt.date(2026, 3, 16 + index)),
            started_on=dt.date(2026, 2, 2),
            coachee=factories.UserFactory(company=owner_company, full_name=name))
        if row.next_event_on:
            factories.SessionFactory(engagement=row, starts_at=dt.datetime(
                2026, 4, 9 + index, 8, tzinfo=dt.UTC))
    return engagement


def sign_in(browser, live_server, user, viewport):
    context = browser.new_context(base_url=live_server.url, viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/accounts/sign-in/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    return context, page


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_a_coachee_signs_in_books_a_session_and_the_coach_sees_it(
        browser, live_server, signed_in_page, coachee, coach, programme, axe, first_of_april,
        viewport):
    context, page = sign_in(browser, live_server, coachee, viewport)
    page.get_by_role("heading", name="My coaching").wait_for()
    assert page.get_by_text("Cora Coach").count() >= 1
    assert page.get_by_text("Map the three conversations").count() == 1
    assert page.get_by_text("Off Track").count() == 0  # not the coachee's to see
    assert_no_violations(axe, page, "the coachee's home")

    page.get_by_role("link", name="Book a session").click()
    page.get_by_role("heading", name="Book a session with Cora Coach").wait_for()
    assert_no_violations(axe, page, "the booking form")
    page.get_by_label("Date").fill("10 Apr 2026")
    page.get_by_label("Time").fill("09:30")
    page.get_by_label("Length").select_option(label="45 minutes")
    page.get_by_role("button", name="Book the session").click()
    page.get_by_text("Session booked with Cora Coach on Fri 10 Apr, 09:30.").wait_for()
    assert "Friday 10 Apr 2026, 09:30" in page.locator(".next-session").inner_text()

    # A goal and a message, from the same home.
    goals = page.locator(f"#goals-{programme.pk}")
    goals.get_by_label("Goal", exact=True).fill("Delegate the weekly report")
    goals.get_by_role("button", name="Add goal").click()
    page.get_by_text("Goal added.").wait_for()
    page.get_by_role("heading", name="My coaching").wait_for()
    thread = page.locator(f"#messages-{programme.pk}")
    thread.get_by_label("Message").fill("Could we start with delegation?")
    thread.get_by_role("button", name="Send message").click()
    page.get_by_text("Message sent.").wait_for()
    assert "Delegate the weekly report" in page.locator(f"#goals-{programme.pk}").inner_text()
    assert "Could we start with delegation?" in page.locator(
        f"#messages-{programme.pk}").inner_text()
    assert_no_violations(axe, page, "the coachee's home with a goal and a message")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    context.close()

    session = Session.objects.get(engagement=programme, status=EventStatus.SCHEDULED)
    assert session.starts_at == dt.datetime(2026, 4, 10, 8, 30, tzinfo=dt.UTC)
    programme.refresh_from_db()
    assert programme.progress == Progress.ON_TRACK

    coach_page = signed_in_page(coach, viewport=viewport)
    coach_page.goto("/")
    coach_page.get_by_role("heading", name="My coachees").wait_for()
    row = coach_page.locator(f"#engagement-{programme.pk}")
    assert "Fri 10 Apr, 09:30" in row.inner_text()
    assert row.get_by_text("On Track", exact=True).count() == 1
    assert_no_violations(axe, coach_page, "the coach's home")
    # The goal and the message on the engagement's page, one click away.
    row.get_by_role("link", name=str(programme.coachee), exact=True).click()
    assert "Delegate the weekly report" in coach_page.locator(
        f"#goals-{programme.pk}").inner_text()
    assert "Could we start with delegation?" in coach_page.locator(
        f"#messages-{programme.pk}").inner_text()


@pytest.mark.parametrize("role", ["coachee", "coach", "location_admin", "global_admin",
                                  "provider_admin"])
def test_each_roles_home_at_both_sizes(role, roles, programme, signed_in_page, axe,
                                       screenshot, first_of_april):
    # Scheduled as the coach would: on track again at once.
    actions.do_schedule_session(programme, by=roles["coach"],
                                starts_at=dt.datetime(2026, 4, 8, 9, tzinfo=dt.UTC))
    # A goal and a short thread, as the coachee's home shows them.
    actions.do_add_goal(programme, by=programme.coachee, title="Delegate the weekly report",
                        detail="Hand it over by the end of May.")
    actions.do_post_message(programme, by=programme.coach,
                            body="Bring the weekly report on Wednesday: we will start there.")
    actions.do_post_message(programme, by=programme.coachee, body="Will do, thank you!")
    for size, viewport in (("laptop", LAPTOP), ("phone", PHONE)):
        page = signed_in_page(roles[role], viewport=viewport)
        page.goto("/")
        page.locator("h1").wait_for()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), (
            f"{role}'s home scrolls sideways at {size}")
        assert_no_violations(axe, page, f"{role}'s home at {size}")
        screenshot(page, f"home-{role.replace('_', '-')}-{size}")
