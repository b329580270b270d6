"""What ending an engagement changes, through the service and through its pages."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from engagements import actions
from engagements.models import AuditEvent, DiscoveryCall, Engagement, Session
from tests import factories
from tracking.models import ProgressTransition

# 23:30 UTC on 10 April is already 11 April in London (BST): the end date is company-local.
NOW = dt.datetime(2026, 4, 10, 23, 30, tzinfo=dt.UTC)
LOCAL_TODAY = dt.date(2026, 4, 11)


@pytest.fixture
def tracked(engagement):
    """The standing engagement, on track thanks to a session scheduled ahead."""
    factories.SessionFactory(engagement=engagement,
                             starts_at=dt.datetime(2026, 3, 20, 10, tzinfo=dt.UTC),
                             status=Session.Status.COMPLETED)
    factories.SessionFactory(engagement=engagement,
                             starts_at=dt.datetime(2026, 4, 20, 10, tzinfo=dt.UTC))
    factories.SessionFactory(engagement=engagement,
                             starts_at=dt.datetime(2026, 5, 4, 10, tzinfo=dt.UTC))
    from tracking.evaluation import evaluate_engagement

    with time_machine.travel(NOW, tick=False):
        evaluate_engagement(engagement, cause=ProgressTransition.Cause.MANUAL)
    engagement.refresh_from_db()
    assert engagement.progress == "on_track"
    return engagement


@time_machine.travel(NOW, tick=False)
def test_ending_early_records_status_company_local_date_who_and_why(tracked, global_admin):
    actions.do_end_early(tracked, by=global_admin, reason="client_left", note="  Moved to Paris ")

    tracked.refresh_from_db()
    assert tracked.status == Engagement.Status.ENDED_EARLY
    assert tracked.ended_on == LOCAL_TODAY
    assert tracked.ended_at == NOW
    assert tracked.ended_by == global_admin
    assert tracked.end_reason == "client_left"
    assert tracked.end_note == "Moved to Paris"


@time_machine.travel(NOW, tick=False)
def test_ending_cancels_future_scheduled_sessions_only(tracked, global_admin):
    actions.do_mark_complete(tracked, by=global_admin)

    sessions = {s.starts_at.date(): s for s in Session.objects.filter(engagement=tracked)}
    assert sessions[dt.date(2026, 3, 20)].status == Session.Status.COMPLETED
    for day in (dt.date(2026, 4, 20), dt.date(2026, 5, 4)):
        assert sessions[day].status == Session.Status.CANCELLED
        assert sessions[day].cancelled_at == NOW


@time_machine.travel(NOW, tick=False)
def test_ending_a_coach_matching_engagement_cancels_its_future_discovery_calls(
        owner_company, global_admin):
    matching = factories.EngagementFactory(company=owner_company, owner=global_admin,
                                           matching=True)
    past = factories.DiscoveryCallFactory(
        engagement=matching, starts_at=dt.datetime(2026, 4, 1, 9, tzinfo=dt.UTC))
    future = factories.DiscoveryCallFactory(
        engagement=matching, starts_at=dt.datetime(2026, 4, 14, 9, tzinfo=dt.UTC))

    result = actions.do_end_early(matching.pk, by=global_admin, reason="coach_unavailable")

    assert result.cancelled_discovery_calls == 1
    past.refresh_from_db()
    future.refresh_from_db()
    assert past.status == DiscoveryCall.Status.SCHEDULED
    assert future.status == DiscoveryCall.Status.CANCELLED


@time_machine.travel(NOW, tick=False)
def test_ending_stops_tracking_and_keeps_the_change_in_the_history(tracked, global_admin):
    actions.do_end_early(tracked, by=global_admin, reason="budget_change")

    tracked.refresh_from_db()
    assert tracked.progress == "not_tracked"
    assert tracked.off_track_since is None
    transition = ProgressTransition.objects.filter(engagement=tracked).latest("pk")
    assert (transition.from_status, transition.to_status) == ("on_track", "not_tracked")
    assert transition.cause == ProgressTransition.Cause.END
    assert transition.day == LOCAL_TODAY


@time_machine.travel(NOW, tick=False)
def test_ending_is_recorded_in_the_audit_trail_and_outlives_the_account(tracked, global_admin):
    actions.do_end_early(tracked, by=global_admin, reason="other", note="Reorganisation")

    event = AuditEvent.objects.get(engagement=tracked)
    assert event.action == AuditEvent.Action.ENDED_EARLY
    assert event.actor == global_admin
    assert event.created_at == NOW
    assert event.changes == {
        "status": "ended_early", "ended_on": "2026-04-11", "reason": "Other",
        "note": "Reorganisation", "cancelled_sessions": 2, "cancelled_discovery_calls": 0,
    }
    global_admin.status = global_admin.Status.INACTIVE
    global_admin.save()
    event.refresh_from_db()
    assert event.actor_name == "Ada Admin"


@time_machine.travel(NOW, tick=False)
def test_marking_complete_is_recorded_without_a_reason(tracked, location_admin):
    actions.do_mark_complete(tracked, by=location_admin)

    tracked.refresh_from_db()
    assert tracked.status == Engagement.Status.COMPLETED
    assert tracked.end_reason == ""
    event = AuditEvent.objects.get(engagement=tracked)
    assert event.action == AuditEvent.Action.COMPLETED
    assert event.actor_name == "Lou London"
    assert "reason" not in event.changes


def test_other_needs_a_note_and_an_unknown_reason_is_refused(engagement, global_admin):
    with pytest.raises(actions.EndingRefused, match="note"):
        actions.do_end_early(engagement, by=global_admin, reason="other", note="  ")
    with pytest.raises(actions.EndingRefused, match="reason"):
        actions.do_end_early(engagement, by=global_admin, reason="bored")
    engagement.refresh_from_db()
    assert engagement.status == Engagement.Status.ACTIVE


@time_machine.travel(NOW, tick=False)
def test_ending_an_ended_engagement_is_refused_and_changes_nothing(engagement, global_admin):
    actions.do_mark_complete(engagement, by=global_admin)

    with pytest.raises(actions.AlreadyEnded, match="already ended"):
        actions.do_end_early(engagement, by=global_admin, reason="client_request")

    engagement.refresh_from_db()
    assert engagement.status == Engagement.Status.COMPLETED
    assert AuditEvent.objects.filter(engagement=engagement).count() == 1


def test_an_engagement_started_in_the_future_ends_on_its_start_day(engagement, global_admin):
    Engagement.objects.filter(pk=engagement.pk).update(started_on=dt.date(2026, 5, 1))
    with time_machine.travel(NOW, tick=False):
        actions.do_mark_complete(engagement, by=global_admin)
    engagement.refresh_from_db()
    assert engagement.ended_on == dt.date(2026, 5, 1)


# ---------------------------------------------------------------------------------------------
# The pages


@time_machine.travel(NOW, tick=False)
def test_confirmation_names_the_engagement_and_lists_what_will_be_cancelled(
        tracked, global_admin, client_for):
    response = client_for(global_admin).get(reverse("engagements:end_early", args=[tracked.pk]))

    content = response.content.decode()
    assert "<h1>End Cole Coachee's engagement early?</h1>" in content
    assert "Mon 20 Apr 2026" in content and "Mon 4 May 2026" in content
    assert "Fri 20 Mar 2026" not in content  # the past session stays as it is
    assert "Client left the organisation" in content  # the reasons to choose from
    assert 'method="post"' in content and "csrfmiddlewaretoken" in content
    tracked.refresh_from_db()
    assert tracked.status == Engagement.Status.ACTIVE  # GET changes nothing


@time_machine.travel(NOW, tick=False)
def test_ending_early_from_the_page_redirects_back_with_a_message(
        tracked, global_admin, client_for):
    client = client_for(global_admin)
    response = client.post(
        reverse("engagements:end_early", args=[tracked.pk]),
        {"reason": "goals_achieved_early", "note": "", "next": "/engagements/?status=active"},
        follow=True,
    )
    assert response.redirect_chain[0] == ("/engagements/?status=active", 302)
    assert "was ended early. 2 future scheduled events cancelled." in response.content.decode()
    tracked.refresh_from_db()
    assert tracked.end_reason == "goals_achieved_early"


@pytest.mark.parametrize("data, error", [
    ({}, "Choose a reason for ending early."),
    ({"reason": "nonsense"}, "Select a valid choice"),
    ({"reason": "other", "note": " "}, "Add a note explaining the reason"),
])
def test_bad_input_is_shown_on_the_confirmation_page(
        data, error, engagement, global_admin, client_for):
    response = client_for(global_admin).post(
        reverse("engagements:end_early", args=[engagement.pk]), data)
    assert response.status_code == 200
    assert error in response.content.decode()
    engagement.refresh_from_db()
    assert engagement.status == Engagement.Status.ACTIVE


def test_an_offsite_next_is_ignored(engagement, global_admin, client_for):
    response = client_for(global_admin).post(
        reverse("engagements:mark_complete", args=[engagement.pk]),
        {"next": "https://evil.example/"})
    assert response["Location"] == reverse("engagements:list")


@time_machine.travel(NOW, tick=False)
def test_ending_twice_from_the_page_says_it_has_already_ended(
        engagement, global_admin, client_for):
    client = client_for(global_admin)
    url = reverse("engagements:end_early", args=[engagement.pk])
    client.post(url, {"reason": "client_request"})

    response = client.post(url, {"reason": "no_response"}, follow=True)

    assert "has already ended (ended early on 11 Apr 2026)" in response.content.decode()
    engagement.refresh_from_db()
    assert engagement.end_reason == "client_request"
    page = client.get(url).content.decode()
    assert "has already ended" in page and "End early</button>" not in page
