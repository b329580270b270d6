import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from engagements.models import AuditEvent, CoachSelection, Engagement, Progress, Session
from tests import factories
from tracking.models import ProgressTransition

pytestmark = pytest.mark.usefixtures("first_of_april")


def detail(engagement):
    return reverse("engagements:detail", args=[engagement.pk])


def schedule(engagement):
    return reverse("engagements:schedule_session", args=[engagement.pk])


def test_engagement_page_shows_people_dates_sessions_history_and_audit(
        client_for, global_admin, engagement):
    factories.SessionFactory(engagement=engagement)
    ProgressTransition.objects.create(
        engagement=engagement, company=engagement.company, from_status="on_track",
        to_status="off_track", day=dt.date(2026, 3, 31), cause="daily")
    factories.AuditEventFactory(engagement=engagement)
    html = client_for(global_admin).get(detail(engagement)).content.decode()
    for text in ("Cole Coachee", "Cora Coach", "Ada Admin", "London", "2 Mar 2026",
                 "21 days without activity", "Tue 10 Mar 2026", "31 Mar 2026",
                 "Daily evaluation", "Launched by Ada Admin"):
        assert text in html, text
    assert 'id="schedule-session"' in html


def test_progress_and_its_history_are_hidden_from_those_who_may_not_see_them(
        client_for, provider_admin, coachee, engagement):
    Engagement.objects.filter(pk=engagement.pk).update(
        progress=Progress.OFF_TRACK, off_track_since=dt.date(2026, 3, 23))
    for viewer in (provider_admin, coachee):
        html = client_for(viewer).get(detail(engagement)).content.decode()
        assert "Off Track" not in html and 'id="progress-history"' not in html
        assert 'id="schedule-session"' not in html  # read-only


def test_out_of_scope_engagement_is_404(client_for, other_admin, other_location_admin,
                                        engagement):
    for viewer in (other_admin, other_location_admin):
        assert client_for(viewer).get(detail(engagement)).status_code == 404
        response = client_for(viewer).post(schedule(engagement),
                                           {"date": "2026-04-10", "time": "09:30",
                                            "duration_minutes": 60})
        assert response.status_code == 404
    assert not Session.objects.exists()


def test_scheduling_a_session_in_company_time_audits_and_evaluates(
        client_for, global_admin, engagement):
    Engagement.objects.filter(pk=engagement.pk).update(
        progress=Progress.OFF_TRACK, off_track_since=dt.date(2026, 3, 23))
    response = client_for(global_admin).post(
        schedule(engagement), {"date": "2026-04-10", "time": "09:30", "duration_minutes": 45})
    assert response.status_code == 302
    session = Session.objects.get()
    # Europe/London is on BST (UTC+1) on 10 April.
    assert session.starts_at == dt.datetime(2026, 4, 10, 8, 30, tzinfo=dt.UTC)
    assert session.duration_minutes == 45
    audit = AuditEvent.objects.get(action=AuditEvent.Action.SESSION_SCHEDULED)
    assert audit.actor == global_admin and audit.engagement == engagement
    engagement.refresh_from_db()
    assert engagement.progress == Progress.ON_TRACK
    assert engagement.next_event_on == dt.date(2026, 4, 10)
    assert ProgressTransition.objects.get().cause == ProgressTransition.Cause.SESSION


def test_the_coach_may_schedule_sessions(client_for, coach, engagement):
    response = client_for(coach).post(
        schedule(engagement), {"date": "2026-04-10", "time": "09:30", "duration_minutes": 60})
    assert response.status_code == 302 and Session.objects.count() == 1


def test_coachee_and_provider_admin_may_not_schedule(client_for, coachee, provider_admin,
                                                     engagement):
    for viewer in (coachee, provider_admin):
        response = client_for(viewer).post(
            schedule(engagement), {"date": "2026-04-10", "time": "09:30",
                                   "duration_minutes": 60})
        assert response.status_code == 403  # they see the engagement, but only read it
    assert not Session.objects.exists()


@pytest.mark.parametrize("data", [
    {"date": "2026-13-45", "time": "09:30", "duration_minutes": 60},
    {"date": "2026-04-10", "time": "25:99", "duration_minutes": 60},
    {"date": "2026-02-01", "time": "09:30", "duration_minutes": 60},  # before the start
    {"date": "", "time": "", "duration_minutes": "x"},
])
def test_bad_scheduling_input_is_shown_on_the_page(client_for, global_admin, engagement, data):
    response = client_for(global_admin).post(schedule(engagement), data)
    assert response.status_code == 400
    assert 'class="error"' in response.content.decode()
    assert not Session.objects.exists()


def test_scheduling_is_closed_once_the_engagement_has_ended(client_for, global_admin, coach,
                                                            owner_company, location, coachee):
    ended = factories.EngagementFactory(
        company=owner_company, location=location, owner=global_admin, coachee=coachee,
        coach=coach, ended_early=True)
    html = client_for(global_admin).get(detail(ended)).content.decode()
    assert 'id="schedule-session"' not in html
    assert "Client request" in html and 'id="ended-notice"' in html
    for viewer in (global_admin, coach):
        response = client_for(viewer).post(
            schedule(ended), {"date": "2026-04-10", "time": "09:30", "duration_minutes": 60})
        assert response.status_code == 302
    assert not Session.objects.exists()


def test_discovery_call_and_coach_selection_in_coach_matching(
        client_for, global_admin, owner_company, location, coachee, coach):
    matching = factories.EngagementFactory(
        company=owner_company, location=location, owner=global_admin, coachee=coachee,
        matching=True)
    # A provider coach already coaching one of the company's engagements is a candidate.
    factories.EngagementFactory(company=owner_company, owner=global_admin, coach=coach)
    client = client_for(global_admin)
    html = client.get(detail(matching)).content.decode()
    assert 'id="schedule-call"' in html and 'id="select-coach"' in html
    response = client.post(reverse("engagements:schedule_call", args=[matching.pk]),
                           {"date": "2026-04-03", "time": "14:00", "coach": coach.pk})
    assert response.status_code == 302
    assert matching.discovery_calls.get().coach == coach
    response = client.post(reverse("engagements:select_coach", args=[matching.pk]),
                           {"coach": coach.pk})
    assert response.status_code == 302
    matching.refresh_from_db()
    assert matching.status == Engagement.Status.ACTIVE and matching.coach == coach
    assert CoachSelection.objects.get(engagement=matching).selected_on == dt.date(2026, 4, 1)
    assert set(matching.audit_events.values_list("action", flat=True)) == {
        AuditEvent.Action.DISCOVERY_CALL_SCHEDULED, AuditEvent.Action.COACH_SELECTED}


def test_a_coach_from_an_unrelated_company_cannot_be_chosen(
        client_for, global_admin, owner_company, location, coachee, other_admin):
    matching = factories.EngagementFactory(
        company=owner_company, location=location, owner=global_admin, coachee=coachee,
        matching=True)
    response = client_for(global_admin).post(
        reverse("engagements:select_coach", args=[matching.pk]), {"coach": other_admin.pk})
    assert response.status_code == 400
    matching.refresh_from_db()
    assert matching.coach is None


def _add_history(engagement, n):
    for day in range(n):
        factories.SessionFactory(engagement=engagement)
        factories.AuditEventFactory(engagement=engagement)
        ProgressTransition.objects.create(
            engagement=engagement, company=engagement.company,
            from_status="on_track" if day % 2 else "off_track",
            to_status="off_track" if day % 2 else "on_track",
            day=dt.date(2026, 3, 1) + dt.timedelta(days=day), cause="daily")


def test_engagement_page_runs_a_fixed_number_of_queries_whatever_its_history(
        client_for, global_admin, engagement):
    client = client_for(global_admin)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(detail(engagement)).status_code == 200
        return [query["sql"] for query in captured.captured_queries]

    _add_history(engagement, 1)
    few = queries()
    _add_history(engagement, 20)
    many = queries()
    # Each list (sessions, calls, progress history, audit trail) is one query with its
    # related rows joined: 21 of each cost what one does.
    assert len(many) == len(few), "\n\n".join(many)


def test_a_discovery_call_in_an_active_engagement_is_refused_with_the_reason(
        client_for, global_admin, engagement):
    response = client_for(global_admin).post(
        reverse("engagements:schedule_call", args=[engagement.pk]), follow=True)
    assert "only during coach matching" in response.content.decode()
