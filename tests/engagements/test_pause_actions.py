"""
The pause actions (rule 9, engagements/actions.py): who may pause, request, approve and
decline; what is refused and why; each audited, re-evaluated at once and followed after
commit; and the issue's edge cases driven through the actions and the daily job.
"""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.http import Http404

from engagements import actions
from engagements.models import AuditEvent, EventStatus, Pause, Progress
from engagements.signals import engagement_change_committed
from tests import factories
from tracking.jobs import run_daily_evaluation
from tracking.models import ProgressTransition

D = dt.date
# 1 April 2026, 13:00 in London. The standing engagement started on 2 March, threshold 21
# days: with nothing else it is off track since 23 March.
pytestmark = pytest.mark.usefixtures("first_of_april")

MANAGERS = {"global_admin", "location_admin"}
READERS = {"coach", "provider_admin", "coachee"}
UNSEEN = {"other_location_admin", "other_admin"}


APRIL_1, APRIL_6, APRIL_10, APRIL_14 = D(2026, 4, 1), D(2026, 4, 6), D(2026, 4, 10), D(2026, 4, 14)


def _pause(engagement, by, first=APRIL_1, last=APRIL_14, reason="leave", **kw):
    return actions.do_pause_engagement(engagement, by=by, starts_on=first, ends_on=last,
                                       reason=reason, **kw)


def _request(engagement, by, first=APRIL_6, last=APRIL_10, reason="holiday"):
    return actions.do_request_pause(engagement, by=by, starts_on=first, ends_on=last,
                                    reason=reason, note="Family trip")


def _requested(engagement):
    return factories.PauseFactory(engagement=engagement, starts_on=D(2026, 4, 6),
                                  ends_on=D(2026, 4, 10), status=Pause.Status.REQUESTED,
                                  requested_by=engagement.coach)


def _approved(engagement):
    return factories.PauseFactory(engagement=engagement, starts_on=D(2026, 3, 30),
                                  ends_on=D(2026, 4, 10))


CASES = {
    "pause": (lambda e, by: _pause(e, by), MANAGERS),
    "change": (lambda e, by: actions.do_change_pause(
        _approved(e), by=by, starts_on=D(2026, 3, 30), ends_on=D(2026, 4, 20),
        reason="leave"), MANAGERS),
    "end": (lambda e, by: actions.do_end_pause(_approved(e), by=by), MANAGERS),
    "request": (lambda e, by: _request(e, by), {"coach"}),
    "approve": (lambda e, by: actions.do_approve_pause(_requested(e), by=by), MANAGERS),
    "decline": (lambda e, by: actions.do_decline_pause(_requested(e), by=by), MANAGERS),
}


@pytest.mark.parametrize("case", CASES)
def test_each_pause_action_per_role(case, engagement, roles):
    act, allowed = CASES[case]
    for name, user in roles.items():
        if user is None or name in allowed:
            continue
        before = AuditEvent.objects.count()
        # Administrators ask nobody: they pause. The coach asks.
        expected = Http404 if name in UNSEEN else PermissionDenied
        with pytest.raises(expected):
            act(engagement, user)
        assert AuditEvent.objects.count() == before, (case, name)
        Pause.objects.all().delete()
    for name in sorted(allowed):
        act(engagement, roles[name])
        assert AuditEvent.objects.filter(engagement=engagement, actor=roles[name]).exists()
        Pause.objects.all().delete()


@pytest.mark.parametrize("case", CASES)
def test_nothing_is_paused_once_the_engagement_has_ended(case, engagement, roles,
                                                        global_admin):
    act, allowed = CASES[case]
    actions.do_end_early(engagement, by=global_admin, reason="client_request")
    engagement.refresh_from_db()
    before = AuditEvent.objects.count()
    with pytest.raises(actions.ActionRefused, match="ended"):
        act(engagement, roles[sorted(allowed)[0]])
    assert AuditEvent.objects.count() == before


def test_pausing_today_shows_paused_at_once_audited_and_followed(
        engagement, global_admin, django_capture_on_commit_callbacks):
    committed = []

    def receiver(sender, action, engagement, changes, transition, **kwargs):
        committed.append((action, changes["pause"], transition))

    engagement_change_committed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            pause = _pause(engagement, global_admin, note="  Parental leave ")
    finally:
        engagement_change_committed.disconnect(receiver)
    assert (pause.status, pause.requested_by, pause.approved_by, pause.note) == (
        Pause.Status.APPROVED, global_admin, global_admin, "Parental leave")
    engagement.refresh_from_db()
    assert (engagement.progress, engagement.paused_until) == (Progress.PAUSED, D(2026, 4, 14))
    transition = ProgressTransition.objects.get(engagement=engagement, to_status=Progress.PAUSED)
    assert transition.cause == ProgressTransition.Cause.PAUSE
    audit = AuditEvent.objects.get(action=AuditEvent.Action.PAUSED)
    assert audit.changes == {"pause": pause.pk, "starts_on": "2026-04-01",
                             "ends_on": "2026-04-14", "reason": "leave",
                             "note": "Parental leave"}
    # The hook point for what follows (emails, webhooks): the same as every other action's.
    assert committed == [(AuditEvent.Action.PAUSED, pause.pk, transition)]


@pytest.mark.parametrize(("first", "last", "message"), [
    (D(2026, 4, 10), D(2026, 4, 9), "cannot end before it starts"),
    (D(2026, 4, 1), D(2026, 6, 30), "at most 90 days"),  # 91 days
    (D(2026, 3, 1), D(2026, 4, 5), "starts on 2 Mar 2026"),
    (D(2026, 3, 20), D(2026, 3, 31), "over already"),
])
def test_days_that_cannot_be_paused_are_refused_with_why(engagement, global_admin, first,
                                                         last, message):
    with pytest.raises(actions.ActionRefused, match=message):
        _pause(engagement, global_admin, first, last)
    assert not Pause.objects.exists() and not AuditEvent.objects.exists()


def test_ninety_days_is_the_longest_pause(engagement, global_admin):
    assert _pause(engagement, global_admin, D(2026, 4, 1), D(2026, 6, 29)).days == 90


def test_a_reason_off_the_list_is_refused(engagement, global_admin):
    with pytest.raises(actions.ActionRefused, match="valid choice"):
        _pause(engagement, global_admin, reason="sabbatical")


def test_overlapping_pauses_are_refused_with_a_clear_message(engagement, global_admin, coach):
    _pause(engagement, global_admin, D(2026, 4, 1), D(2026, 4, 14))
    with pytest.raises(actions.ActionRefused,
                       match="overlap the pause from 1 Apr 2026 to 14 Apr 2026"):
        _pause(engagement, global_admin, D(2026, 4, 14), D(2026, 4, 20))
    with pytest.raises(actions.ActionRefused, match="overlap the pause from"):
        _request(engagement, coach, D(2026, 4, 10), D(2026, 4, 12))
    # Touching is not overlapping.
    _pause(engagement, global_admin, D(2026, 4, 15), D(2026, 4, 20), reason="holiday")
    # A request holds its days too, until it is answered.
    request = _request(engagement, coach, D(2026, 5, 1), D(2026, 5, 5))
    with pytest.raises(actions.ActionRefused, match="answer that request first"):
        _pause(engagement, global_admin, D(2026, 5, 5), D(2026, 5, 9))
    actions.do_decline_pause(request, by=global_admin)
    _pause(engagement, global_admin, D(2026, 5, 5), D(2026, 5, 9))


def test_a_change_may_not_overlap_another_pause_but_may_keep_its_own_days(
        engagement, global_admin):
    first = _pause(engagement, global_admin, D(2026, 4, 1), D(2026, 4, 14))
    _pause(engagement, global_admin, D(2026, 4, 20), D(2026, 4, 24))
    with pytest.raises(actions.ActionRefused, match="overlap the pause from 20 Apr"):
        actions.do_change_pause(first, by=global_admin, starts_on=D(2026, 4, 1),
                                ends_on=D(2026, 4, 21), reason="leave")
    changed = actions.do_change_pause(first, by=global_admin, starts_on=D(2026, 4, 1),
                                      ends_on=D(2026, 4, 19), reason="other", note="Longer")
    assert (changed.ends_on, changed.reason, changed.note) == (D(2026, 4, 19), "other",
                                                               "Longer")
    engagement.refresh_from_db()
    assert engagement.paused_until == D(2026, 4, 19)
    audit = AuditEvent.objects.get(action=AuditEvent.Action.PAUSE_CHANGED)
    assert audit.changes["before"]["ends_on"] == "2026-04-14"
    assert audit.changes["ends_on"] == "2026-04-19"


def test_a_begun_pause_keeps_its_past_days(engagement, global_admin):
    pause = factories.PauseFactory(engagement=engagement, starts_on=D(2026, 3, 28),
                                   ends_on=D(2026, 4, 10))
    with pytest.raises(actions.ActionRefused, match="has begun"):
        actions.do_change_pause(pause, by=global_admin, starts_on=D(2026, 4, 3),
                                ends_on=D(2026, 4, 10), reason="leave")


def test_ending_a_pause_early_resumes_tracking_today(engagement, global_admin):
    pause = _pause(engagement, global_admin, D(2026, 3, 25), D(2026, 4, 30))
    engagement.refresh_from_db()
    assert engagement.progress == Progress.PAUSED
    ended = actions.do_end_pause(pause, by=global_admin)
    assert (ended.status, ended.ends_on) == (Pause.Status.APPROVED, D(2026, 3, 31))
    engagement.refresh_from_db()
    # 2 Mar + 21 days = 23 Mar: before the pause, so it resumes off track, since 23 Mar.
    assert (engagement.progress, engagement.off_track_since) == (Progress.OFF_TRACK,
                                                                D(2026, 3, 23))
    assert AuditEvent.objects.get(action=AuditEvent.Action.PAUSE_ENDED).changes[
        "planned_ends_on"] == "2026-04-30"
    with pytest.raises(actions.ActionRefused, match="already over"):
        actions.do_end_pause(pause, by=global_admin)


def test_ending_a_pause_that_has_not_begun_cancels_it(engagement, global_admin):
    pause = _pause(engagement, global_admin, D(2026, 4, 5), D(2026, 4, 9))
    assert actions.do_end_pause(pause, by=global_admin).status == Pause.Status.CANCELLED
    # Its days are free again.
    _pause(engagement, global_admin, D(2026, 4, 5), D(2026, 4, 9))


def test_a_request_waits_for_an_administrator_then_pauses(engagement, coach, global_admin):
    request = _request(engagement, coach, D(2026, 4, 1), D(2026, 4, 3))
    assert (request.status, request.requested_by) == (Pause.Status.REQUESTED, coach)
    engagement.refresh_from_db()
    assert engagement.progress != Progress.PAUSED  # not until it is approved
    approved = actions.do_approve_pause(request, by=global_admin)
    assert (approved.status, approved.approved_by) == (Pause.Status.APPROVED, global_admin)
    engagement.refresh_from_db()
    assert (engagement.progress, engagement.paused_until) == (Progress.PAUSED, D(2026, 4, 3))
    with pytest.raises(actions.ActionRefused, match="already been answered"):
        actions.do_decline_pause(request, by=global_admin)
    assert [e.action for e in AuditEvent.objects.order_by("pk")] == [
        AuditEvent.Action.PAUSE_REQUESTED, AuditEvent.Action.PAUSE_APPROVED]


def test_a_declined_request_pauses_nothing(engagement, coach, global_admin):
    request = _request(engagement, coach)
    declined = actions.do_decline_pause(request, by=global_admin)
    assert declined.status == Pause.Status.DECLINED
    engagement.refresh_from_db()
    assert engagement.progress != Progress.PAUSED
    with pytest.raises(actions.ActionRefused, match="already been answered"):
        actions.do_approve_pause(request, by=global_admin)


def test_a_request_that_came_to_overlap_is_not_approved(engagement, coach, global_admin):
    request = _requested(engagement)
    # Approved pauses never overlap: one set in the meantime (here, by hand) blocks it.
    factories.PauseFactory(engagement=engagement, starts_on=D(2026, 4, 8),
                           ends_on=D(2026, 4, 12))
    with pytest.raises(actions.ActionRefused, match="overlap the pause from 8 Apr"):
        actions.do_approve_pause(request, by=global_admin)
    request.refresh_from_db()
    assert request.status == Pause.Status.REQUESTED


# The edge cases, through the actions and the daily job --------------------------------


def _daily(engagement, day):
    with time_machine.travel(dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC), tick=False):
        run_daily_evaluation(engagement.company, day)
    engagement.refresh_from_db()
    return engagement


def _at(day, hour=12):
    return time_machine.travel(dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC),
                               tick=False)


def test_a_pause_over_the_threshold_day_moves_the_day_past_the_pause(engagement,
                                                                    global_admin):
    with _at(D(2026, 3, 20)):
        _pause(engagement, global_admin, D(2026, 3, 20), D(2026, 3, 26))
    engagement.refresh_from_db()
    assert engagement.progress == Progress.PAUSED
    assert _daily(engagement, D(2026, 3, 23)).progress == Progress.PAUSED
    e = _daily(engagement, D(2026, 3, 27))
    assert (e.progress, e.goes_off_track_on) == (Progress.ON_TRACK, D(2026, 3, 30))
    e = _daily(engagement, D(2026, 3, 30))
    assert (e.progress, e.off_track_since) == (Progress.OFF_TRACK, D(2026, 3, 30))


def test_a_pause_ended_early_counts_only_the_days_it_paused(engagement, global_admin):
    with _at(D(2026, 3, 10)):
        pause = _pause(engagement, global_admin, D(2026, 3, 10), D(2026, 4, 30))
    with _at(D(2026, 3, 15)):
        actions.do_end_pause(pause, by=global_admin)
    engagement.refresh_from_db()
    # 10-14 Mar paused: 2 Mar + 21 + 5 = 28 Mar.
    assert (engagement.progress, engagement.goes_off_track_on) == (Progress.ON_TRACK,
                                                                  D(2026, 3, 28))
    assert _daily(engagement, D(2026, 3, 28)).off_track_since == D(2026, 3, 28)


def test_two_pauses_both_push_the_threshold_back(engagement, global_admin):
    with _at(D(2026, 3, 4)):
        _pause(engagement, global_admin, D(2026, 3, 5), D(2026, 3, 6))
        _pause(engagement, global_admin, D(2026, 3, 20), D(2026, 3, 24), reason="holiday")
    e = _daily(engagement, D(2026, 3, 25))
    assert (e.progress, e.goes_off_track_on) == (Progress.ON_TRACK, D(2026, 3, 30))
    assert _daily(engagement, D(2026, 3, 30)).off_track_since == D(2026, 3, 30)


def test_a_session_scheduled_during_a_pause_keeps_it_paused(engagement, global_admin, coach):
    with _at(D(2026, 3, 10)):
        _pause(engagement, global_admin, D(2026, 3, 10), D(2026, 3, 20))
    with _at(D(2026, 3, 12)):
        actions.do_schedule_session(engagement, by=coach,
                                    starts_at=dt.datetime(2026, 3, 18, 9, tzinfo=dt.UTC))
    engagement.refresh_from_db()
    assert (engagement.progress, engagement.next_event_on) == (Progress.PAUSED, D(2026, 3, 18))
    e = _daily(engagement, D(2026, 3, 21))
    # The session is activity; 19-20 Mar were paused: 18 Mar + 21 + 2.
    assert (e.progress, e.last_activity_on, e.goes_off_track_on) == (
        Progress.ON_TRACK, D(2026, 3, 18), D(2026, 4, 10))


def test_a_pause_across_a_dst_change_counts_company_local_days(global_admin, engagement,
                                                               coach):
    # London moves to BST on 29 Mar 2026. A pause of 25 Mar - 2 Apr set on 24 Mar; a session
    # held at 23:30 UTC on 2 Apr is 00:30 on 3 Apr in London: after the pause.
    assert engagement.company.timezone == "Europe/London"
    with _at(D(2026, 3, 24)):
        _pause(engagement, global_admin, D(2026, 3, 25), D(2026, 4, 2))
    assert _daily(engagement, D(2026, 4, 2)).progress == Progress.PAUSED
    factories.SessionFactory(engagement=engagement, status=EventStatus.COMPLETED,
                             starts_at=dt.datetime(2026, 4, 2, 23, 30, tzinfo=dt.UTC))
    # The pause's end: the action's "today" is London's 3 Apr at 23:30 UTC on 2 Apr.
    with time_machine.travel(dt.datetime(2026, 4, 2, 23, 45, tzinfo=dt.UTC), tick=False):
        assert engagement.company.local_today() == D(2026, 4, 3)
        with pytest.raises(actions.ActionRefused, match="already over"):
            actions.do_end_pause(Pause.objects.get(), by=global_admin)
    e = _daily(engagement, D(2026, 4, 3))
    assert (e.progress, e.last_activity_on, e.goes_off_track_on) == (
        Progress.ON_TRACK, D(2026, 4, 3), D(2026, 4, 24))
