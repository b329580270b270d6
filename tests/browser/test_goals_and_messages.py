"""
In a real browser: a coachee adds a goal and sends a message from the engagement page; their
coach signs in, sees both, marks the goal achieved and answers. axe-core finds nothing on the
page for either of them, on a laptop and on a phone; after the end the sections read only.
"""

import datetime as dt

import pytest

from engagements import actions
from engagements.models import Goal, Message
from notifications.models import MessageNotice
from tests import factories
from tests.browser.test_accessibility import assert_no_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport, suffix", [
    ({"width": 1366, "height": 900}, ""), ({"width": 390, "height": 844}, "-phone")])
def test_a_coachee_adds_a_goal_and_sends_a_message_and_the_coach_sees_both(
        signed_in_page, coachee, coach, engagement, axe, screenshot, first_of_april, viewport,
        suffix):
    # A session booked, as in a real engagement: the page shows its goals and thread beside it.
    factories.SessionFactory(engagement=engagement,
                             starts_at=dt.datetime(2026, 4, 8, 9, tzinfo=dt.UTC))
    url = f"/engagements/{engagement.pk}/"
    page = signed_in_page(coachee, viewport=viewport)
    page.goto(url)
    goals = page.locator(f"#goals-{engagement.pk}")
    goals.get_by_label("Goal").fill("Delegate the weekly report")
    goals.get_by_label("Details (optional)").fill("By the end of May.")
    goals.get_by_role("button", name="Add goal").click()
    page.get_by_text("Goal added.").wait_for()
    thread = page.locator(f"#messages-{engagement.pk}")
    thread.get_by_label("Message").fill("Could we meet on Friday instead?")
    thread.get_by_role("button", name="Send message").click()
    page.get_by_text("Message sent.").wait_for()
    assert "Could we meet on Friday instead?" in page.locator(
        f"#messages-{engagement.pk}").inner_text()
    assert_no_violations(axe, page, f"the engagement page as its coachee{suffix}")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    screenshot(page, f"engagement-goals-messages{suffix}")

    coach_page = signed_in_page(coach, viewport=viewport)
    coach_page.goto(url)
    goals = coach_page.locator(f"#goals-{engagement.pk}")
    assert "Delegate the weekly report" in goals.inner_text()
    assert "Could we meet on Friday instead?" in coach_page.locator(
        f"#messages-{engagement.pk}").inner_text()
    goals.get_by_role("button", name="Mark “Delegate the weekly report” achieved").click()
    coach_page.get_by_text("Goal marked achieved.").wait_for()
    assert "Achieved 1 Apr 2026" in coach_page.locator(f"#goals-{engagement.pk}").inner_text()
    thread = coach_page.locator(f"#messages-{engagement.pk}")
    thread.get_by_label("Message").fill("Friday at 10 works.")
    thread.get_by_role("button", name="Send message").click()
    coach_page.get_by_text("Message sent.").wait_for()
    assert_no_violations(axe, coach_page, f"the engagement page as its coach{suffix}")

    goal = Goal.objects.get()
    assert goal.created_by == coachee and goal.achieved_by == coach
    assert list(Message.objects.values_list("author_id", flat=True)) == [coachee.pk, coach.pk]
    # The coach answered: the email about the coachee's message is moot; the coachee's waits.
    assert set(MessageNotice.objects.filter(recipient=coach).values_list(
        "status", flat=True)) == {"cancelled"}
    assert MessageNotice.objects.filter(recipient=coachee, status="pending").count() == 1


def test_after_the_end_the_sections_read_only(signed_in_page, coachee, global_admin, engagement,
                                              axe, first_of_april):
    actions.do_add_goal(engagement, by=coachee, title="Lead the Q2 planning")
    actions.do_post_message(engagement, by=coachee, body="Thank you for everything")
    actions.do_mark_complete(engagement, by=global_admin)
    page = signed_in_page(coachee, viewport={"width": 1366, "height": 900})
    page.goto(f"/engagements/{engagement.pk}/")
    text = page.locator(f"#goals-{engagement.pk}").inner_text()
    assert "Lead the Q2 planning" in text and "nothing new can be added" in text
    assert "Thank you for everything" in page.locator(f"#messages-{engagement.pk}").inner_text()
    assert page.get_by_role("button", name="Add goal").count() == 0
    assert page.get_by_role("button", name="Send message").count() == 0
    assert_no_violations(axe, page, "an ended engagement's page as its coachee")


@pytest.mark.parametrize("viewport, suffix", [
    ({"width": 1366, "height": 900}, ""), ({"width": 390, "height": 844}, "-phone")])
def test_a_form_sent_blank_from_my_coaching_comes_back_there_with_its_error_and_the_text(
        signed_in_page, coachee, engagement, axe, screenshot, first_of_april, viewport, suffix):
    # Spaces pass the browser's `required` check; the server strips them: a form error.
    page = signed_in_page(coachee, viewport=viewport)
    page.goto("/")
    goals = page.locator(f"#goals-{engagement.pk}")
    goals.get_by_label("Goal").fill("   ")
    goals.get_by_label("Details (optional)").fill("By the end of May.")
    goals.get_by_role("button", name="Add goal").click()

    page.get_by_role("heading", name="My coaching").wait_for()
    goals = page.locator(f"#goals-{engagement.pk}")
    assert "This field is required." in goals.inner_text()
    assert goals.get_by_label("Details (optional)").input_value() == "By the end of May."
    title = goals.get_by_label("Goal")
    # The page opens on the field to correct, on a phone too.
    assert title.evaluate("el => el === document.activeElement")
    assert title.evaluate("el => { const r = el.getBoundingClientRect();"
                          " return r.top >= 0 && r.bottom <= window.innerHeight; }")
    assert_no_violations(axe, page, f"My coaching with a goal's error{suffix}")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    screenshot(page, f"my-coaching-goal-error{suffix}")

    title.fill("Delegate the weekly report")
    goals.get_by_role("button", name="Add goal").click()
    page.get_by_text("Goal added.").wait_for()
    assert page.url.endswith(f"/#goals-{engagement.pk}")
    assert Goal.objects.get().detail == "By the end of May."

    thread = page.locator(f"#messages-{engagement.pk}")
    thread.get_by_label("Message").fill(" \n ")
    thread.get_by_role("button", name="Send message").click()
    page.get_by_role("heading", name="My coaching").wait_for()
    thread = page.locator(f"#messages-{engagement.pk}")
    assert "This field is required." in thread.inner_text()
    assert thread.get_by_label("Message").evaluate("el => el === document.activeElement")
    assert not Message.objects.exists()
