"""Help where the question arises: the Help page, and the first steps of a new company."""

from django.urls import reverse

from tests import factories


def test_the_help_page_explains_the_marks_and_is_in_the_navigation(client_for, coachee):
    response = client_for(coachee).get(reverse("help"))
    html = response.content.decode()
    for text in ("On Track", "Off Track", "Paused", "- (a dash)", "30 Nov 2026"):
        assert text in html, text
    assert any(item["label"] == "Help" and item["current"]
               for item in response.context["navigation"])


def test_a_new_company_is_walked_through_template_people_launch(client_for, db):
    company = factories.CompanyFactory(name="Newco", slug="newco")
    admin = factories.AdminFactory(company=company, email="admin@newco.test")
    html = client_for(admin).get(reverse("engagements:list")).content.decode()
    assert 'id="getting-started"' in html
    assert reverse("templates_app:create") in html

    factories.EngagementTemplateFactory(company=company)
    factories.UserFactory(company=company)
    html = client_for(admin).get(reverse("home")).content.decode()
    assert 'id="getting-started"' in html and reverse("templates_app:list") in html

    factories.EngagementFactory(company=company)
    html = client_for(admin).get(reverse("engagements:list")).content.decode()
    assert 'id="getting-started"' not in html


def test_a_coach_with_nothing_yet_gets_no_administrators_steps(client_for, coach):
    html = client_for(coach).get(reverse("engagements:list")).content.decode()
    assert 'id="getting-started"' not in html
