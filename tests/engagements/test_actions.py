"""
The actions (engagements/actions.py), called directly: each per role (allowed or refused as
the gate says), re-evaluated at once, audited, and refused once the engagement has ended.
"""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from engagements import actions
from engagements.models import AuditEvent, Engagement, EventStatus, Progress
from engagements.signals import engagement_change_committed, engagement_changed
from tests import factories
from tests.engagements.conftest import NOW
from tracking.models import ProgressTransition

# 1 April 2026, 13:00 in London. The standing engagement started on 2 March, threshold 21 days:
# with nothing else it is off track since 23 March.
pytestmark = pytest.mark.usefixtures("first_of_april")
LATER = dt.datetime(2026, 4, 10, 9, tzinfo=dt.UTC)
EARLIER = dt.datetime(2026, 3, 25, 9, tzinfo=dt.UTC)

MANAGERS = {"global_admin", "location_admin"}
COACH_TOO = MANAGERS | {"coach"}
READERS = {"coach", "provider_admin", "coachee"}  # see the engagement, may not change it
UNSEEN = {"other_location_admin", "other_admin"}


@pytest.fixture
def matching(owner_company, location, global_admin, coachee):
    return factories.EngagementFactory(company=owner_company, location=location,
                                       owner=global_admin, coachee=coachee, matching=True)


@pytest.fixture
def draft(owner_company, location, global_admin, coachee, coach):
    # The provider's coach may coach here: they already coach one of the company's.
    factories.EngagementFactory(company=owner_company, owner=global_admin, coach=coach)
    return factories.EngagementFactory(
        company=owner_company, location=location, owner=global_admin, coachee=coachee,
        coach=coach, status=Engagement.Status.DRAFT, started_on=None, launched_at=None,
        tracking_threshold_days=None, offtrack_notifications_enabled=False)


def _session(engagement, starts_at=LATER):
    return factories.SessionFactory(engagement=engagement, starts_at=starts_at)


def _call(engagement, starts_at=LATER):
    return factories.DiscoveryCallFactory(engagement=engagement, starts_at=starts_at)


# Each case: (name, the fixture it acts on, a call of the action, the roles allowed).
CASES = {
    "schedule_session": ("engagement", lambda e, by: actions.do_schedule_session(
        e, by=by, starts_at=LATER), COACH_TOO),
    "move_session": ("engagement", lambda e, by: actions.do_move_session(
        _session(e), by=by, starts_at=LATER + dt.timedelta(days=1)), COACH_TOO),
    "cancel_session": ("engagement", lambda e, by: actions.do_cancel_session(
        _session(e), by=by, reason="Coachee ill"), COACH_TOO),
    "complete_session": ("engagement", lambda e, by: actions.do_complete_session(
        _session(e, EARLIER), by=by), COACH_TOO),
    "schedule_call": ("matching", lambda e, by: actions.do_schedule_discovery_call(
        e, by=by, starts_at=LATER,
        coach=factories.UserFactory(company=e.company, is_coach=True)), MANAGERS),
    "move_call": ("matching", lambda e, by: actions.do_move_discovery_call(
        _call(e), by=by, starts_at=LATER + dt.timedelta(days=1)), MANAGERS),
    "cancel_call": ("matching", lambda e, by: actions.do_cancel_discovery_call(
        _call(e), by=by), MANAGERS),
    "complete_call": ("matching", lambda e, by: actions.do_complete_discovery_call(
        _call(e, EARLIER), by=by), MANAGERS),
    "select_coach": ("matching", lambda e, by: actions.do_select_coach(
        e, by=by, coach=factories.UserFactory(company=e.company, is_coach=True)), MANAGERS),
    "edit": ("engagement", lambda e, by: actions.do_edit_engagement(
        e, by=by, started_on=dt.date(2026, 3, 9)), MANAGERS),
    "launch": ("draft", lambda e, by: actions.do_launch_engagement(e, by=by), MANAGERS),
    "end_early": ("engagement", lambda e, by: actions.do_end_early(
        e, by=by, reason="client_request"), MANAGERS),
    "mark_complete": ("engagement", lambda e, by: actions.do_mark_complete(e, by=by), MANAGERS),
}


@pytest.mark.parametrize("case", CASES)
def test_each_action_per_role(case, request, roles):
    fixture, act, allowed = CASES[case]
    target = request.getfixturevalue(fixture)
    for name, user in roles.items():
        if user is None:
            continue
        before = AuditEvent.objects.count()
        if name in allowed:
            continue
        # Without a coach, a coach-matching engagement is seen by neither the standing coach
        # nor their company's administrator.
        unseen = UNSEEN | ({"coach", "provider_admin"} if fixture == "matching" else set())
        expected = Http404 if name in unseen else PermissionDenied
        with pytest.raises(expected):
            act(target, user)
        assert AuditEvent.objects.count() == before, (case, name)
    # The last allowed role acts (the first would change what the next one finds).
    name = sorted(allowed)[-1]
    act(target, roles[name])
    assert AuditEvent.objects.filter(engagement=target, actor=roles[name]).exists()


# A draft is never ended (it is launched first), so its cases are not here.
@pytest.mark.parametrize("case", [case for case in CASES if CASES[case][0] != "draft"])
def test_nothing_changes_once_the_engagement_has_ended(case, request, global_admin):
    fixture, act, _ = CASES[case]
    target = request.getfixturevalue(fixture)
    actions.do_end_early(target, by=global_admin, reason="client_request")
    target.refresh_from_db()
    before = AuditEvent.objects.count()
    with pytest.raises(actions.ActionRefused, match="ended"):
        act(target, global_admin)
    assert AuditEvent.objects.count() == before


def test_a_session_moved_to_its_real_earlier_day_turns_it_off_track_at_once(
        engagement, coach):
    session = actions.do_schedule_session(engagement, by=coach, starts_at=LATER)
    engagement.refresh_from_db()
    assert engagement.progress == Progress.ON_TRACK

    actions.do_move_session(session, by=coach, starts_at=NOW - dt.timedelta(days=25))
    engagement.refresh_from_db()
    assert engagement.progress == Progress.OFF_TRACK
    assert engagement.off_track_since == dt.date(2026, 3, 28)
    assert ProgressTransition.objects.filter(
        engagement=engagement, cause=ProgressTransition.Cause.SESSION).count() == 2
    moved = AuditEvent.objects.get(action=AuditEvent.Action.SESSION_MOVED)
    assert moved.changes["to"].startswith("2026-03-07")


def test_cancelling_a_future_session_counts_its_day_as_activity(engagement, global_admin):
    session = _session(engagement)
    cancelled = actions.do_cancel_session(session, by=global_admin, reason="Coach ill")
    assert cancelled.status == EventStatus.CANCELLED and cancelled.cancelled_at == NOW
    assert cancelled.cancel_reason == "Coach ill"
    engagement.refresh_from_db()
    # Nothing scheduled ahead, but the cancellation today is activity: on track again.
    assert engagement.progress == Progress.ON_TRACK
    assert engagement.last_activity_on == dt.date(2026, 4, 1)
    audit = AuditEvent.objects.get(action=AuditEvent.Action.SESSION_CANCELLED)
    assert audit.changes["reason"] == "Coach ill"


def test_a_session_is_held_only_once_it_has_started(engagement, coach):
    with pytest.raises(actions.ActionRefused, match="still to come"):
        actions.do_complete_session(_session(engagement), by=coach)
    held = actions.do_complete_session(_session(engagement, EARLIER), by=coach)
    assert held.status == EventStatus.COMPLETED
    engagement.refresh_from_db()
    assert engagement.progress == Progress.ON_TRACK
    assert engagement.last_activity_on == dt.date(2026, 3, 25)
    with pytest.raises(actions.ActionRefused, match="Only a scheduled session"):
        actions.do_cancel_session(held, by=coach)


def test_a_cancelled_session_is_not_moved(engagement, coach):
    session = actions.do_cancel_session(_session(engagement), by=coach)
    with pytest.raises(actions.ActionRefused, match="cancelled"):
        actions.do_move_session(session, by=coach, starts_at=LATER)


def test_an_event_before_the_start_is_refused(engagement, coach):
    with pytest.raises(actions.ActionRefused, match="started on 2 Mar 2026"):
        actions.do_schedule_session(engagement, by=coach,
                                    starts_at=dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC))


def test_selecting_a_coach_activates_and_is_tracked_on_sessions(matching, global_admin):
    coach = factories.UserFactory(company=matching.company, is_coach=True)
    actions.do_select_coach(matching, by=global_admin, coach=coach)
    matching.refresh_from_db()
    assert matching.status == Engagement.Status.ACTIVE and matching.coach == coach
    assert matching.coach_selection.selected_on == dt.date(2026, 4, 1)
    assert matching.progress == Progress.ON_TRACK
    with pytest.raises(actions.ActionRefused, match="before one is chosen"):
        actions.do_select_coach(matching, by=global_admin, coach=coach)


def test_a_coach_of_another_tenant_is_refused(matching, global_admin, other_admin):
    with pytest.raises(actions.ActionRefused, match="may coach in this company"):
        actions.do_select_coach(matching, by=global_admin, coach=other_admin)


def test_editing_audits_re_evaluates_and_keeps_the_snapshot(engagement, global_admin,
                                                            owner_company, location):
    engagement.template.tracking_threshold_days = 90
    engagement.template.save()
    new_owner = factories.UserFactory(company=owner_company, administered_locations=[location])
    actions.do_edit_engagement(engagement, by=global_admin, owner=new_owner,
                               started_on=dt.date(2026, 3, 20))
    engagement.refresh_from_db()
    assert engagement.owner == new_owner and engagement.started_on == dt.date(2026, 3, 20)
    assert engagement.tracking_threshold_days == 21  # the snapshot, not the template
    assert engagement.progress == Progress.ON_TRACK  # 12 days since the new start
    audit = AuditEvent.objects.get(action=AuditEvent.Action.EDITED)
    assert audit.changes["started_on"] == ["2026-03-02", "2026-03-20"]
    assert audit.changes["owner"] == ["Ada Admin", str(new_owner)]
    assert ProgressTransition.objects.get().cause == ProgressTransition.Cause.EDIT


def test_a_location_admin_cannot_edit_an_engagement_out_of_their_scope(
        engagement, location_admin, other_location):
    with pytest.raises(PermissionDenied):
        actions.do_edit_engagement(engagement, by=location_admin, location=other_location)
    engagement.refresh_from_db()
    assert engagement.location.name == "London"
    assert not AuditEvent.objects.exists()


def test_the_owner_must_be_an_administrator_of_the_company(engagement, global_admin, coachee,
                                                           other_admin):
    for owner in (coachee, other_admin):
        with pytest.raises(actions.ActionRefused, match="owner"):
            actions.do_edit_engagement(engagement, by=global_admin, owner=owner)


def test_a_draft_is_created_then_launched_on_its_planned_day(
        global_admin, owner_company, location, coachee, coach, draft):
    template = draft.template
    planned = actions.do_create_draft(
        template, by=global_admin, coachee=coachee, coach=coach, owner=global_admin,
        location=location, started_on=dt.date(2026, 4, 6))
    assert planned.status == Engagement.Status.DRAFT
    assert planned.tracking_threshold_days is None  # the snapshot is taken at launch
    assert planned.audit_events.get().action == AuditEvent.Action.DRAFT_CREATED

    launched = actions.do_launch_engagement(planned, by=global_admin)
    launched.refresh_from_db()
    assert launched.status == Engagement.Status.ACTIVE
    assert launched.started_on == dt.date(2026, 4, 6)
    assert launched.tracking_threshold_days == template.tracking_threshold_days
    with pytest.raises(actions.ActionRefused, match="Only a draft"):
        actions.do_launch_engagement(planned, by=global_admin)


def test_a_draft_with_a_passed_start_is_not_launched(draft, global_admin):
    Engagement.objects.filter(pk=draft.pk).update(started_on=dt.date(2026, 3, 30))
    with pytest.raises(actions.ActionRefused, match="has passed"):
        actions.do_launch_engagement(draft, by=global_admin)


def test_only_company_administrators_create_drafts(draft, coach, coachee, other_admin,
                                                   global_admin):
    for user in (coach, coachee, other_admin):
        with pytest.raises(Http404):
            actions.do_create_draft(draft.template, by=user, coachee=coachee, coach=None,
                                    owner=global_admin)


def test_what_follows_is_sent_only_after_commit(engagement, coach,
                                                django_capture_on_commit_callbacks):
    seen = []

    def inside(sender, action, **kwargs):
        seen.append(("inside", action))

    def after(sender, action, **kwargs):
        seen.append(("after", action))

    engagement_changed.connect(inside)
    engagement_change_committed.connect(after)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            actions.do_schedule_session(engagement, by=coach, starts_at=LATER)
            assert seen == [("inside", AuditEvent.Action.SESSION_SCHEDULED)]
    finally:
        engagement_changed.disconnect(inside)
        engagement_change_committed.disconnect(after)
    assert seen[-1] == ("after", AuditEvent.Action.SESSION_SCHEDULED)
