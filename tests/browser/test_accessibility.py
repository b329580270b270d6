"""
axe-core (through axe-playwright-python, which ships axe.min.js: no CDN) on every page, for
every role of tests/conftest.py, at a laptop's width; and on the main pages at a phone's,
with the menu and the filters opened so that what they hide is checked too. Any violation
fails the test, listed with its rule, impact and the elements it found.
"""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from engagements.models import Engagement, Progress
from notifications.tokens import make_unsubscribe_token
from tests import factories
from tracking.models import ProgressTransition

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 800}
PHONE = {"width": 390, "height": 844}


def assert_no_violations(axe, page, where):
    results = axe.run(page)
    violations = results.response["violations"]
    report = "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']}\n"
        + "\n".join(f"    {node['target']}: {node.get('failureSummary', '')[:200]}"
                    for node in v["nodes"][:5])
        for v in violations
    )
    assert not violations, f"axe found violations on {where}:\n{report}"


@pytest.fixture
def programme(owner_company, location, global_admin, engagement, coach, coachee):
    """The standing engagement with sessions and history, one off track, one ended early."""
    Engagement.objects.filter(pk=engagement.pk).update(
        progress=Progress.ON_TRACK, last_activity_on=dt.date(2026, 3, 10),
        next_event_on=dt.date(2026, 4, 8))
    factories.SessionFactory(engagement=engagement)
    ProgressTransition.objects.create(
        engagement=engagement, company=owner_company, from_status=Progress.NOT_TRACKED,
        to_status=Progress.ON_TRACK, day=dt.date(2026, 3, 2),
        cause=ProgressTransition.Cause.LAUNCH)
    off = factories.EngagementFactory(
        company=owner_company, location=location, owner=global_admin, coach=coach,
        coachee=factories.UserFactory(company=owner_company, full_name="Olga Offtrack"),
        progress=Progress.OFF_TRACK, off_track_since=dt.date(2026, 3, 23))
    ended = factories.EngagementFactory(
        company=owner_company, location=location, owner=global_admin, coach=coach,
        coachee=factories.UserFactory(company=owner_company, full_name="Erin Ended"),
        ended_early=True)
    return {"engagement": engagement, "off": off, "ended": ended}


@pytest.fixture
def spring():
    with time_machine.travel(dt.datetime(2026, 3, 27, 9, tzinfo=dt.UTC)):
        yield


def pages_for(role, programme):
    """The pages a role reaches (others answer 403/404, whose pages are checked too)."""
    engagement, ended = programme["engagement"], programme["ended"]
    template = engagement.template
    common = ["/", "/engagements/", "/engagements/?include_completed=on",
              reverse("engagements:detail", args=[engagement.pk]),
              reverse("engagements:detail", args=[ended.pk]),
              "/reports/", "/settings/", "/help/"]
    admin = ["/templates/", reverse("templates_app:launch", args=[template.pk]),
             reverse("engagements:end_early", args=[engagement.pk]),
             reverse("engagements:mark_complete", args=[engagement.pk]),
             "/engagements/ready-to-complete/",
             "/reports/?progress=off_track&off_track_since_after=2026-03-01"]
    admin += ["/people/", "/people/add/", "/people/import/", "/people/locations/",
              reverse("people:detail", args=[engagement.coachee_id])]
    global_only = ["/templates/new/", reverse("templates_app:edit", args=[template.pk]),
                   reverse("reports:billing")]
    if role == "global_admin":
        return common + admin + global_only
    if role == "location_admin":
        return common + admin
    return common


@pytest.mark.parametrize("role", ["global_admin", "location_admin", "coach", "provider_admin",
                                  "coachee", "other_admin"])
def test_every_page_passes_axe_for_every_role(role, roles, programme, signed_in_page, axe,
                                              spring):
    page = signed_in_page(roles[role], viewport=LAPTOP)
    for url in pages_for(role, programme):
        page.goto(url)
        assert_no_violations(axe, page, f"{url} as {role}")


def test_pages_without_signing_in_pass_axe(browser, live_server, programme, coachee, axe,
                                           spring):
    context = browser.new_context(base_url=live_server.url, viewport=LAPTOP)
    page = context.new_page()
    token = make_unsubscribe_token(coachee, "coachee")
    for url in ["/accounts/sign-in/", "/accounts/password-reset/",
                "/accounts/password-reset/sent/", "/accounts/invitation/MQ/bad-token/",
                f"/unsubscribe/{token}/", "/unsubscribe/not-a-token/", "/help/",
                "/no-such-page/"]:
        page.goto(url)
        assert_no_violations(axe, page, f"{url} signed out")
    # A form sent with errors shows them accessibly too.
    page.goto("/accounts/sign-in/")
    page.get_by_label("Email").fill("nobody@acme.test")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert_no_violations(axe, page, "sign-in with errors")
    context.close()


@pytest.mark.parametrize("role", ["global_admin", "coach", "coachee"])
def test_main_pages_pass_axe_on_a_phone_with_menu_and_filters_open(
        role, roles, programme, signed_in_page, axe, spring):
    page = signed_in_page(roles[role], viewport=PHONE)
    urls = ["/", "/engagements/", reverse("engagements:detail",
                                          args=[programme["engagement"].pk]), "/help/"]
    if role != "coachee":
        urls.append("/reports/")
    for url in urls:
        page.goto(url)
        page.get_by_role("button", name="Menu").click()
        filters = page.locator(".filters-button")
        if filters.count():
            filters.click()
        tips = page.locator("details.progress-legend summary")
        if tips.count():
            tips.first.click()
        assert_no_violations(axe, page, f"{url} as {role} on a phone")


def test_the_progress_tip_opens_with_the_keyboard_and_passes_axe(
        global_admin, programme, signed_in_page, axe, spring):
    page = signed_in_page(global_admin, viewport=LAPTOP)
    page.goto("/engagements/")
    tip = page.locator("#engagements-table thead details.tip")
    tip.locator("summary").focus()
    page.keyboard.press("Enter")
    assert tip.get_attribute("open") is not None
    assert tip.get_by_text("Not tracked").is_visible()
    assert_no_violations(axe, page, "the Engagements page with the progress tip open")
    page.keyboard.press("Escape")
    assert tip.get_attribute("open") is None


def test_skip_to_results_is_the_first_tab_stop_of_a_list(global_admin, programme,
                                                        signed_in_page, spring):
    page = signed_in_page(global_admin, viewport=LAPTOP)
    page.goto("/engagements/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Skip to results"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "results"
