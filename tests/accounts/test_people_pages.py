"""The People pages: the list, its filters and search, adding, editing, roles, locations."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from accounts import actions
from accounts.models import Location, User
from engagements.models import Engagement
from notifications.models import Nudge
from tests import factories
from tracking.evaluation import Cause, evaluate_engagement
from tracking.jobs import run_daily_evaluation

NOW = dt.datetime(2026, 3, 20, 10, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def rows(response):
    return {row.record.email for row in response.context["table"].page.object_list}


@pytest.fixture
def people(owner_company, location, other_location):
    return {
        "record": factories.UserFactory(company=owner_company, email="record@acme.test",
                                        full_name="Rita Record",
                                        status=User.Status.INTERNAL_RECORD, location=location),
        "invited": factories.UserFactory(company=owner_company, email="invited@acme.test",
                                         full_name="Ivan Invited", status=User.Status.INVITED,
                                         is_coach=True, location=other_location),
        "gone": factories.UserFactory(company=owner_company, email="gone@acme.test",
                                      full_name="Gina Gone", status=User.Status.INACTIVE),
    }


def test_the_list_shows_every_person_of_the_company_by_default(
        client_for, global_admin, engagement, people, other_admin, coach):
    response = client_for(global_admin).get(reverse("people:list"))
    assert response.status_code == 200
    shown = rows(response)
    assert {"record@acme.test", "invited@acme.test", "gone@acme.test", "coachee@acme.test",
            "admin@acme.test"} <= shown
    assert "admin@globex.test" not in shown
    assert "coach@coachly.test" not in shown  # coaches Acme's engagement, but is Coachly's
    assert b"Rita Record" in response.content and b"Internal record" in response.content


def test_a_location_admin_lists_the_people_of_their_locations(client_for, location_admin,
                                                             engagement, people):
    shown = rows(client_for(location_admin).get(reverse("people:list")))
    assert "record@acme.test" in shown and "coachee@acme.test" in shown
    assert "invited@acme.test" not in shown  # Leeds
    assert "admin@acme.test" not in shown


@pytest.mark.parametrize(("query", "expected"), [
    ("role=coach", {"invited@acme.test"}),
    ("role=administrator", {"admin@acme.test"}),
    ("role=location_administrator", {"london@acme.test"}),
    ("status=internal_record", {"record@acme.test"}),
    ("status=inactive&status=invited", {"gone@acme.test", "invited@acme.test"}),
    ("q=RITA", {"record@acme.test"}),
    ("q=invited@acme", {"invited@acme.test"}),
])
def test_filters_and_search(client_for, global_admin, location_admin, engagement, people,
                            query, expected):
    response = client_for(global_admin).get(reverse("people:list") + "?" + query)
    assert response.status_code == 200
    assert rows(response) == expected


def test_the_coachee_filter_and_the_location_filter(client_for, global_admin, engagement,
                                                   people, location):
    client = client_for(global_admin)
    coachees = rows(client.get(reverse("people:list") + "?role=coachee"))
    assert {"coachee@acme.test", "record@acme.test", "gone@acme.test"} <= coachees
    assert "invited@acme.test" not in coachees and "admin@acme.test" not in coachees
    london = rows(client.get(reverse("people:list") + f"?location={location.pk}"))
    assert {"record@acme.test", "coachee@acme.test"} <= london
    assert "invited@acme.test" not in london


def test_bad_filter_input_is_shown_not_a_500(client_for, global_admin):
    response = client_for(global_admin).get(reverse("people:list") + "?status=nope&location=x"
                                            "&per_page=99999999&page=-1&sort=bogus")
    assert response.status_code == 200


def test_the_list_costs_the_same_few_queries_whatever_the_number_of_people(
        client_for, global_admin, engagement, owner_company, django_assert_max_num_queries):
    factories.UserFactory.create_batch(40, company=owner_company)
    client = client_for(global_admin)
    client.get(reverse("people:list"))  # warm: the session, the user
    # session, user, administered locations, the page of people (+1 row to know whether
    # there is a next one; roles are Exists() columns of it), the location filter's
    # choices, the Columns control's nothing (a preference on the user), savepoints.
    with django_assert_max_num_queries(8):
        response = client.get(reverse("people:list") + "?per_page=25")
    assert len(response.context["table"].page.object_list) == 25


def test_the_people_page_is_in_the_navigation_for_administrators_only(client_for,
                                                                     global_admin, coachee):
    assert b'href="/people/"' in client_for(global_admin).get(reverse("home")).content
    assert b'href="/people/"' not in client_for(coachee).get(reverse("home")).content


def test_inviting_from_the_page(client_for, global_admin, location):
    client = client_for(global_admin)
    response = client.post(reverse("people:add"), {
        "full_name": "Nia New", "email": "nia@acme.test", "role": "coachee",
        "location": location.pk, "invite": "1"})
    person = User.objects.get(email="nia@acme.test")
    assert response.status_code == 302 and response.url == reverse("people:detail",
                                                                   args=[person.pk])
    assert person.status == User.Status.INVITED
    assert len(mail.outbox) == 1
    page = client.get(response.url)
    assert b"is invited" in page.content
    assert b"works until 23 Mar 2026" in page.content  # the link's expiry, 3 days on
    assert b"Send the invitation again" in page.content


def test_adding_an_internal_record_from_the_page(client_for, global_admin):
    response = client_for(global_admin).post(reverse("people:add"), {
        "full_name": "Rob Record", "email": "rob@acme.test", "role": "coachee",
        "add_record": "1"})
    assert response.status_code == 302
    assert User.objects.get(email="rob@acme.test").status == User.Status.INTERNAL_RECORD
    assert not mail.outbox


def test_the_add_form_says_what_is_wrong(client_for, global_admin, other_admin):
    response = client_for(global_admin).post(reverse("people:add"), {
        "full_name": "X", "email": "admin@globex.test", "role": "coachee", "invite": "1"})
    assert response.status_code == 400
    assert b"already in use" in response.content


def test_a_location_admin_is_offered_coachee_and_coach_only(client_for, location_admin):
    form = client_for(location_admin).get(reverse("people:add")).context["form"]
    assert [value for value, _ in form.fields["role"].choices] == ["coachee", "coach"]
    assert form.fields["location"].required


def test_editing_deactivating_and_reactivating_from_the_pages(client_for, global_admin,
                                                             coachee, engagement):
    client = client_for(global_admin)
    response = client.post(reverse("people:edit", args=[coachee.pk]), {
        "full_name": "Cole C. Coachee", "email": "cole@acme.test",
        "location": engagement.location_id})
    assert response.status_code == 302
    coachee.refresh_from_db()
    assert (coachee.full_name, coachee.email) == ("Cole C. Coachee", "cole@acme.test")
    client.post(reverse("people:deactivate", args=[coachee.pk]))
    coachee.refresh_from_db()
    assert coachee.status == User.Status.INACTIVE
    page = client.get(reverse("people:detail", args=[coachee.pk]))
    assert b"Deactivated." in page.content and b"Reactivate" in page.content
    client.post(reverse("people:reactivate", args=[coachee.pk]))
    coachee.refresh_from_db()
    assert coachee.status == User.Status.ACTIVE


def test_roles_page(client_for, global_admin, coachee, location):
    client = client_for(global_admin)
    assert client.get(reverse("people:roles", args=[coachee.pk])).status_code == 200
    response = client.post(reverse("people:roles", args=[coachee.pk]),
                           {"admin_locations": [location.pk]})
    assert response.status_code == 302
    assert list(coachee.administered_locations.all()) == [location]


def test_locations_pages(client_for, global_admin, location):
    client = client_for(global_admin)
    assert client.post(reverse("people:locations"), {"name": "Paris"}).status_code == 302
    paris = Location.objects.get(name="Paris")
    client.post(reverse("people:location_edit", args=[paris.pk]), {"name": "Lyon"})
    client.post(reverse("people:location_archive", args=[location.pk]))
    page = client.get(reverse("people:locations"))
    assert b"Lyon" in page.content and b"Archived" in page.content
    # Archived: gone from the pickers (people, engagements), kept in the People filter.
    add_form = client.get(reverse("people:add")).context["form"]
    assert list(add_form.fields["location"].queryset) == [Location.objects.get(name="Lyon")]
    filters = client.get(reverse("people:list")).context["filter_form"]
    assert location in filters.fields["location"].queryset


def test_a_guessed_person_or_location_of_another_company_is_404(client_for, other_admin,
                                                               coachee, global_admin, location):
    client = client_for(other_admin)
    for name in ("people:detail", "people:edit"):
        assert client.get(reverse(name, args=[coachee.pk])).status_code == 404, name
    for name in ("people:invite", "people:deactivate", "people:reactivate"):
        assert client.post(reverse(name, args=[coachee.pk])).status_code == 404, name
    # An Enterprise company's administrator guessing another Enterprise company's location.
    other = factories.CompanyFactory(slug="initech", plan="enterprise")
    admin = factories.AdminFactory(company=other)
    client = client_for(admin)
    assert client.get(reverse("people:location_edit", args=[location.pk])).status_code == 404
    assert client.post(reverse("people:location_archive",
                               args=[location.pk])).status_code == 404
    assert User.objects.get(pk=coachee.pk).status == User.Status.ACTIVE


# -- nudges -------------------------------------------------------------------------------


def test_deactivated_people_and_internal_records_are_never_nudged(
        owner_company, location, global_admin, coachee, coach):
    record = actions.add_person(by=global_admin, email="rec@acme.test", full_name="Rec",
                                invite=False, location=location)
    engagements = []
    for person in (coachee, record):
        engagement = factories.EngagementFactory(
            company=owner_company, location=location, owner=global_admin, coachee=person,
            coach=coach, started_on=dt.date(2026, 3, 2))
        engagement = Engagement.objects.select_related("company").get(pk=engagement.pk)
        evaluate_engagement(engagement, cause=Cause.LAUNCH, today=dt.date(2026, 3, 2))
        engagements.append(engagement)
    actions.deactivate(coachee, by=global_admin)

    with time_machine.travel(dt.datetime(2026, 3, 23, 7, tzinfo=dt.UTC), tick=False):
        run_daily_evaluation(owner_company, dt.date(2026, 3, 23))

    recipients = set(Nudge.objects.values_list("recipient__email", "role"))
    assert ("coachee@acme.test", "coachee") not in recipients
    assert ("rec@acme.test", "coachee") not in recipients
    assert ("coach@coachly.test", "coach") in recipients  # the rest goes on as usual


def test_an_archived_location_leaves_the_launch_form(client_for, global_admin, location,
                                                    other_location, engagement):
    actions.archive_location(location, by=global_admin)
    url = reverse("templates_app:launch", args=[engagement.template_id])
    form = client_for(global_admin).get(url).context["form"]
    assert list(form.fields["location"].queryset) == [other_location]
