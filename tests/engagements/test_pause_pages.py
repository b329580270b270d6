"""
Pauses on the engagement page: administrators who manage it pause tracking, edit a pause
and end it early; the coach asks for one; administrators approve or decline. Each page
answers as the gate says (404 out of scope, 403 for readers) and says what happened.
"""

import datetime as dt

import pytest
from django.urls import reverse

from engagements import actions
from engagements.models import AuditEvent, Pause, Progress
from tests import factories

pytestmark = pytest.mark.usefixtures("first_of_april")
D = dt.date


def url(name, engagement, *args):
    return reverse(f"engagements:{name}", args=[engagement.pk, *args])


FORM = {"starts_on": "1 Apr 2026", "ends_on": "14 Apr 2026", "reason": "leave",
        "note": "Parental leave"}


@pytest.fixture
def requested(engagement, coach):
    return factories.PauseFactory(engagement=engagement, starts_on=D(2026, 4, 6),
                                  ends_on=D(2026, 4, 10), status=Pause.Status.REQUESTED,
                                  requested_by=coach, reason=Pause.Reason.HOLIDAY)


def test_an_administrator_pauses_tracking_from_the_page(client_for, global_admin, engagement):
    client = client_for(global_admin)
    page = client.get(url("detail", engagement)).content.decode()
    assert "Pause tracking" in page and 'id="pause-form"' in page
    response = client.post(url("pause", engagement), FORM, follow=True)
    assert response.redirect_chain[-1][0].endswith("#pauses")
    html = response.content.decode()
    assert "Tracking paused." in html
    assert "1 Apr 2026 – 14 Apr 2026" in html and "Paused now" in html
    assert "Paused until 14 Apr (leave)" in html
    engagement.refresh_from_db()
    assert engagement.progress == Progress.PAUSED


def test_a_bad_pause_is_shown_back_with_why(client_for, global_admin, engagement):
    client = client_for(global_admin)
    response = client.post(url("pause", engagement), {**FORM, "ends_on": "30 Jul 2026"})
    assert response.status_code == 400
    assert "A pause lasts at most 90 days." in response.content.decode()
    actions.do_pause_engagement(engagement, by=global_admin, starts_on=D(2026, 4, 10),
                                ends_on=D(2026, 4, 20), reason="holiday")
    response = client.post(url("pause", engagement), FORM)
    assert response.status_code == 400
    assert "overlap the pause from 10 Apr 2026 to 20 Apr 2026" in response.content.decode()
    assert Pause.objects.count() == 1


def test_the_coach_requests_and_an_administrator_approves(client_for, coach, global_admin,
                                                           engagement):
    client = client_for(coach)
    page = client.get(url("detail", engagement)).content.decode()
    assert "Request a pause" in page and "Pause tracking" not in page
    response = client.post(url("pause", engagement), {**FORM, "reason": "holiday"},
                           follow=True)
    assert "Pause requested: an administrator will answer it." in response.content.decode()
    request = Pause.objects.get()
    assert request.status == Pause.Status.REQUESTED
    # The coach cannot answer their own request.
    assert client.post(url("approve_pause", engagement, request.pk)).status_code == 403

    client = client_for(global_admin)
    page = client.get(url("detail", engagement)).content.decode()
    assert "Requested by Cora Coach, waiting for an answer" in page
    assert url("approve_pause", engagement, request.pk) in page
    assert url("decline_pause", engagement, request.pk) in page
    response = client.post(url("approve_pause", engagement, request.pk), follow=True)
    assert "Pause approved: the coach is told." in response.content.decode()
    request.refresh_from_db()
    assert request.status == Pause.Status.APPROVED


def test_an_administrator_declines_a_request(client_for, global_admin, engagement, requested):
    response = client_for(global_admin).post(url("decline_pause", engagement, requested.pk),
                                             follow=True)
    assert "Pause request declined: the coach is told." in response.content.decode()
    requested.refresh_from_db()
    assert requested.status == Pause.Status.DECLINED
    # Answered twice: said, not a 500.
    response = client_for(global_admin).post(url("approve_pause", engagement, requested.pk),
                                             follow=True)
    assert "already been answered" in response.content.decode()


def test_an_administrator_edits_and_ends_a_pause_early(client_for, global_admin, engagement):
    pause = actions.do_pause_engagement(engagement, by=global_admin, starts_on=D(2026, 3, 28),
                                        ends_on=D(2026, 4, 14), reason="leave")
    client = client_for(global_admin)
    page = client.get(url("detail", engagement)).content.decode()
    assert url("change_pause", engagement, pause.pk) in page and "End early" in page
    response = client.post(url("change_pause", engagement, pause.pk),
                           {**FORM, "starts_on": "28 Mar 2026", "ends_on": "20 Apr 2026",
                            "reason": "other"}, follow=True)
    assert "Pause changed." in response.content.decode()
    pause.refresh_from_db()
    assert (pause.ends_on, pause.reason) == (D(2026, 4, 20), "other")

    response = client.post(url("end_pause", engagement, pause.pk), follow=True)
    assert "Pause ended: tracking resumes today." in response.content.decode()
    pause.refresh_from_db()
    assert pause.ends_on == D(2026, 3, 31)
    engagement.refresh_from_db()
    assert engagement.progress == Progress.OFF_TRACK
    assert [e.action for e in AuditEvent.objects.order_by("pk")] == [
        AuditEvent.Action.PAUSED, AuditEvent.Action.PAUSE_CHANGED, AuditEvent.Action.PAUSE_ENDED]


def test_an_edit_with_bad_days_is_refused_with_why(client_for, global_admin, engagement):
    pause = actions.do_pause_engagement(engagement, by=global_admin, starts_on=D(2026, 4, 2),
                                        ends_on=D(2026, 4, 14), reason="leave")
    response = client_for(global_admin).post(
        url("change_pause", engagement, pause.pk),
        {**FORM, "starts_on": "14 Apr 2026", "ends_on": "2 Apr 2026"}, follow=True)
    assert "The pause cannot end before it starts." in response.content.decode()
    pause.refresh_from_db()
    assert pause.ends_on == D(2026, 4, 14)


@pytest.mark.parametrize("role", ["global_admin", "location_admin", "coach", "coachee",
                                  "provider_admin", "other_location_admin", "other_admin"])
def test_each_role_sees_and_may_do_what_the_gate_says(role, roles, client_for, engagement,
                                                      requested):
    user = roles[role]
    client = client_for(user)
    page = client.get(url("detail", engagement))
    if role in {"other_location_admin", "other_admin"}:
        # Another tenant (or out of their locations): nothing exists here.
        assert page.status_code == 404
        for name in ("approve_pause", "decline_pause", "end_pause", "change_pause"):
            assert client.post(url(name, engagement, requested.pk), FORM).status_code == 404
        assert client.post(url("pause", engagement), FORM).status_code == 404
        return
    html = page.content.decode()
    managing = role in {"global_admin", "location_admin"}
    # Pauses say whether it is paused: only those who see progress see them.
    assert ('id="pauses"' in html) == (role in {"global_admin", "location_admin", "coach"})
    assert ("Pause tracking" in html) == managing
    assert ("Request a pause" in html) == (role == "coach")
    assert (url("approve_pause", engagement, requested.pk) in html) == managing
    if not managing:
        assert client.post(url("approve_pause", engagement, requested.pk)).status_code == 403
    if role in {"coachee", "provider_admin"}:
        assert client.post(url("pause", engagement), FORM).status_code == 403
    requested.refresh_from_db()
    assert requested.status == Pause.Status.REQUESTED


def test_a_pause_of_another_engagement_is_not_found(client_for, global_admin, engagement):
    elsewhere = factories.PauseFactory(starts_on=D(2026, 4, 6), ends_on=D(2026, 4, 10))
    client = client_for(global_admin)
    assert client.post(url("end_pause", engagement, elsewhere.pk)).status_code == 404


def test_an_ended_engagement_offers_no_pause(client_for, global_admin, engagement):
    actions.do_end_early(engagement, by=global_admin, reason="client_request")
    client = client_for(global_admin)
    html = client.get(url("detail", engagement)).content.decode()
    assert 'id="pause-form"' not in html
    response = client.post(url("pause", engagement), FORM, follow=True)
    assert "its tracking can no longer be paused" in response.content.decode()
    assert not Pause.objects.exists()


def test_a_cancelled_pause_is_feminine_in_spanish_unlike_a_cancelled_session():
    from django.utils import translation

    from engagements.models import EventStatus

    with translation.override("es"):
        assert str(Pause.Status.CANCELLED.label) == "Cancelada"
        assert str(EventStatus.CANCELLED.label) == "Cancelado"
