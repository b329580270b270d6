"""accounts/actions.py: each change to people and locations, per role."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse

from accounts import actions
from accounts.models import AccountEvent, Company, Location, User
from accounts.people import Role, people_for
from engagements.models import Engagement
from tests import factories

NOW = dt.datetime(2026, 3, 20, 10, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


# -- the gate ---------------------------------------------------------------------------


def test_a_global_admin_sees_every_person_of_the_company_and_nobody_else(
        global_admin, engagement, coachee, location_admin, other_admin, coach):
    record = factories.UserFactory(company=global_admin.company,
                                   status=User.Status.INTERNAL_RECORD)
    invited = factories.UserFactory(company=global_admin.company, status=User.Status.INVITED)
    inactive = factories.UserFactory(company=global_admin.company, status=User.Status.INACTIVE)
    seen = set(people_for(global_admin))
    assert {global_admin, coachee, location_admin, record, invited, inactive} <= seen
    assert other_admin not in seen
    assert coach not in seen  # the provider's coach belongs to Coachly


def test_a_location_admin_sees_the_people_of_their_locations(
        location_admin, other_location_admin, engagement, coachee, location, other_location,
        global_admin):
    at_home = factories.UserFactory(company=location.company, location=location)
    elsewhere = factories.UserFactory(company=location.company, location=other_location)
    london = set(people_for(location_admin))
    assert {coachee, at_home} <= london  # the coachee through the London engagement
    assert elsewhere not in london
    assert global_admin not in london
    assert coachee not in set(people_for(other_location_admin))
    assert elsewhere in set(people_for(other_location_admin))


@pytest.mark.parametrize("role", ["coach", "coachee", "anonymous"])
def test_nobody_else_sees_anyone(roles, engagement, role):
    from django.contrib.auth.models import AnonymousUser

    user = roles[role] or AnonymousUser()
    assert not people_for(user).exists()


# -- inviting and adding ------------------------------------------------------------------


def test_inviting_a_coachee_creates_them_at_once_and_emails_the_link(global_admin, location):
    person = actions.add_person(by=global_admin, email=" New.Person@Acme.test ",
                                full_name="Nia New", role=Role.COACHEE, location=location)
    person.refresh_from_db()
    assert person.email == "new.person@acme.test"
    assert person.status == User.Status.INVITED
    assert person.company == global_admin.company
    assert person.location == location
    assert person.invited_at == NOW
    assert not person.has_usable_password()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new.person@acme.test"]
    assert "/accounts/invitation/" in mail.outbox[0].body
    event = AccountEvent.objects.get(person=person)
    assert event.action == AccountEvent.Action.INVITED and event.actor == global_admin


def test_invited_coach_and_administrators_get_their_roles(global_admin, location):
    coach = actions.add_person(by=global_admin, email="c@acme.test", full_name="C",
                               role=Role.COACH)
    admin = actions.add_person(by=global_admin, email="a@acme.test", full_name="A",
                               role=Role.ADMINISTRATOR)
    local = actions.add_person(by=global_admin, email="l@acme.test", full_name="L",
                               role=Role.LOCATION_ADMINISTRATOR, admin_locations=[location])
    assert coach.is_coach and not coach.is_global_admin
    assert admin.is_global_admin
    assert list(local.administered_locations.all()) == [location]
    assert len(mail.outbox) == 3


def test_an_internal_record_is_added_without_an_email_and_invited_later(global_admin):
    person = actions.add_person(by=global_admin, email="rec@acme.test", full_name="Rec Ord",
                                invite=False)
    assert person.status == User.Status.INTERNAL_RECORD
    assert not mail.outbox
    actions.invite(person, by=global_admin)
    person.refresh_from_db()
    assert person.status == User.Status.INVITED and person.invited_at == NOW
    assert len(mail.outbox) == 1
    # Sent again: a new email, a new date.
    with time_machine.travel(NOW + dt.timedelta(days=5), tick=False):
        actions.invite(person, by=global_admin)
    person.refresh_from_db()
    assert person.invited_at == NOW + dt.timedelta(days=5)
    assert len(mail.outbox) == 2
    assert list(AccountEvent.objects.filter(person=person).values_list("action", flat=True)
                .order_by("pk")) == ["added", "invited", "invitation_resent"]


def test_only_coachees_are_added_without_an_invitation(global_admin):
    with pytest.raises(actions.PeopleActionRefused):
        actions.add_person(by=global_admin, email="x@acme.test", full_name="X",
                           role=Role.COACH, invite=False)


def test_an_email_in_use_anywhere_is_refused_without_saying_whose(global_admin, other_admin):
    with pytest.raises(actions.PeopleActionRefused, match="already in use"):
        actions.add_person(by=global_admin, email="ADMIN@globex.test", full_name="X")


def test_a_location_admin_adds_coachees_and_coaches_to_their_locations_only(
        location_admin, location, other_location):
    person = actions.add_person(by=location_admin, email="p@acme.test", full_name="P",
                                location=location)
    assert person in people_for(location_admin, "manage")
    with pytest.raises(actions.PeopleActionRefused):
        actions.add_person(by=location_admin, email="q@acme.test", full_name="Q",
                           location=other_location)
    with pytest.raises(actions.PeopleActionRefused):
        actions.add_person(by=location_admin, email="r@acme.test", full_name="R")
    with pytest.raises(PermissionDenied):
        actions.add_person(by=location_admin, email="s@acme.test", full_name="S",
                           role=Role.ADMINISTRATOR, location=location)


@pytest.mark.parametrize("role", ["coach", "coachee"])
def test_who_administers_nobody_adds_nobody(roles, role):
    with pytest.raises(PermissionDenied):
        actions.add_person(by=roles[role], email="z@acme.test", full_name="Z")


def test_an_archived_location_is_not_offered(global_admin, location):
    actions.archive_location(location, by=global_admin)
    with pytest.raises(actions.PeopleActionRefused):
        actions.add_person(by=global_admin, email="z@acme.test", full_name="Z",
                           location=location)


# -- deactivating -------------------------------------------------------------------------


def test_a_deactivated_person_keeps_their_engagements_and_comes_back_as_they_were(
        global_admin, engagement, coachee):
    actions.deactivate(coachee, by=global_admin)
    coachee.refresh_from_db()
    assert coachee.status == User.Status.INACTIVE and not coachee.is_active
    assert Engagement.objects.filter(pk=engagement.pk, coachee=coachee,
                                     status=Engagement.Status.ACTIVE).exists()
    actions.reactivate(coachee, by=global_admin)
    coachee.refresh_from_db()
    assert coachee.status == User.Status.ACTIVE  # they had set a password


def test_reactivating_an_internal_record_or_an_invited_person(global_admin):
    record = actions.add_person(by=global_admin, email="r@acme.test", full_name="R",
                                invite=False)
    invited = actions.add_person(by=global_admin, email="i@acme.test", full_name="I")
    for person in (record, invited):
        actions.deactivate(person, by=global_admin)
        actions.reactivate(person, by=global_admin)
    record.refresh_from_db()
    invited.refresh_from_db()
    assert record.status == User.Status.INTERNAL_RECORD
    assert invited.status == User.Status.INVITED


def test_nobody_deactivates_themselves(global_admin):
    with pytest.raises(actions.PeopleActionRefused):
        actions.deactivate(global_admin, by=global_admin)


def test_a_location_admin_cannot_deactivate_an_administrator(location_admin, global_admin,
                                                            location):
    global_admin.location = location
    global_admin.save()
    with pytest.raises(PermissionDenied):
        actions.deactivate(global_admin, by=location_admin)


def test_another_companys_person_is_404_for_every_action(other_admin, coachee, engagement):
    for action in (actions.deactivate, actions.reactivate, actions.invite):
        with pytest.raises(Http404):
            action(coachee.pk, by=other_admin)
    with pytest.raises(Http404):
        actions.change_details(coachee.pk, by=other_admin, full_name="X", email="x@x.test")
    # Set roles: global administrators only, and never across companies.
    with pytest.raises(Http404):
        actions.set_roles(coachee.pk, by=other_admin, is_global_admin=True)
    assert User.objects.get(pk=coachee.pk).status == User.Status.ACTIVE


def test_deactivated_people_cannot_sign_in_and_lose_their_session(client, global_admin,
                                                                 coachee):
    client.force_login(coachee, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get(reverse("home")).status_code == 200
    actions.deactivate(coachee, by=global_admin)
    assert client.get(reverse("home")).status_code == 302  # signed out: to sign in
    client.logout()
    response = client.post(reverse("accounts:login"),
                           {"username": coachee.email,
                            "password": "correct horse battery staple"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


# -- details and roles --------------------------------------------------------------------


def test_changing_an_invited_persons_email_invites_them_at_the_new_address(global_admin):
    person = actions.add_person(by=global_admin, email="old@acme.test", full_name="Old")
    actions.change_details(person, by=global_admin, full_name="New Name",
                           email="new@acme.test")
    person.refresh_from_db()
    assert (person.full_name, person.email) == ("New Name", "new@acme.test")
    assert [m.to for m in mail.outbox] == [["old@acme.test"], ["new@acme.test"]]
    event = AccountEvent.objects.filter(person=person,
                                        action=AccountEvent.Action.DETAILS_CHANGED).get()
    assert event.changes["email"] == ["old@acme.test", "new@acme.test"]


def test_roles_are_set_by_global_admins_of_the_enterprise_plan(global_admin, coachee, location,
                                                              location_admin):
    actions.set_roles(coachee, by=global_admin, is_global_admin=False,
                      admin_locations=[location])
    assert list(coachee.administered_locations.all()) == [location]
    actions.set_roles(coachee, by=global_admin, is_global_admin=True)
    coachee.refresh_from_db()
    assert coachee.is_global_admin and not coachee.administered_locations.exists()
    with pytest.raises(actions.PeopleActionRefused):
        actions.set_roles(global_admin, by=global_admin, is_global_admin=False)
    other = factories.UserFactory(company=location.company, location=location)
    with pytest.raises(PermissionDenied):
        actions.set_roles(other, by=location_admin, is_global_admin=True)


def test_location_administrators_are_an_enterprise_feature(db):
    company = factories.CompanyFactory(plan=Company.Plan.STANDARD)
    admin = factories.AdminFactory(company=company)
    person = factories.UserFactory(company=company)
    place = Location.objects.create(company=company, name="Somewhere")
    with pytest.raises(actions.PeopleActionRefused):
        actions.set_roles(person, by=admin, is_global_admin=False, admin_locations=[place])
    actions.set_roles(person, by=admin, is_global_admin=True)  # global ones: any plan
    with pytest.raises(PermissionDenied):
        actions.create_location(by=admin, name="Elsewhere")


# -- locations ----------------------------------------------------------------------------


def test_locations_are_created_renamed_archived_and_restored(global_admin, location,
                                                            engagement):
    created = actions.create_location(by=global_admin, name="Paris")
    with pytest.raises(actions.PeopleActionRefused):
        actions.create_location(by=global_admin, name="paris")
    actions.rename_location(created, by=global_admin, name="Paris Nord")
    actions.archive_location(location, by=global_admin)
    location.refresh_from_db()
    assert location.is_archived
    assert list(Location.objects.filter(company=global_admin.company).active()) == [
        Location.objects.get(name="Paris Nord")]
    # History stays: the engagement keeps its location.
    assert Engagement.objects.get(pk=engagement.pk).location == location
    actions.restore_location(location, by=global_admin)
    location.refresh_from_db()
    assert not location.is_archived
    assert AccountEvent.objects.filter(company=global_admin.company).count() == 4


def test_another_companys_location_is_404(global_admin, db):
    foreign = Location.objects.create(company=factories.CompanyFactory(
        plan=Company.Plan.ENTERPRISE), name="Foreign")
    with pytest.raises(Http404):
        actions.rename_location(foreign, by=global_admin, name="Mine")
    with pytest.raises(Http404):
        actions.archive_location(foreign.pk, by=global_admin)


def test_a_deactivated_invitees_link_stops_working(client, global_admin):
    person = actions.add_person(by=global_admin, email="late@acme.test", full_name="Late")
    link = mail.outbox[0].body.split("https://optify.test", 1)[1].split()[0]
    assert client.get(link).status_code == 200
    actions.deactivate(person, by=global_admin)
    assert client.get(link).status_code == 400
    response = client.post(link, {"new_password1": "a long enough pass 42",
                                  "new_password2": "a long enough pass 42"})
    assert response.status_code == 400
    person.refresh_from_db()
    assert person.status == User.Status.INACTIVE and not person.has_usable_password()
