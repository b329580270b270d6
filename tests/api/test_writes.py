"""
Writes through the API are the actions' own: the same permission, an audit row, progress
re-evaluated at once, what follows after commit; refusals answer with the action's words.
"""

import datetime as dt

import pytest
import time_machine

from accounts.models import AccountEvent, User
from engagements.models import AuditEvent, Engagement, EventStatus, Progress
from engagements.signals import engagement_change_committed
from tests import factories
from tracking.evaluation import evaluate_engagement
from tracking.models import ProgressTransition

# The standing engagement started on 2 March, threshold 21 days: off track since 23 March.
NOW = dt.datetime(2026, 4, 1, 12, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def off_track(engagement):
    evaluate_engagement(engagement, cause=ProgressTransition.Cause.DAILY,
                        today=dt.date(2026, 4, 1))
    engagement.refresh_from_db()
    assert engagement.progress == Progress.OFF_TRACK
    return engagement


def test_scheduling_a_session_audits_and_re_evaluates_at_once(api_as, coach, off_track,
                                                              django_capture_on_commit_callbacks):
    committed = []
    engagement_change_committed.connect(lambda **kw: committed.append(kw["action"]),
                                        weak=False, dispatch_uid="test-api")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = api_as(coach).post("/api/v1/sessions/", {
                "engagement": off_track.pk, "starts_at": "2026-04-08T10:00:00+01:00",
                "duration_minutes": 45}, format="json")
    finally:
        engagement_change_committed.disconnect(dispatch_uid="test-api")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "scheduled" and body["duration_minutes"] == 45
    assert body["starts_at"] == "2026-04-08T09:00:00Z"
    audit = AuditEvent.objects.get(engagement=off_track,
                                   action=AuditEvent.Action.SESSION_SCHEDULED)
    assert audit.actor == coach
    off_track.refresh_from_db()
    assert off_track.progress == Progress.ON_TRACK
    assert ProgressTransition.objects.filter(
        engagement=off_track, to_status=Progress.ON_TRACK,
        cause=ProgressTransition.Cause.SESSION).exists()
    assert committed == [AuditEvent.Action.SESSION_SCHEDULED]
    detail = api_as(coach).get(f"/api/v1/engagements/{off_track.pk}/").json()
    assert detail["progress"] == "on_track" and detail["reason"] == "On track: next session 8 Apr"


def test_move_cancel_complete_go_through_the_actions(api_as, global_admin, off_track):
    session = factories.SessionFactory(engagement=off_track)  # 10 March, in the past
    client = api_as(global_admin)
    moved = client.post(f"/api/v1/sessions/{session.pk}/move/",
                        {"starts_at": "2026-03-20T10:00Z"}, format="json")
    assert moved.status_code == 200 and moved.json()["starts_at"] == "2026-03-20T10:00:00Z"
    held = client.post(f"/api/v1/sessions/{session.pk}/complete/")
    assert held.status_code == 200 and held.json()["status"] == EventStatus.COMPLETED
    again = client.post(f"/api/v1/sessions/{session.pk}/cancel/", {"reason": "x"},
                        format="json")
    assert again.status_code == 400
    assert again.json()["detail"] == ("Only a scheduled session can be cancelled; this one is "
                                      "completed.")
    actions = set(AuditEvent.objects.filter(engagement=off_track)
                  .values_list("action", flat=True))
    assert {AuditEvent.Action.SESSION_MOVED, AuditEvent.Action.SESSION_COMPLETED} <= actions
    # The session of 20 March is the last activity: off track since 10 April, not 23 March.
    off_track.refresh_from_db()
    assert off_track.progress == Progress.ON_TRACK
    assert off_track.goes_off_track_on == dt.date(2026, 4, 10)


def test_cancelling_a_future_session_with_a_reason(api_as, coach, engagement):
    session = factories.SessionFactory(engagement=engagement,
                                       starts_at=dt.datetime(2026, 4, 20, 9, tzinfo=dt.UTC))
    response = api_as(coach).post(f"/api/v1/sessions/{session.pk}/cancel/",
                                  {"reason": "Travelling"}, format="json")
    assert response.status_code == 200
    assert response.json()["cancel_reason"] == "Travelling"
    assert AuditEvent.objects.get(action=AuditEvent.Action.SESSION_CANCELLED).changes[
        "reason"] == "Travelling"


def test_nothing_is_scheduled_in_an_ended_engagement(api_as, global_admin, owner_company,
                                                     coach, coachee):
    ended = factories.EngagementFactory(company=owner_company, owner=global_admin,
                                        coach=coach, coachee=coachee, ended_early=True)
    response = api_as(global_admin).post("/api/v1/sessions/", {
        "engagement": ended.pk, "starts_at": "2026-04-08T10:00Z"}, format="json")
    assert response.status_code == 400
    assert response.json()["detail"] == \
        "This engagement has ended: nothing more can be scheduled in it."


def test_readers_are_refused_with_why_and_strangers_get_404(api_as, coachee, other_admin,
                                                            engagement):
    body = {"engagement": engagement.pk, "starts_at": "2026-04-08T10:00Z"}
    refused = api_as(coachee).post("/api/v1/sessions/", body, format="json")
    assert refused.status_code == 403
    assert refused.json()["detail"] == "You may read this engagement, not schedule in it."
    assert api_as(other_admin).post("/api/v1/sessions/", body, format="json").status_code \
        == 404
    assert not engagement.sessions.exists()


@pytest.mark.parametrize("body", [
    {}, {"engagement": "x"}, {"engagement": 10**30, "starts_at": "2026-04-08T10:00Z"},
    {"engagement": -1, "starts_at": "2026-04-08T10:00Z"},
    {"engagement": 1, "starts_at": "yesterday"},
    {"engagement": 1, "starts_at": "2026-04-08T10:00Z", "duration_minutes": 10**9},
])
def test_a_bad_body_is_a_400_with_field_errors(api_as, global_admin, body):
    response = api_as(global_admin).post("/api/v1/sessions/", body, format="json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"


def test_a_discovery_call_in_coach_matching(api_as, global_admin, owner_company, location,
                                            coachee, coach):
    matching = factories.EngagementFactory(company=owner_company, location=location,
                                           owner=global_admin, coachee=coachee, matching=True)
    candidate = factories.UserFactory(company=owner_company, is_coach=True)
    client = api_as(global_admin)
    response = client.post("/api/v1/discovery-calls/", {
        "engagement": matching.pk, "starts_at": "2026-04-03T10:00Z", "coach": candidate.pk},
        format="json")
    assert response.status_code == 201, response.content
    assert response.json()["coach"]["id"] == candidate.pk
    assert AuditEvent.objects.filter(
        engagement=matching, action=AuditEvent.Action.DISCOVERY_CALL_SCHEDULED).exists()
    nobody = client.post("/api/v1/discovery-calls/", {
        "engagement": matching.pk, "starts_at": "2026-04-03T10:00Z", "coach": 10**12},
        format="json")
    assert nobody.status_code == 400
    listed = client.get("/api/v1/discovery-calls/", {"engagement": matching.pk}).json()
    assert [row["engagement"] for row in listed["results"]] == [matching.pk]


def test_sessions_are_listed_through_the_gate(api_as, coach, other_admin, engagement):
    factories.SessionFactory(engagement=engagement)
    assert len(api_as(coach).get("/api/v1/sessions/").json()["results"]) == 1
    assert api_as(other_admin).get("/api/v1/sessions/").json()["results"] == []
    assert "notes" not in api_as(coach).get("/api/v1/sessions/").json()["results"][0]


def test_a_session_read_from_a_connected_calendar_says_so(api_as, coach, engagement):
    from engagements.models import CalendarFeed

    feed = CalendarFeed.objects.create(owner=coach, url="https://calendar.example.com/c.ics")
    booked_here = factories.SessionFactory(engagement=engagement)
    outside = factories.SessionFactory(engagement=engagement, calendar_feed=feed,
                                       calendar_uid="evt-1@calendar.example.com")
    rows = {row["id"]: row for row in
            api_as(coach).get("/api/v1/sessions/").json()["results"]}
    assert rows[booked_here.pk]["from_calendar"] is False
    assert rows[outside.pk]["from_calendar"] is True


def test_an_administrator_invites_through_the_people_actions(api_as, global_admin,
                                                             mailoutbox):
    response = api_as(global_admin).post("/api/v1/people/", {
        "email": "New.Coach@Acme.test", "full_name": "Nia New", "role": "coach"},
        format="json")
    assert response.status_code == 201, response.content
    person = User.objects.get(email="new.coach@acme.test")
    assert response.json()["status"] == "invited" and "coach" in response.json()["roles"]
    assert AccountEvent.objects.filter(person=person,
                                       action=AccountEvent.Action.INVITED).exists()
    taken = api_as(global_admin).post("/api/v1/people/", {
        "email": "new.coach@acme.test", "full_name": "Again"}, format="json")
    assert taken.status_code == 400
    assert taken.json()["detail"] == "This email address is already in use."
    record = api_as(global_admin).post("/api/v1/people/", {
        "email": "rec@acme.test", "full_name": "Rec", "invite": False}, format="json")
    invited = api_as(global_admin).post(f"/api/v1/people/{record.json()['id']}/invite/")
    assert invited.status_code == 200 and invited.json()["status"] == "invited"


def test_only_administrators_read_people_and_templates(api_as, coach, global_admin,
                                                       engagement):
    for path in ("/api/v1/people/", "/api/v1/templates/"):
        assert api_as(coach).get(path).status_code == 403
        assert api_as(global_admin).get(path).status_code == 200
    templates = api_as(global_admin).get("/api/v1/templates/").json()["results"]
    assert [row["id"] for row in templates] == [engagement.template_id]


def test_progress_history_only_for_those_who_see_progress(api_as, global_admin, coach,
                                                          provider_admin, off_track):
    for user in (global_admin, coach):
        rows = api_as(user).get("/api/v1/progress-history/",
                                {"engagement": off_track.pk}).json()["results"]
        assert [(r["engagement"], r["to_status"]) for r in rows] == [
            (off_track.pk, "off_track")]
    assert api_as(provider_admin).get("/api/v1/progress-history/").json()["results"] == []
    bad = api_as(global_admin).get("/api/v1/progress-history/", {"since": "March"})
    assert bad.status_code == 400


def test_engagement_status_unchanged_by_reads(api_as, global_admin, engagement):
    before = Engagement.objects.filter(pk=engagement.pk).values().get()
    api_as(global_admin).get(f"/api/v1/engagements/{engagement.pk}/")
    assert Engagement.objects.filter(pk=engagement.pk).values().get() == before
