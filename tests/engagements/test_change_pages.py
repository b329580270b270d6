"""
The engagement page keeps an engagement current: sessions and discovery calls marked held,
cancelled, moved and annotated; drafts created, edited and launched; people pickers.
"""

import datetime as dt

import pytest
from django.urls import reverse

from engagements.models import AuditEvent, Engagement, EventStatus, Progress, Session
from engagements.people import coach_candidates
from engagements.pickers import PICKER_LIMIT
from tests import factories

pytestmark = pytest.mark.usefixtures("first_of_april")


@pytest.fixture
def held(engagement):
    return factories.SessionFactory(engagement=engagement,
                                    starts_at=dt.datetime(2026, 3, 30, 8, tzinfo=dt.UTC))


@pytest.fixture
def upcoming(engagement):
    return factories.SessionFactory(engagement=engagement,
                                    starts_at=dt.datetime(2026, 4, 8, 8, tzinfo=dt.UTC))


def url(name, engagement, *args):
    return reverse(f"engagements:{name}", args=[engagement.pk, *args])


def detail(engagement):
    return url("detail", engagement)


def test_the_coach_sees_the_session_actions_next_to_each_session(
        client_for, coach, engagement, held, upcoming):
    html = client_for(coach).get(detail(engagement)).content.decode()
    assert url("complete_session", engagement, held.pk) in html
    assert url("move_session", engagement, upcoming.pk) in html
    assert url("cancel_session", engagement, upcoming.pk) in html
    assert url("session_notes", engagement, held.pk) in html
    # A session still to come cannot be marked held yet.
    assert url("complete_session", engagement, upcoming.pk) not in html


def test_readers_see_no_session_actions(client_for, coachee, provider_admin, engagement, held):
    for viewer in (coachee, provider_admin):
        html = client_for(viewer).get(detail(engagement)).content.decode()
        assert url("move_session", engagement, held.pk) not in html
        assert url("session_notes", engagement, held.pk) not in html


@pytest.mark.parametrize("role", ["coach", "global_admin", "location_admin"])
def test_a_session_marked_held_re_evaluates_at_once(role, roles, client_for, engagement, held):
    Engagement.objects.filter(pk=engagement.pk).update(
        progress=Progress.OFF_TRACK, off_track_since=dt.date(2026, 3, 23))
    response = client_for(roles[role]).post(url("complete_session", engagement, held.pk))
    assert response.status_code == 302
    held.refresh_from_db()
    assert held.status == EventStatus.COMPLETED
    engagement.refresh_from_db()
    assert engagement.progress == Progress.ON_TRACK
    assert engagement.last_activity_on == dt.date(2026, 3, 30)
    assert AuditEvent.objects.get().action == AuditEvent.Action.SESSION_COMPLETED


def test_moving_a_session_back_to_its_real_day_turns_it_off_track(
        client_for, coach, engagement, upcoming):
    client = client_for(coach)
    page = client.get(url("move_session", engagement, upcoming.pk))
    assert page.status_code == 200 and 'value="8 Apr 2026"' in page.content.decode()
    response = client.post(url("move_session", engagement, upcoming.pk),
                           {"date": "2026-03-05", "time": "09:00"})
    assert response.status_code == 302
    upcoming.refresh_from_db()
    assert upcoming.starts_at == dt.datetime(2026, 3, 5, 9, tzinfo=dt.UTC)  # GMT in March
    engagement.refresh_from_db()
    assert engagement.progress == Progress.OFF_TRACK
    assert engagement.off_track_since == dt.date(2026, 3, 26)


def test_a_move_before_the_start_is_shown_on_the_form(client_for, coach, engagement, upcoming):
    response = client_for(coach).post(url("move_session", engagement, upcoming.pk),
                                      {"date": "2026-02-01", "time": "09:00"})
    assert response.status_code == 400
    assert "started on 2 Mar 2026" in response.content.decode()


def test_cancelling_needs_a_reason_and_counts_as_activity(client_for, global_admin, engagement,
                                                         upcoming):
    client = client_for(global_admin)
    assert client.post(url("cancel_session", engagement, upcoming.pk), {}).status_code == 400
    response = client.post(url("cancel_session", engagement, upcoming.pk),
                           {"reason": "Coachee on leave"})
    assert response.status_code == 302
    upcoming.refresh_from_db()
    assert upcoming.status == EventStatus.CANCELLED
    assert upcoming.cancel_reason == "Coachee on leave"
    engagement.refresh_from_db()
    assert engagement.last_activity_on == dt.date(2026, 4, 1)
    html = client.get(detail(engagement)).content.decode()
    assert "Coachee on leave" in html


@pytest.mark.parametrize("role, code", [("coachee", 403), ("provider_admin", 403),
                                        ("other_location_admin", 404), ("other_admin", 404)])
def test_those_who_may_not_change_sessions_are_refused(role, code, roles, client_for,
                                                       engagement, held, upcoming):
    client = client_for(roles[role])
    assert client.post(url("complete_session", engagement, held.pk)).status_code == code
    assert client.post(url("move_session", engagement, upcoming.pk),
                       {"date": "2026-04-09", "time": "09:00"}).status_code == code
    assert client.post(url("cancel_session", engagement, upcoming.pk),
                       {"reason": "x"}).status_code == code
    assert not AuditEvent.objects.exists()


def test_nothing_changes_after_the_end(client_for, coach, global_admin, engagement, held,
                                       upcoming):
    from engagements import actions

    actions.do_mark_complete(engagement, by=global_admin)
    client = client_for(coach)
    response = client.post(url("complete_session", engagement, held.pk), follow=True)
    assert "has ended" in response.content.decode()
    response = client.post(url("session_notes", engagement, held.pk),
                           {"notes": "late", "visibility": "private"}, follow=True)
    assert "has ended" in response.content.decode()
    held.refresh_from_db()
    assert held.status == EventStatus.SCHEDULED and held.notes == ""
    html = client.get(detail(engagement)).content.decode()
    assert url("move_session", engagement, held.pk) not in html


def test_the_coach_writes_notes_shared_with_the_coachee_or_private(
        client_for, coach, coachee, global_admin, engagement, held):
    client = client_for(coach)
    form = client.get(url("session_notes", engagement, held.pk)).content.decode()
    assert "Private: only you, the coach" in form and "Shared with the coachee" in form
    client.post(url("session_notes", engagement, held.pk),
                {"notes": "Worked on delegation.", "visibility": "private"})
    held.refresh_from_db()
    assert held.notes == "Worked on delegation." and not held.notes_shared
    assert "Worked on delegation." in client.get(detail(engagement)).content.decode()
    assert "Worked on delegation." not in \
        client_for(coachee).get(detail(engagement)).content.decode()
    assert "Worked on delegation." not in \
        client_for(global_admin).get(detail(engagement)).content.decode()

    client_for(coach).post(url("session_notes", engagement, held.pk),
                           {"notes": "Worked on delegation.", "visibility": "shared"})
    assert "Worked on delegation." in \
        client_for(coachee).get(detail(engagement)).content.decode()
    audit = AuditEvent.objects.filter(action=AuditEvent.Action.SESSION_NOTES_WRITTEN)
    assert audit.count() == 2 and "Worked" not in str(audit.first().changes)


def test_only_the_coach_writes_notes(client_for, global_admin, coachee, engagement, held):
    for user in (global_admin, coachee):
        response = client_for(user).post(url("session_notes", engagement, held.pk),
                                         {"notes": "x", "visibility": "shared"})
        assert response.status_code == 403


def test_discovery_calls_are_changed_by_administrators_while_matching(
        client_for, global_admin, owner_company, location, coachee):
    matching = factories.EngagementFactory(company=owner_company, location=location,
                                           owner=global_admin, coachee=coachee, matching=True)
    call = factories.DiscoveryCallFactory(engagement=matching,
                                          starts_at=dt.datetime(2026, 4, 3, 9, tzinfo=dt.UTC))
    client = client_for(global_admin)
    html = client.get(detail(matching)).content.decode()
    assert url("move_call", matching, call.pk) in html
    response = client.post(url("move_call", matching, call.pk),
                           {"date": "2026-03-28", "time": "10:00"})
    assert response.status_code == 302
    response = client.post(url("complete_call", matching, call.pk))
    assert response.status_code == 302
    call.refresh_from_db()
    assert call.status == EventStatus.COMPLETED
    matching.refresh_from_db()
    assert matching.last_activity_on == dt.date(2026, 3, 28)


# ---------------------------------------------------------------------------------------------
# Drafts, edits, launch


@pytest.fixture
def template(owner_company):
    return factories.EngagementTemplateFactory(company=owner_company, name="Leadership")


def test_an_administrator_creates_a_draft_and_launches_it_from_its_page(
        client_for, global_admin, template, coachee, location, owner_company):
    own_coach = factories.UserFactory(company=owner_company, full_name="Jonas Rossi",
                                      email="jonas@acme.test", is_coach=True)
    client = client_for(global_admin)
    page = client.get(reverse("engagements:create"))
    assert page.status_code == 200 and "jonas@acme.test" in page.content.decode()
    response = client.post(reverse("engagements:create"), {
        "template": template.pk, "coachee": coachee.pk, "coach": own_coach.pk,
        "owner": global_admin.pk, "location": location.pk, "started_on": "2026-04-01"})
    assert response.status_code == 302
    draft = Engagement.objects.get(coachee=coachee)
    assert draft.status == Engagement.Status.DRAFT
    html = client.get(detail(draft)).content.decode()
    assert url("launch", draft) in html and url("edit", draft) in html

    assert client.post(url("launch", draft)).status_code == 302
    draft.refresh_from_db()
    assert draft.status == Engagement.Status.ACTIVE and draft.started_on == dt.date(2026, 4, 1)
    assert draft.progress == Progress.ON_TRACK
    assert [e.action for e in draft.audit_events.order_by("pk")] == [
        AuditEvent.Action.DRAFT_CREATED, AuditEvent.Action.LAUNCHED]


def test_editing_shows_the_snapshot_and_changes_only_what_changed(
        client_for, global_admin, engagement, owner_company, location):
    client = client_for(global_admin)
    page = client.get(url("edit", engagement)).content.decode()
    # The start date is shown as the pages show dates (issue 17), no longer as ISO.
    assert "Off Track after 21 days" in page and 'value="2 Mar 2026"' in page
    response = client.post(url("edit", engagement), {
        "coach": engagement.coach_id, "owner": global_admin.pk, "location": location.pk,
        "started_on": "2026-03-20"})
    assert response.status_code == 302
    engagement.refresh_from_db()
    assert engagement.started_on == dt.date(2026, 3, 20)
    assert engagement.progress == Progress.ON_TRACK
    assert AuditEvent.objects.get().changes == {"started_on": ["2026-03-02", "2026-03-20"]}


def test_pickers_search_and_offer_only_who_fits(client_for, global_admin, template,
                                                owner_company, other_admin):
    for i in range(PICKER_LIMIT + 5):
        factories.UserFactory(company=owner_company, full_name=f"Person {i:03}",
                              email=f"p{i}@acme.test")
    factories.UserFactory(company=owner_company, full_name="Jonas Rossi", email="j1@acme.test")
    factories.UserFactory(company=owner_company, full_name="Jonas Rossi", email="j2@acme.test")
    factories.UserFactory(company=other_admin.company, full_name="Jonas Rossi",
                          email="jonas@globex.test")
    client = client_for(global_admin)
    page = client.get(reverse("engagements:create")).content.decode()
    assert "search by name or email" in page
    assert "globex" not in page
    found = client.post(reverse("engagements:create"), {
        "coachee_q": "jonas rossi", "find": "coachee", "template": template.pk})
    assert found.status_code == 200
    html = found.content.decode()
    assert "Jonas Rossi — j1@acme.test" in html and "Jonas Rossi — j2@acme.test" in html
    assert "jonas@globex.test" not in html
    assert not Engagement.objects.exists()
    # Another tenant's person posted by hand is refused.
    response = client.post(reverse("engagements:create"), {
        "template": template.pk, "coachee": other_admin.pk, "owner": global_admin.pk})
    assert response.status_code == 400
    assert not Engagement.objects.exists()


def test_the_coach_picker_offers_coaches_only(client_for, global_admin, template,
                                              owner_company, coachee, engagement, coach):
    factories.UserFactory(company=owner_company, full_name="Jonas Rossi", email="j1@acme.test",
                          is_coach=True)
    factories.UserFactory(company=owner_company, full_name="Jonas Rossi", email="j2@acme.test")
    client = client_for(global_admin)

    def coach_options(query):
        html = client.post(reverse("engagements:create"), {
            "coach_q": query, "find": "coach", "template": template.pk}).content.decode()
        select = html[html.index('name="coach"'):]
        return select[:select.index("</select>")]

    assert "j1@acme.test" in coach_options("jonas rossi")  # invited as a coach
    assert "j2@acme.test" not in coach_options("jonas rossi")  # a coachee, not a coach
    assert coach.email in coach_options("cora")  # the provider's coach who coaches here
    # A coachee posted by hand as the coach is refused.
    response = client.post(reverse("engagements:create"), {
        "template": template.pk, "coachee": coachee.pk, "coach": coachee.pk,
        "owner": global_admin.pk})
    assert response.status_code == 400


def test_coaching_an_engagement_makes_a_person_a_coach(owner_company, engagement, template):
    """The pickers read `is_coach` only: whoever is made a coach, by any save, is marked."""
    colleague = factories.UserFactory(company=owner_company, email="colleague@acme.test")
    assert colleague not in coach_candidates(owner_company)
    other = factories.EngagementFactory(company=owner_company, template=template,
                                        coach=colleague)
    colleague.refresh_from_db()
    assert colleague.is_coach and other.coach.is_coach
    assert colleague in coach_candidates(owner_company)
    # A provider's coach is offered where they coach, and not to an unrelated company.
    assert engagement.coach in coach_candidates(owner_company)
    assert engagement.coach not in coach_candidates(factories.CompanyFactory())
    assert engagement.coachee not in coach_candidates(owner_company)


def test_only_administrators_create_engagements(client_for, coach, coachee):
    for user in (coach, coachee):
        assert client_for(user).get(reverse("engagements:create")).status_code == 404


def test_the_edit_and_launch_pages_refuse_readers(client_for, coach, coachee, engagement):
    for user in (coach, coachee):
        assert client_for(user).get(url("edit", engagement)).status_code == 403
        assert client_for(user).post(url("launch", engagement)).status_code == 403
    assert not Session.objects.exists()
