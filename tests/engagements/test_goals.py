"""
Goals (issue 19): the coachee and the coach add, edit, mark achieved and reopen them; the
administrators who manage the engagement read them; a coaching provider's administrator reads
neither them nor the thread; another tenant gets 404. After the end they stay readable, no
form is shown, and a direct POST is refused with the reason (409), writing nothing.
"""


import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from engagements import actions
from engagements.models import GOAL_TITLE_MAX, AuditEvent, Engagement, Goal
from tests import factories
from tests.engagements.conftest import NOW
from tests.engagements.conftest import detail_page as page

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("first_of_april")]


def add(client, engagement, **data):
    return client.post(reverse("engagements:add_goal", args=[engagement.pk]),
                       {"title": "Delegate the weekly report", "detail": "", **data})


@pytest.mark.parametrize("role", ["coachee", "coach"])
def test_the_coachee_and_the_coach_add_a_goal_from_the_engagement_page(
        client_for, roles, engagement, role):
    client = client_for(roles[role])
    assert 'id="add-goal-' in page(client, engagement).content.decode()

    response = add(client, engagement, detail="By the end of May.")
    assert response.status_code == 302
    assert response["Location"] == f"/engagements/{engagement.pk}/#goals-{engagement.pk}"
    goal = Goal.objects.get()
    assert (goal.title, goal.detail, goal.created_by) == (
        "Delegate the weekly report", "By the end of May.", roles[role])
    audit = AuditEvent.objects.get()
    assert audit.action == AuditEvent.Action.GOAL_ADDED and audit.actor == roles[role]
    body = page(client, engagement).content.decode()
    assert "Delegate the weekly report" in body and "Goal added." in body


def test_the_coach_edits_marks_achieved_and_reopens_a_goal(client_for, coach, coachee,
                                                            engagement):
    goal = actions.do_add_goal(engagement, by=coachee, title="Speak up in meetings")
    client = client_for(coach)
    edit_url = reverse("engagements:edit_goal", args=[engagement.pk, goal.pk])
    assert client.get(edit_url).status_code == 200
    response = client.post(edit_url, {"title": "Speak first in one meeting a week",
                                      "detail": "Start with the Monday stand-up."})
    assert response.status_code == 302
    goal.refresh_from_db()
    assert goal.title == "Speak first in one meeting a week"

    client.post(reverse("engagements:goal_achieved", args=[engagement.pk, goal.pk]))
    goal.refresh_from_db()
    assert goal.achieved_at == NOW and goal.achieved_by == coach
    assert "Achieved 1 Apr 2026" in page(client, engagement).content.decode()
    # A second click (or two people at once) changes nothing and records nothing more.
    client.post(reverse("engagements:goal_achieved", args=[engagement.pk, goal.pk]))

    client.post(reverse("engagements:goal_reopened", args=[engagement.pk, goal.pk]))
    goal.refresh_from_db()
    assert goal.achieved_at is None and goal.achieved_by is None
    assert list(AuditEvent.objects.order_by("pk").values_list("action", flat=True)) == [
        "goal_added", "goal_edited", "goal_achieved", "goal_reopened"]


def test_after_a_post_from_another_page_they_go_back_to_it(client_for, coachee, engagement):
    response = add(client_for(coachee), engagement, next="/")
    assert response["Location"] == f"/#goals-{engagement.pk}"
    # Never to another site.
    response = add(client_for(coachee), engagement, next="https://evil.example/")
    assert response["Location"] == f"/engagements/{engagement.pk}/#goals-{engagement.pk}"


@pytest.mark.parametrize("role", ["global_admin", "location_admin"])
def test_the_managing_administrators_read_goals_but_do_not_write_them(
        client_for, roles, coachee, engagement, role):
    goal = actions.do_add_goal(engagement, by=coachee, title="Run the offsite")
    client = client_for(roles[role])
    body = page(client, engagement).content.decode()
    assert "Run the offsite" in body
    assert 'id="add-goal-' not in body and "Mark achieved" not in body
    assert add(client, engagement).status_code == 403
    for name in ("goal_achieved", "goal_reopened"):
        assert client.post(reverse(f"engagements:{name}",
                                   args=[engagement.pk, goal.pk])).status_code == 403
    edit = reverse("engagements:edit_goal", args=[engagement.pk, goal.pk])
    assert client.get(edit).status_code == 403
    assert client.post(edit, {"title": "Changed"}).status_code == 403
    assert list(Goal.objects.values_list("title", "achieved_at")) == [("Run the offsite", None)]
    with pytest.raises(PermissionDenied):
        actions.do_add_goal(engagement, by=roles[role], title="Mine")


def test_the_coaching_providers_administrator_sees_the_engagement_but_not_its_goals(
        client_for, provider_admin, coachee, engagement):
    goal = actions.do_add_goal(engagement, by=coachee, title="Confidential ambition")
    client = client_for(provider_admin)
    response = page(client, engagement)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Confidential ambition" not in body
    assert "Goals are shared between the coachee, the coach and the administrators" in body
    assert add(client, engagement).status_code == 403
    assert client.post(reverse("engagements:goal_achieved",
                               args=[engagement.pk, goal.pk])).status_code == 403
    assert Goal.objects.count() == 1


@pytest.mark.parametrize("role", ["other_admin", "other_location_admin"])
def test_someone_who_does_not_see_the_engagement_gets_404_for_its_goals(
        client_for, roles, coachee, engagement, role):
    goal = actions.do_add_goal(engagement, by=coachee, title="Hidden")
    client = client_for(roles[role])
    assert add(client, engagement).status_code == 404
    for name in ("goal_achieved", "goal_reopened", "edit_goal"):
        assert client.post(reverse(f"engagements:{name}",
                                   args=[engagement.pk, goal.pk])).status_code == 404
    with pytest.raises(Exception) as raised:
        actions.do_add_goal(engagement, by=roles[role], title="x")
    assert raised.type.__name__ == "Http404"
    assert Goal.objects.count() == 1


def test_a_goal_of_another_engagement_is_404_through_this_one(client_for, coachee, coach,
                                                              engagement):
    other = factories.EngagementFactory(company=engagement.company, coachee=coachee,
                                        coach=coach, owner=engagement.owner)
    goal = actions.do_add_goal(other, by=coachee, title="Elsewhere")
    client = client_for(coachee)
    url = reverse("engagements:goal_achieved", args=[engagement.pk, goal.pk])
    assert client.post(url).status_code == 404
    goal.refresh_from_db()
    assert goal.achieved_at is None


# -- after the end ---------------------------------------------------------------------------


@pytest.fixture
def ended(engagement, coachee, coach, global_admin):
    goal = actions.do_add_goal(engagement, by=coachee, title="Lead the Q2 planning")
    actions.do_mark_complete(engagement, by=global_admin)
    engagement.refresh_from_db()
    assert engagement.status == Engagement.Status.COMPLETED
    return goal


@pytest.mark.parametrize("role", ["coachee", "coach", "global_admin", "location_admin"])
def test_after_the_end_goals_stay_readable_and_no_form_is_shown(client_for, roles, engagement,
                                                                 ended, role):
    body = page(client_for(roles[role]), engagement).content.decode()
    assert "Lead the Q2 planning" in body
    assert 'id="add-goal-' not in body and "Mark achieved" not in body
    assert "its goals stay readable, and nothing new can be added" in body


@pytest.mark.parametrize("role", ["coachee", "coach"])
def test_after_the_end_a_direct_post_is_refused_with_the_reason(client_for, roles, engagement,
                                                                ended, role):
    client = client_for(roles[role])
    before = AuditEvent.objects.count()
    posts = [
        (reverse("engagements:add_goal", args=[engagement.pk]), {"title": "One more"}),
        (reverse("engagements:edit_goal", args=[engagement.pk, ended.pk]), {"title": "New"}),
        (reverse("engagements:goal_achieved", args=[engagement.pk, ended.pk]), {}),
        (reverse("engagements:goal_reopened", args=[engagement.pk, ended.pk]), {}),
    ]
    for url, data in posts:
        response = client.post(url, data)
        assert response.status_code == 409, url
        assert "This engagement has ended: its goals stay readable" in response.content.decode()
    assert list(Goal.objects.values_list("title", "achieved_at")) == [
        ("Lead the Q2 planning", None)]
    assert AuditEvent.objects.count() == before
    with pytest.raises(actions.EngagementEnded):
        actions.do_add_goal(engagement, by=roles[role], title="Through the action")


def test_a_draft_takes_no_goals_yet(client_for, coachee, engagement):
    Engagement.objects.filter(pk=engagement.pk).update(status=Engagement.Status.DRAFT,
                                                       launched_at=None)
    response = add(client_for(coachee), engagement)
    assert response.status_code == 409
    assert "Goals can be set once the engagement is launched." in response.content.decode()
    assert not Goal.objects.exists()


# -- hostile input ----------------------------------------------------------------------------


def test_an_over_long_or_empty_goal_is_a_form_error_never_a_500(client_for, coachee,
                                                                engagement):
    client = client_for(coachee)
    response = add(client, engagement, title="x" * (GOAL_TITLE_MAX + 1))
    assert response.status_code == 400
    assert f"at most {GOAL_TITLE_MAX} characters" in response.content.decode()
    for title in ("", "   ", "nul\x00byte"):
        assert add(client, engagement, title=title).status_code == 400
    assert add(client, engagement, detail="d" * 50_000).status_code == 400
    assert not Goal.objects.exists()


def test_the_action_holds_any_caller_to_the_same_lengths(coachee, engagement):
    with pytest.raises(actions.ActionRefused, match="too long"):
        actions.do_add_goal(engagement, by=coachee, title="x" * (GOAL_TITLE_MAX + 1))
    with pytest.raises(actions.ActionRefused, match="Write the goal"):
        actions.do_add_goal(engagement, by=coachee, title="  ")
    with pytest.raises(actions.ActionRefused, match="cannot be stored"):
        actions.do_add_goal(engagement, by=coachee, title="a\x00b")
    assert not Goal.objects.exists()


@pytest.mark.parametrize("goal_id", ["99999999999999999999999", str(2**63), "0"])
def test_a_goal_id_no_row_can_have_is_404(client_for, coachee, engagement, goal_id):
    client = client_for(coachee)
    for name in ("goal_achieved", "goal_reopened", "edit_goal"):
        url = f"/engagements/{engagement.pk}/goals/{goal_id}/" + {
            "goal_achieved": "achieved/", "goal_reopened": "reopen/", "edit_goal": "edit/"}[name]
        assert client.post(url).status_code == 404, url
