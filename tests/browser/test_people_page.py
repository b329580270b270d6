"""
In a real browser: an administrator finds the People page in the navigation, invites a
coachee, sees them on the list as invited, and opens their page with the invitation's expiry;
the same pages on a 390 px phone.
"""

import pytest
from django.core import mail

from accounts.models import User
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def company_people(owner_company, location, other_location, engagement):
    factories.UserFactory(company=owner_company, full_name="Rita Record",
                          email="rita@acme.test", status=User.Status.INTERNAL_RECORD,
                          location=location)
    factories.UserFactory(company=owner_company, full_name="Ivo Invited",
                          email="ivo@acme.test", status=User.Status.INVITED, is_coach=True,
                          location=other_location)
    factories.UserFactory(company=owner_company, full_name="Gina Gone",
                          email="gina@acme.test", status=User.Status.INACTIVE)


def test_an_administrator_invites_a_coachee(signed_in_page, global_admin, company_people,
                                            location, screenshot):
    page = signed_in_page(global_admin, viewport={"width": 1366, "height": 900})
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="People").click()
    page.get_by_role("heading", name="People").wait_for()
    assert page.locator("#people-table").get_by_text("Rita Record").count() == 1
    screenshot(page, "people-list")

    page.get_by_role("link", name="Invite or add a person").click()
    page.get_by_label("Name").fill("Nia Newcomer")
    page.get_by_label("Email").fill("nia@acme.test")
    page.get_by_label("Coachee").check()
    page.get_by_label("Location", exact=True).select_option(label="London")
    screenshot(page, "people-invite")
    page.get_by_role("button", name="Invite by email").click()

    page.get_by_text("Nia Newcomer is invited").wait_for()
    assert page.locator("#person-status").inner_text() == "Invited"
    assert "works until" in page.locator("#invitation-expiry").inner_text()
    screenshot(page, "person-page")
    person = User.objects.get(email="nia@acme.test")
    assert person.status == User.Status.INVITED and person.location == location
    assert [message.to for message in mail.outbox] == [["nia@acme.test"]]

    page.goto("/people/?q=newcomer")
    assert page.locator("#people-table tbody tr").count() == 1
    assert page.locator("#people-table").get_by_text("Invited").count() == 1


def test_the_people_pages_fit_a_phone(signed_in_page, global_admin, company_people,
                                      screenshot):
    page = signed_in_page(global_admin, viewport={"width": 390, "height": 844})
    for path in ("/people/", "/people/add/", "/people/import/", "/people/locations/"):
        page.goto(path)
        # Nothing wider than the screen but the table, which scrolls inside its own box.
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= 390, (path, overflow)
    page.goto("/people/")
    screenshot(page, "people-list-phone")
