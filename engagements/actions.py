"""
The one write path: every change to an engagement, its sessions, its discovery calls, its
coach selection, its goals and its message thread is one function here, named for the change
(Zulip's `zerver/actions/`). Views, forms, the Django admin and management commands call
these; nothing else writes those models (tests/engagements/test_write_path.py scans the
source for it).

Every action does the same steps, in this order, inside one transaction:
  1. permission: the engagement is read through the gate (`restrict`), so an engagement
     the actor does not see answers 404 (Http404); one they see but may not change this way,
     403 (PermissionDenied) — see `check`;
  2. lock: the engagement row, SELECT ... FOR UPDATE. Every change to an engagement or its
     events takes this lock first, so ending, scheduling and editing serialise: a session
     cannot slip into an engagement that is being ended;
  3. validate, under the lock: nothing changes once the engagement has ended
     (EngagementEnded), nor when its status does not allow it (ActionRefused); the messages
     are for the person who tried;
  4. save;
  5. audit (AuditEvent);
  6. re-evaluate progress at once (tracking.evaluation.evaluate_engagement, rule 6);
  7. billing: the action says what changed for the days an engagement counts on
     (`engagements_status_changed`, `engagement_start_moved`, `engagement_people_changed`;
     reports/ keeps the Billing page's stored days true with them), then `engagement_changed`;
  8. what follows after commit (`engagement_change_committed`, via transaction.on_commit).

`by` is the user acting. Staff working in the Django admin act through the same functions:
a staff user with the admin's change permission on engagements may change any engagement
(`is_staff_editor`).
"""

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, DateField, Value
from django.db.models.functions import Greatest
from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from engagements import people
from engagements.lifecycle_forms import EndEarlyForm
from engagements.models import (
    ACTIVE_STATUSES,
    GOAL_DETAIL_MAX,
    GOAL_TITLE_MAX,
    MESSAGE_MAX,
    AuditEvent,
    CoachSelection,
    DiscoveryCall,
    Engagement,
    EventStatus,
    Goal,
    Message,
    Pause,
    Session,
)
from engagements.pause_forms import PauseForm
from engagements.signals import (
    Batch,
    engagement_change_committed,
    engagement_changed,
    engagement_people_changed,
    engagement_start_moved,
    engagements_status_changed,
)
from tracking.evaluation import evaluate_engagement
from tracking.models import ProgressTransition

Status = Engagement.Status
Cause = ProgressTransition.Cause
Action = AuditEvent.Action

RELATED = ("company", "coachee", "coach", "owner", "template", "location", "ended_by")


# ---------------------------------------------------------------------------------------------
# Refusals


class ActionRefused(Exception):
    """The change is not possible now; the message says why, for the person who tried."""


class EngagementEnded(ActionRefused):
    """Nothing can be scheduled or changed in an engagement that has ended."""


class EndingRefused(ActionRefused):
    """The engagement cannot be ended (a bad reason, or it has already ended)."""


class AlreadyEnded(EndingRefused):
    pass


REFUSED_MESSAGE = gettext_lazy("Only the administrators responsible for this engagement can "
                               "end it early or mark it complete.")


@dataclass(frozen=True)
class Rule:
    """Who may do something to an engagement, and in which of its statuses."""

    statuses: tuple
    not_now: str
    ended: str = gettext_lazy("This engagement has ended: it can no longer be changed.")
    coach_may: bool = False  # its coach may, besides the administrators who manage it
    coachee_may: bool = False  # its coachee may (booking with their coach)
    managers_may: bool = True  # the administrators who manage it may
    refused: str = gettext_lazy("You may read this engagement, not change it.")
    condition: object = None  # callable(engagement) -> bool, checked with the status


SCHEDULE_SESSION = Rule(
    (Status.ACTIVE,), coach_may=True,
    not_now=gettext_lazy("Sessions can be scheduled only while the engagement is active."),
    ended=gettext_lazy("This engagement has ended: nothing more can be scheduled in it."),
    refused=gettext_lazy("You may read this engagement, not schedule in it."))
CHANGE_SESSION = Rule(
    (Status.ACTIVE,), coach_may=True,
    not_now=gettext_lazy("Sessions can be changed only while the engagement is active."),
    ended=gettext_lazy("This engagement has ended: its sessions can no longer be changed."),
    refused=gettext_lazy("Only the coach and the administrators responsible may change its "
                         "sessions."))
WRITE_NOTES = Rule(
    (Status.ACTIVE,), coach_may=True, managers_may=False,
    not_now=gettext_lazy("Session notes can be written only while the engagement is active."),
    ended=gettext_lazy("This engagement has ended: its notes stay readable, and nothing new can be "
                       "added."),
    refused=gettext_lazy("Only the coach writes session notes."))
# The coachee books sessions with their coach, and cancels their own sessions still to come
# (DESIGN.md, "Running a programme"). Their own rules: only ahead of now (the coach and the
# administrators also record what already happened), and only as the engagement's coachee —
# not as an administrator, who schedules through SCHEDULE_SESSION.
BOOK_SESSION = Rule(
    (Status.ACTIVE,), coachee_may=True, managers_may=False,
    not_now=_("Sessions can be booked once your coach is chosen and the engagement is "
              "active."),
    ended=_("This engagement has ended: nothing more can be booked in it."),
    refused=_("Only the coachee of this engagement books sessions in it."))
CANCEL_BOOKING = Rule(
    (Status.ACTIVE,), coachee_may=True, managers_may=False,
    not_now=_("Sessions can be cancelled only while the engagement is active."),
    ended=_("This engagement has ended: its sessions can no longer be changed."),
    refused=_("Only the coachee of this engagement cancels their sessions here."))
SCHEDULE_CALL = Rule(
    (Status.COACH_MATCHING,),
    not_now=gettext_lazy("Discovery calls can be scheduled only during coach matching."),
    ended=gettext_lazy("This engagement has ended: nothing more can be scheduled in it."),
    refused=gettext_lazy("You may read this engagement, not schedule in it."))
CHANGE_CALL = Rule(
    (Status.COACH_MATCHING,),
    not_now=gettext_lazy("Discovery calls can be changed only during coach matching."),
    ended=gettext_lazy("This engagement has ended: its discovery calls can no longer be changed."),
    refused=gettext_lazy("Only the administrators responsible may change its discovery calls."))
SELECT_COACH = Rule(
    (Status.COACH_MATCHING,), condition=lambda engagement: engagement.coach_id is None,
    not_now=gettext_lazy("A coach can be selected only during coach matching, before one is "
                         "chosen."),
    refused=gettext_lazy("You may read this engagement, not select its coach."))
EDIT = Rule(
    (Status.DRAFT, Status.COACH_MATCHING, Status.ACTIVE),
    not_now=gettext_lazy("This engagement cannot be edited now."),
    refused=gettext_lazy("Only the administrators responsible for this engagement may edit it."))
LAUNCH = Rule(
    (Status.DRAFT,), not_now=gettext_lazy("Only a draft can be launched; this one has been "
                                          "launched."),
    refused=gettext_lazy("Only the administrators responsible for this engagement may launch it."))

# Goals and the message thread: from the launch to the end (a coach-matching engagement has
# its coachee and its administrators before it has a coach).
WRITE_GOALS = Rule(
    (Status.ACTIVE, Status.COACH_MATCHING), coach_may=True, coachee_may=True,
    managers_may=False,
    not_now=_("Goals can be set once the engagement is launched."),
    ended=_("This engagement has ended: its goals stay readable, and nothing new can be "
            "added."),
    refused=_("Only the coach and the coachee set goals; administrators read them."))
POST_MESSAGE = Rule(
    (Status.ACTIVE, Status.COACH_MATCHING), coach_may=True, coachee_may=True,
    not_now=_("Messages can be written once the engagement is launched."),
    ended=_("This engagement has ended: its messages stay readable, and nothing new can be "
            "added."),
    refused=_("Only the coachee, the coach and the administrators responsible write in this "
              "thread."))


def is_participant(user, engagement):
    """
    Whether `user` reads `engagement`'s goals and message thread: its coachee, its coach and
    the administrators who manage it (`can_manage`, from the gate). A coaching provider's
    administrator sees the engagement's row but takes no part in it: coaching is between the
    coachee, the coach and the client company, so they read neither (like session notes).
    """
    if not getattr(user, "is_authenticated", False):
        return False
    if user.pk in (engagement.coachee_id, engagement.coach_id):
        return True
    can_manage = getattr(engagement, "can_manage", None)
    if can_manage is None:  # an engagement that did not come through the gate
        can_manage = _scope(user).filter(pk=engagement.pk, can_manage=True).exists()
    return bool(can_manage)


def is_staff_editor(user):
    """Staff in the Django admin with the permission to change engagements: any engagement."""
    return bool(user and user.is_active and user.is_staff
                and user.has_perm("engagements.change_engagement"))


def _scope(by):
    if is_staff_editor(by):
        return Engagement.objects.annotate(can_manage=Value(True), sees_progress=Value(True))
    return Engagement.objects.restrict(by)


def engagement_for(by, pk):
    """The engagement as `by` sees it (with `can_manage`), or Http404: for pages and checks."""
    engagement = _scope(by).select_related(*RELATED).filter(pk=pk).first()
    if engagement is None:
        raise Http404("No such engagement.")
    return engagement


def check(by, engagement, rule):
    """
    Raise unless `by` may do what `rule` describes to `engagement` now: EngagementEnded
    (to anyone who sees it: it is a fact about the engagement), then PermissionDenied (they
    only read it), then ActionRefused (they may, but not in its present status).
    """
    if engagement.is_ended:
        raise EngagementEnded(rule.ended)
    if not ((rule.managers_may and engagement.can_manage)
            or (rule.coach_may and by.pk == engagement.coach_id)
            or (rule.coachee_may and by.pk == engagement.coachee_id)):
        raise PermissionDenied(rule.refused)
    if engagement.status not in rule.statuses or (rule.condition
                                                  and not rule.condition(engagement)):
        raise ActionRefused(rule.not_now)


def may(by, engagement, rule):
    """Whether `check` would let `by` do it: what a page offers."""
    try:
        check(by, engagement, rule)
    except (ActionRefused, PermissionDenied):
        return False
    return True


def _lock(by, engagement_or_pk, rule=None):
    """Steps 1 to 3's start: the engagement, locked, through `by`'s scope, checked."""
    pk = getattr(engagement_or_pk, "pk", engagement_or_pk)
    engagement = (_scope(by).select_for_update(of=("self",)).select_related(*RELATED)
                  .filter(pk=pk).first())
    if engagement is None:
        raise Http404("No such engagement.")
    if rule is not None:
        check(by, engagement, rule)
    return engagement


def _lock_event(model, event_or_pk, by, rule):
    """The engagement of a session or discovery call, locked and checked; then the event."""
    pk = getattr(event_or_pk, "pk", event_or_pk)
    engagement_id = model.objects.filter(pk=pk).values_list("engagement_id", flat=True).first()
    if engagement_id is None:
        raise Http404("No such event.")
    engagement = _lock(by, engagement_id, rule)
    # Read after the lock: every change to an event takes its engagement's lock first.
    return engagement, model.objects.get(pk=pk)


def _audit(action, by, engagement, **changes):
    return AuditEvent.record(action, actor=by, company=engagement.company,
                             engagement=engagement, **changes)


def _follow(action, by, engagement, *, transition=None, changes=None, event=None,
            batch=None):
    """
    Steps 7 and 8: tell billing (and any receiver) now, and what follows after commit.
    `event` is the session or discovery call the action changed, if any (webhooks and
    calendar invitations name it). An action that changes many engagements or events at
    once passes the same `batch` (a `Batch`) to each of its calls, then closes it: receivers
    keep in it what they would otherwise look up again for each (the company's webhook
    endpoints) and write once for all what they would write for each (webhook events).
    """
    changes = changes or {}
    engagement_changed.send(sender=Engagement, action=action, engagement=engagement, by=by,
                            changes=changes, transition=transition, event=event, batch=batch)
    transaction.on_commit(lambda: engagement_change_committed.send(
        sender=Engagement, action=action, engagement=engagement, by=by, changes=changes,
        transition=transition, event=event))


def _now(now):
    return now or timezone.now()


def _evaluate(engagement, cause, now):
    """Step 6. `now` is the moment of the change (a back-dated one when loading history)."""
    today = engagement.company.local_today(now) if now else None
    return evaluate_engagement(engagement, cause=cause, today=today)


# ---------------------------------------------------------------------------------------------
# Sessions and discovery calls


def validate_start(engagement, starts_at):
    """Raise ActionRefused when an event of `engagement` may not start at `starts_at`."""
    started = engagement.started_on
    if started and timezone.localtime(starts_at, engagement.company.tzinfo).date() < started:
        raise ActionRefused(_("The engagement started on %(day)s; choose that day or later.")
                            % {"day": date_format(started, "j M Y")})


def _local(event):
    return event.starts_at.isoformat()


def validate_ahead(starts_at, now=None):
    """Raise ActionRefused unless `starts_at` is still to come: what a coachee may book."""
    if starts_at <= _now(now):
        raise ActionRefused(_t("Choose a day and time still to come."))


@transaction.atomic
def do_schedule_session(engagement, *, by, starts_at, duration_minutes=60, now=None,
                        calendar_feed=None, calendar_uid=""):
    """
    Schedule a session. `calendar_feed` and `calendar_uid`: it was booked outside Optify, and
    read from that connected calendar (engagements/calendars.py).
    """
    engagement = _lock(by, engagement, SCHEDULE_SESSION)
    return _create_session(engagement, by=by, starts_at=starts_at,
                           duration_minutes=duration_minutes, now=now,
                           calendar_feed=calendar_feed, calendar_uid=calendar_uid)


@transaction.atomic
def do_schedule_sessions_from_calendar(engagement, *, by, calendar_feed, occurrences,
                                       now=None):
    """
    Schedule the sessions a connected calendar brought for one engagement (its first read
    brings a series' every occurrence): `occurrences` is [(calendar_uid, starts_at,
    duration_minutes)]. One lock and one evaluation for all of them, each audited and
    followed as `do_schedule_session` does. Returns (sessions, refused): the occurrences this
    engagement refuses (before its start) are skipped, with their messages.
    """
    engagement = _lock(by, engagement, SCHEDULE_SESSION)
    sessions, refused = [], []
    for calendar_uid, starts_at, duration_minutes in occurrences:
        try:
            validate_start(engagement, starts_at)
        except ActionRefused as refusal:
            refused.append((calendar_uid, str(refusal)))
            continue
        session = Session.objects.create(engagement=engagement, starts_at=starts_at,
                                         duration_minutes=duration_minutes,
                                         calendar_feed=calendar_feed, calendar_uid=calendar_uid)
        _audit(Action.SESSION_SCHEDULED, by, engagement, starts_at=_local(session),
               from_calendar=True)
        sessions.append(session)
    if sessions:
        # Their evaluation together comes to what one after the other would end with: the
        # progress depends on the set of events, not on the order they arrived in.
        transition = _evaluate(engagement, Cause.SESSION, now)
        batch = Batch()
        for n, session in enumerate(sessions):
            _follow(Action.SESSION_SCHEDULED, by, engagement,
                    transition=transition if n == 0 else None,
                    changes={"from_calendar": True}, event=session, batch=batch)
        batch.close()
    return sessions, refused


@transaction.atomic
def do_book_session(engagement, *, by, starts_at, duration_minutes=60, now=None):
    """The coachee books a session with their coach: while active, and only ahead of now."""
    engagement = _lock(by, engagement, BOOK_SESSION)
    validate_ahead(starts_at, now)
    return _create_session(engagement, by=by, starts_at=starts_at,
                           duration_minutes=duration_minutes, now=now, booked_by="coachee")


def _create_session(engagement, *, by, starts_at, duration_minutes, now, calendar_feed=None,
                    calendar_uid="", **changes):
    validate_start(engagement, starts_at)
    session = Session.objects.create(engagement=engagement, starts_at=starts_at,
                                     duration_minutes=duration_minutes,
                                     calendar_feed=calendar_feed, calendar_uid=calendar_uid)
    if calendar_uid:
        changes["from_calendar"] = True
    _audit(Action.SESSION_SCHEDULED, by, engagement, starts_at=_local(session), **changes)
    transition = _evaluate(engagement, Cause.SESSION, now)
    _follow(Action.SESSION_SCHEDULED, by, engagement, transition=transition, changes=changes,
            event=session)
    return session


@transaction.atomic
def do_schedule_discovery_call(engagement, *, by, starts_at, coach, duration_minutes=60,
                               now=None):
    engagement = _lock(by, engagement, SCHEDULE_CALL)
    validate_start(engagement, starts_at)
    _validate_coach(engagement, coach)
    call = DiscoveryCall.objects.create(engagement=engagement, starts_at=starts_at, coach=coach,
                                        duration_minutes=duration_minutes)
    _audit(Action.DISCOVERY_CALL_SCHEDULED, by, engagement, starts_at=_local(call),
           coach=str(coach))
    transition = _evaluate(engagement, Cause.DISCOVERY_CALL, now)
    _follow(Action.DISCOVERY_CALL_SCHEDULED, by, engagement, transition=transition, event=call)
    return call


_EVENTS = {
    # model: (rule, cause, moved, cancelled, completed, what)
    Session: (CHANGE_SESSION, Cause.SESSION, Action.SESSION_MOVED, Action.SESSION_CANCELLED,
              Action.SESSION_COMPLETED, gettext_lazy("session")),
    DiscoveryCall: (CHANGE_CALL, Cause.DISCOVERY_CALL, Action.DISCOVERY_CALL_MOVED,
                    Action.DISCOVERY_CALL_CANCELLED, Action.DISCOVERY_CALL_COMPLETED,
                    gettext_lazy("discovery call")),
}


def _move(model, event, *, by, starts_at, duration_minutes=None, now=None):
    rule, cause, moved, _cancelled, _completed, what = _EVENTS[model]
    engagement, event = _lock_event(model, event, by, rule)
    if event.status == EventStatus.CANCELLED:
        raise ActionRefused(_("This %(what)s was cancelled: schedule a new one instead.")
                            % {"what": what})
    validate_start(engagement, starts_at)
    before = event.starts_at
    duration = duration_minutes or event.duration_minutes
    if before == starts_at and duration == event.duration_minutes:
        return event
    event.starts_at = starts_at
    event.duration_minutes = duration
    event.calendar_sequence += 1  # the invitation's update replaces what calendars hold
    event.save(update_fields=["starts_at", "duration_minutes", "calendar_sequence"])
    changes = {"from": before.isoformat(), "to": starts_at.isoformat()}
    _audit(moved, by, engagement, **changes)
    transition = _evaluate(engagement, cause, now)
    _follow(moved, by, engagement, transition=transition, changes=changes, event=event)
    return event


def _cancel(model, event, *, by, reason="", now=None, rule=None):
    default_rule, cause, _moved, cancelled, _completed, what = _EVENTS[model]
    engagement, event = _lock_event(model, event, by, rule or default_rule)
    if event.status != EventStatus.SCHEDULED:
        raise ActionRefused(_("Only a scheduled %(what)s can be cancelled; this one is "
                              "%(status)s.") % {"what": what,
                                                "status": event.get_status_display().lower()})
    if rule is CANCEL_BOOKING and event.starts_at <= _now(now):
        raise ActionRefused(_t("This session has already started: ask your coach to change "
                               "it."))
    reason = (reason or "").strip()
    event.status = EventStatus.CANCELLED
    # A future event's cancellation day is activity (rule 3): the moment it happened.
    event.cancelled_at = _now(now)
    event.cancel_reason = reason
    event.calendar_sequence += 1
    event.save(update_fields=["status", "cancelled_at", "cancel_reason", "calendar_sequence"])
    changes = {"starts_at": _local(event), **({"reason": reason} if reason else {})}
    _audit(cancelled, by, engagement, **changes)
    transition = _evaluate(engagement, cause, now)
    _follow(cancelled, by, engagement, transition=transition, changes=changes, event=event)
    return event


def _complete(model, event, *, by, now=None):
    rule, cause, _moved, _cancelled, completed, what = _EVENTS[model]
    engagement, event = _lock_event(model, event, by, rule)
    if event.status != EventStatus.SCHEDULED:
        raise ActionRefused(_("Only a scheduled %(what)s can be marked held; this one is "
                              "%(status)s.") % {"what": what,
                                                "status": event.get_status_display().lower()})
    if event.starts_at > _now(now):
        raise ActionRefused(_("This %(what)s is still to come: mark it held once it has "
                              "started, or move it to the day it really took place.")
                            % {"what": what})
    event.status = EventStatus.COMPLETED
    event.save(update_fields=["status"])
    changes = {"starts_at": _local(event)}
    _audit(completed, by, engagement, **changes)
    transition = _evaluate(engagement, cause, now)
    _follow(completed, by, engagement, transition=transition, changes=changes, event=event)
    return event


@transaction.atomic
def do_move_session(session, *, by, starts_at, duration_minutes=None, now=None):
    """Reschedule a session (also to the earlier day it really took place)."""
    return _move(Session, session, by=by, starts_at=starts_at,
                 duration_minutes=duration_minutes, now=now)


@transaction.atomic
def do_cancel_session(session, *, by, reason="", now=None):
    return _cancel(Session, session, by=by, reason=reason, now=now)


@transaction.atomic
def do_cancel_booked_session(session, *, by, reason="", now=None):
    """The coachee cancels one of their own sessions still to come."""
    return _cancel(Session, session, by=by, reason=reason, now=now, rule=CANCEL_BOOKING)


@transaction.atomic
def do_complete_session(session, *, by, now=None):
    """Mark a session held."""
    return _complete(Session, session, by=by, now=now)


@transaction.atomic
def do_move_discovery_call(call, *, by, starts_at, now=None):
    return _move(DiscoveryCall, call, by=by, starts_at=starts_at, now=now)


@transaction.atomic
def do_cancel_discovery_call(call, *, by, reason="", now=None):
    return _cancel(DiscoveryCall, call, by=by, reason=reason, now=now)


@transaction.atomic
def do_complete_discovery_call(call, *, by, now=None):
    return _complete(DiscoveryCall, call, by=by, now=now)


@transaction.atomic
def do_write_session_notes(session, *, by, notes, shared):
    """
    The coach's notes on a session, private or shared with the coachee. Nothing the progress
    rules read changes, so there is nothing to evaluate; the audit row says that notes were
    written and who may read them, never what they say.
    """
    engagement, session = _lock_event(Session, session, by, WRITE_NOTES)
    session.notes = (notes or "").strip()
    session.notes_shared = bool(shared)
    session.save(update_fields=["notes", "notes_shared"])
    changes = {"starts_at": _local(session), "shared": session.notes_shared}
    _audit(Action.SESSION_NOTES_WRITTEN, by, engagement, **changes)
    _follow(Action.SESSION_NOTES_WRITTEN, by, engagement, changes=changes)
    return session


# ---------------------------------------------------------------------------------------------
# Goals and messages: nothing the progress rules read, so nothing to evaluate or bill.


# What is refused about a text, whole sentences per field (a field's name glued into one
# sentence does not translate: "el objetivo", "la descripción").
GOAL_TITLE_REFUSALS = {
    "empty": _("Write the goal."),
    "long": _("The goal is too long: at most %(max)d characters, this one has %(n)d."),
    "nul": _("The goal contains a character that cannot be stored."),
}
GOAL_DETAIL_REFUSALS = {
    "long": _("The goal's description is too long: at most %(max)d characters, this one has "
              "%(n)d."),
    "nul": _("The goal's description contains a character that cannot be stored."),
}
MESSAGE_REFUSALS = {
    "empty": _("Write the message."),
    "long": _("The message is too long: at most %(max)d characters, this one has %(n)d."),
    "nul": _("The message contains a character that cannot be stored."),
}


def _text(value, *, max_length, refusals):
    """`value` stripped, or ActionRefused saying why it cannot be stored (for any caller)."""
    text = (value or "").strip()
    if not text and "empty" in refusals:
        raise ActionRefused(str(refusals["empty"]))
    if len(text) > max_length:
        raise ActionRefused(str(refusals["long"]) % {"max": max_length, "n": len(text)})
    if "\x00" in text:
        raise ActionRefused(str(refusals["nul"]))
    return text


def _goal_text(title, detail):
    return (_text(title, max_length=GOAL_TITLE_MAX, refusals=GOAL_TITLE_REFUSALS),
            _text(detail, max_length=GOAL_DETAIL_MAX, refusals=GOAL_DETAIL_REFUSALS))


@transaction.atomic
def do_add_goal(engagement, *, by, title, detail="", now=None):
    """A goal set by the engagement's coach or coachee."""
    engagement = _lock(by, engagement, WRITE_GOALS)
    title, detail = _goal_text(title, detail)
    now = _now(now)
    goal = Goal.objects.create(engagement=engagement, title=title, detail=detail,
                               created_by=by, created_at=now, updated_at=now)
    changes = {"goal": goal.pk, "title": title}
    _audit(Action.GOAL_ADDED, by, engagement, **changes)
    _follow(Action.GOAL_ADDED, by, engagement, changes=changes)
    return goal


@transaction.atomic
def do_edit_goal(goal, *, by, title, detail="", now=None):
    engagement, goal = _lock_event(Goal, goal, by, WRITE_GOALS)
    title, detail = _goal_text(title, detail)
    if (goal.title, goal.detail) == (title, detail):
        return goal
    changes = {"goal": goal.pk, "title": [goal.title, title]}
    if goal.detail != detail:
        changes["detail"] = True  # changed; the words are on the goal itself
    goal.title, goal.detail, goal.updated_at = title, detail, _now(now)
    goal.save(update_fields=["title", "detail", "updated_at"])
    _audit(Action.GOAL_EDITED, by, engagement, **changes)
    _follow(Action.GOAL_EDITED, by, engagement, changes=changes)
    return goal


@transaction.atomic
def do_mark_goal_achieved(goal, *, by, achieved=True, now=None):
    """Mark a goal achieved, or (`achieved=False`) not achieved after all: reopened."""
    engagement, goal = _lock_event(Goal, goal, by, WRITE_GOALS)
    if goal.is_achieved == bool(achieved):
        return goal  # a second click, or two people at once: already so
    now = _now(now)
    goal.achieved_at, goal.achieved_by = (now, by) if achieved else (None, None)
    goal.updated_at = now
    goal.save(update_fields=["achieved_at", "achieved_by", "updated_at"])
    action = Action.GOAL_ACHIEVED if achieved else Action.GOAL_REOPENED
    changes = {"goal": goal.pk, "title": goal.title}
    _audit(action, by, engagement, **changes)
    _follow(action, by, engagement, changes=changes)
    return goal


@transaction.atomic
def do_post_message(engagement, *, by, body, now=None):
    """
    A message in the engagement's thread. Its emails are notifications/'s: it writes their
    outbox rows on `engagement_changed` (inside this transaction, so a message and its emails
    commit together) and queues the grouped sending on `engagement_change_committed`. The
    audit row says that a message was written, never what it says.
    """
    engagement = _lock(by, engagement, POST_MESSAGE)
    body = _text(body, max_length=MESSAGE_MAX, refusals=MESSAGE_REFUSALS)
    message = Message.objects.create(engagement=engagement, author=by, author_name=str(by),
                                     body=body, created_at=_now(now))
    changes = {"message": message.pk}
    _audit(Action.MESSAGE_POSTED, by, engagement, **changes)
    _follow(Action.MESSAGE_POSTED, by, engagement, changes=changes)
    return message


def _validate_coach(engagement, coach):
    if coach is None:
        raise ActionRefused(_("Choose a coach."))
    if coach.pk == engagement.coachee_id:
        raise ActionRefused(_("A coachee cannot be their own coach."))
    if not people.coach_candidates(engagement.company).filter(pk=coach.pk).exists():
        raise ActionRefused(_("Choose a coach who may coach in this company."))


@transaction.atomic
def do_select_coach(engagement, *, by, coach, now=None):
    """Coach matching found its coach: the engagement becomes active, tracked on sessions."""
    engagement = _lock(by, engagement, SELECT_COACH)
    _validate_coach(engagement, coach)
    selection = CoachSelection.objects.create(
        engagement=engagement, coach=coach, selected_by=by,
        selected_on=engagement.company.local_today(now),
    )
    engagement.coach = coach
    engagement.status = Status.ACTIVE
    engagement.save(update_fields=["coach", "status"])
    changes = {"coach": str(coach), "selected_on": selection.selected_on.isoformat()}
    _audit(Action.COACH_SELECTED, by, engagement, **changes)
    transition = _evaluate(engagement, Cause.COACH_SELECTED, now)
    engagement_people_changed.send(Engagement, engagement=engagement, day=selection.selected_on)
    _follow(Action.COACH_SELECTED, by, engagement, transition=transition, changes=changes)
    return selection


# ---------------------------------------------------------------------------------------------
# Creating, editing and launching


def _check_may_create(by, company):
    if is_staff_editor(by):
        return
    if not by.is_authenticated or by.company_id != company.pk or not by.is_company_admin:
        raise Http404("Out of scope.")


def _validate_people(company, *, kind, coachee, coach, owner, location, location_changed=True):
    """The people and place of an engagement fit its company (the forms offer only these)."""
    if coachee is None or not people.coachee_candidates(company).filter(pk=coachee.pk).exists():
        raise ActionRefused(_("Choose a coachee of this company."))
    if kind == Engagement.Kind.COACH_MATCHING and coach is not None:
        raise ActionRefused(_("The coach of a coach-matching engagement is chosen by coach "
                            "matching."))
    if coach is not None:
        if coach.pk == coachee.pk:
            raise ActionRefused(_("A coachee cannot be their own coach."))
        if not people.coach_candidates(company).filter(pk=coach.pk).exists():
            raise ActionRefused(_("Choose a coach who may coach in this company."))
    if owner is None or not people.company_admins(company).filter(pk=owner.pk).exists():
        raise ActionRefused(_("Choose an administrator of this company as the owner."))
    if location is not None and location.company_id != company.pk:
        raise ActionRefused(_("Choose one of this company's locations."))
    if location is not None and location.is_archived and location_changed:
        raise ActionRefused(_("This location is archived: it takes no new engagements."))


def _still_manageable(by, engagement):
    """An action must leave what it changed in its actor's scope (a location administrator)."""
    if is_staff_editor(by):
        return
    if not Engagement.objects.restrict(by, "manage").filter(pk=engagement.pk).exists():
        raise PermissionDenied(_("You would no longer manage this engagement: choose one of your "
                               "locations."))


def _snapshot_changes(engagement):
    return {"threshold_days": engagement.tracking_threshold_days,
            "notifications": engagement.offtrack_notifications_enabled}


@transaction.atomic
def do_launch_from_template(template, *, by, coachee, coach=None, owner, location=None,
                            now=None):
    """Create an engagement from `template` and launch it today (the template's Launch page)."""
    company = template.company
    _check_may_create(by, company)
    matching = template.kind == Engagement.Kind.COACH_MATCHING
    coach = None if matching else coach
    if not matching and coach is None:
        raise ActionRefused(_("Choose a coach."))
    _validate_people(company, kind=template.kind, coachee=coachee, coach=coach, owner=owner,
                     location=location)
    now = _now(now)
    engagement = Engagement.objects.create(
        company=company, template=template, kind=template.kind, owner=owner,
        location=location, coachee=coachee, coach=coach,
        status=Status.COACH_MATCHING if matching else Status.ACTIVE,
        launched_at=now, started_on=company.local_today(now),
        **template.tracking_snapshot(),
    )
    # The launcher must be able to manage what they launched (a location administrator,
    # their own location): checked in the same transaction, which the 404 rolls back.
    if not is_staff_editor(by) and not Engagement.objects.restrict(by, "manage").filter(
            pk=engagement.pk).exists():
        raise Http404("Out of scope.")
    _audit(Action.LAUNCHED, by, engagement, template=template, coachee=str(coachee),
           coach=str(coach) if coach else "")
    transition = _evaluate(engagement, Cause.LAUNCH, now)
    engagements_status_changed.send(Engagement, engagements=[engagement],
                                    day=engagement.started_on, delta=+1)
    _follow(Action.LAUNCHED, by, engagement, transition=transition)
    return engagement


@transaction.atomic
def do_create_draft(template, *, by, coachee, coach=None, owner, location=None,
                    started_on=None, now=None):
    """
    A draft engagement: nothing is tracked or billed until it is launched, and its tracking
    snapshot is taken then. `started_on` is the planned start (empty: the launch day).
    """
    company = template.company
    _check_may_create(by, company)
    _validate_people(company, kind=template.kind, coachee=coachee, coach=coach, owner=owner,
                     location=location)
    if started_on is not None and started_on < company.local_today(now):
        raise ActionRefused(_("The start date cannot be in the past."))
    engagement = Engagement.objects.create(
        company=company, template=template, kind=template.kind, owner=owner,
        location=location, coachee=coachee, coach=coach, status=Status.DRAFT,
        started_on=started_on,
    )
    _still_manageable(by, engagement)
    changes = {"coachee": str(coachee), "coach": str(coach) if coach else "",
               "started_on": started_on.isoformat() if started_on else ""}
    _audit(Action.DRAFT_CREATED, by, engagement, template=template, **changes)
    transition = _evaluate(engagement, Cause.EDIT, now)
    _follow(Action.DRAFT_CREATED, by, engagement, transition=transition, changes=changes)
    return engagement


EDITABLE = ("coach", "owner", "location", "started_on")


@transaction.atomic
def do_edit_engagement(engagement, *, by, now=None, **values):
    """
    Change an engagement's coach, owner, location or start date (only those: its tracking
    snapshot stays as launched, whatever the template says now). Pass only what changes.
    """
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    engagement = _lock(by, engagement, EDIT)
    company = engagement.company
    changed = {name: value for name, value in values.items()
               if getattr(engagement, name if name == "started_on" else f"{name}_id")
               != getattr(value, "pk", value)}
    if not changed:
        return engagement
    coach = changed.get("coach", engagement.coach)
    if "coach" in changed:
        if engagement.kind == Engagement.Kind.COACH_MATCHING and engagement.status != Status.ACTIVE:
            raise ActionRefused(_("The coach of a coach-matching engagement is chosen by coach "
                                "matching."))
        if coach is None and engagement.status != Status.DRAFT:
            raise ActionRefused(_("A launched engagement keeps a coach."))
    # A coach-matching engagement has its coach once one is selected (status active).
    kind = engagement.kind if engagement.status != Status.ACTIVE else Engagement.Kind.ONE_ON_ONE
    _validate_people(company, kind=kind, coachee=engagement.coachee, coach=coach,
                     owner=changed.get("owner", engagement.owner),
                     location=changed.get("location", engagement.location),
                     location_changed="location" in changed)
    if "started_on" in changed:
        started_on = changed["started_on"]
        if started_on is None and engagement.status != Status.DRAFT:
            raise ActionRefused(_("A launched engagement keeps a start date."))
        if (engagement.status == Status.DRAFT and started_on is not None
                and started_on < company.local_today(now)):
            raise ActionRefused(_("The start date cannot be in the past."))
    before = {name: _shown(getattr(engagement, name)) for name in changed}
    for name, value in changed.items():
        setattr(engagement, name, value)
    engagement.save(update_fields=list(changed))
    _still_manageable(by, engagement)
    changes = {name: [before[name], _shown(value)] for name, value in changed.items()}
    _audit(Action.EDITED, by, engagement, **changes)
    transition = _evaluate(engagement, Cause.EDIT, now)
    if engagement.status != Status.DRAFT:  # a draft counts for no day
        if "started_on" in changed:
            engagement_start_moved.send(Engagement, engagement=engagement,
                                        old=_date(before["started_on"]),
                                        new=engagement.started_on)
        if {"coach", "location"} & set(changed):
            # One coach and one location for every day it ran: from its start.
            engagement_people_changed.send(Engagement, engagement=engagement,
                                           day=engagement.started_on)
    _follow(Action.EDITED, by, engagement, transition=transition, changes=changes)
    return engagement


def _date(shown):
    return dt.date.fromisoformat(shown) if shown else None


def _shown(value):
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


@transaction.atomic
def do_launch_engagement(engagement, *, by, now=None):
    """
    Launch a draft: it starts on its planned start day (or today), takes the template's
    tracking settings as its snapshot, and is tracked from then on.
    """
    engagement = _lock(by, engagement, LAUNCH)
    company = engagement.company
    now = _now(now)
    today = company.local_today(now)
    matching = engagement.kind == Engagement.Kind.COACH_MATCHING
    if not matching and engagement.coach_id is None:
        raise ActionRefused(_("Choose a coach before launching."))
    started_on = engagement.started_on or today
    if started_on < today:
        raise ActionRefused(_("The planned start date has passed: change it to today or later "
                            "before launching."))
    engagement.status = Status.COACH_MATCHING if matching else Status.ACTIVE
    engagement.launched_at = now
    engagement.started_on = started_on
    snapshot = engagement.template.tracking_snapshot()
    for name, value in snapshot.items():
        setattr(engagement, name, value)
    engagement.save(update_fields=["status", "launched_at", "started_on", *snapshot])
    _audit(Action.LAUNCHED, by, engagement, template=engagement.template,
           coachee=str(engagement.coachee),
           coach=str(engagement.coach) if engagement.coach else "")
    transition = _evaluate(engagement, Cause.LAUNCH, now)
    engagements_status_changed.send(Engagement, engagements=[engagement],
                                    day=engagement.started_on, delta=+1)
    _follow(Action.LAUNCHED, by, engagement, transition=transition,
            changes=_snapshot_changes(engagement))
    return engagement


# ---------------------------------------------------------------------------------------------
# Ending: end early (with a reason) and mark complete, one or several at once


@dataclass
class EndingResult:
    ended: list = field(default_factory=list)  # the Engagement objects, as ended
    skipped: list = field(default_factory=list)  # selected, manageable, but already ended
    refused: int = 0  # selected but not manageable by the actor (never acted on)
    cancelled_sessions: int = 0
    cancelled_discovery_calls: int = 0


def get_manageable(user, pk):
    """
    The engagement to end: 404 when `user` cannot see it, 403 when they only see it.

    Why both: DESIGN's "a guessed URL answers 404" is about people with no role in the
    engagement — for them it does not exist (restrict). Its coach, its coachee, the coach
    company's administrators and location administrators who see it read it but may not end
    it: telling them "not allowed" (403, with why) reveals nothing they cannot already see,
    and is clearer than pretending the page is missing. Company-wide pages (Billing, "may be
    ready to complete") follow the same rule: 403 for a signed-in user without the right role.
    """
    engagement = engagement_for(user, pk)
    if not engagement.can_manage:
        raise PermissionDenied(REFUSED_MESSAGE)
    return engagement


def ended_message(engagement):
    when = date_format(engagement.ended_on, "j M Y") if engagement.ended_on else ""
    return _("%(coachee)s's engagement has already ended (%(status)s on %(day)s).") % {
        "coachee": engagement.coachee, "status": engagement.get_status_display().lower(),
        "day": when}


def do_end_early(engagement_or_pk, *, by, reason, note="", now=None):
    """End one engagement early. Raises Http404/PermissionDenied/EndingRefused."""
    reason, note = _validated_reason(reason, note)
    return _end_one(engagement_or_pk, by=by, status=Status.ENDED_EARLY, reason=reason,
                    note=note, now=now)


def do_mark_complete(engagement_or_pk, *, by, now=None):
    """Mark one engagement complete. Raises Http404/PermissionDenied/EndingRefused."""
    return _end_one(engagement_or_pk, by=by, status=Status.COMPLETED, reason="", note="",
                    now=now)


def do_end_many_early(pks, *, by, reason, note="", now=None):
    """Bulk: end the selected engagements `by` may manage early, with one reason for all."""
    reason, note = _validated_reason(reason, note)
    return _end(pks, by=by, status=Status.ENDED_EARLY, reason=reason, note=note, now=now)


def do_mark_many_complete(pks, *, by, now=None):
    """Bulk: mark the selected engagements `by` may manage complete."""
    return _end(pks, by=by, status=Status.COMPLETED, reason="", note="", now=now)


def _validated_reason(reason, note):
    # The rule is the end-early form's, for every caller (a view, the admin, a command): one
    # copy of it, and the same words for whoever is refused.
    form = EndEarlyForm({"reason": reason, "note": note or ""})
    if not form.is_valid():
        field, errors = next(iter(form.errors.items()))
        raise EndingRefused(_("Not ended early (%(field)s): %(error)s") % {
            "field": field, "error": errors[0]})
    return form.cleaned_data["reason"], form.cleaned_data["note"]


def _end_one(engagement_or_pk, *, by, status, reason, note, now):
    pk = getattr(engagement_or_pk, "pk", engagement_or_pk)
    # Visibility first, so the answer is 404 or 403 as the rules say, not a silent no-op.
    get_manageable(by, pk)
    result = _end([pk], by=by, status=status, reason=reason, note=note, now=now)
    if result.skipped:
        raise AlreadyEnded(ended_message(result.skipped[0]))
    if not result.ended:
        # Lost its manageability between the check and the lock (e.g. moved location).
        raise PermissionDenied(REFUSED_MESSAGE)
    return result


def _end(pks, *, by, status, reason, note, now):
    """
    Ending is one operation for one or many engagements. Inside one transaction it
      1. locks the selected rows the actor may manage (SELECT ... FOR UPDATE, in pk order so
         two bulk actions over overlapping rows cannot deadlock) and ends those still running
         with a conditional UPDATE (`status IN running`) whose row count must match;
      2. cancels their future scheduled sessions and discovery calls;
      3. records an AuditEvent per engagement;
      4. re-evaluates progress with the END cause: "not tracked", kept in the history;
      5. tells who listens that they stopped running today (`engagements_status_changed`).
    Two administrators ending the same engagement at once: the second waits on the row lock,
    then finds it no longer running and is told it has already ended. Nothing is done twice.
    """
    now = _now(now)
    pks = sorted({int(pk) for pk in pks})
    result = EndingResult()
    if not pks or not by.company_id:
        result.refused = len(pks)
        return result
    today = by.company.local_today(now)
    with transaction.atomic():
        manageable = Engagement.objects.restrict(by, "manage").filter(pk__in=pks)
        # The lock is re-checked after waiting: a row another administrator ended meanwhile
        # comes back with its new status, and is skipped below.
        locked = list(manageable.select_for_update(of=("self",)).order_by("pk")
                      .select_related("company", "coachee", "coach", "template"))
        result.refused = len(pks) - len(locked)
        winners = [e for e in locked if e.status in ACTIVE_STATUSES]
        result.skipped = [e for e in locked if e.status not in ACTIVE_STATUSES]
        if not winners:
            return result
        winner_pks = [e.pk for e in winners]
        updated = Engagement.objects.filter(pk__in=winner_pks, status__in=ACTIVE_STATUSES).update(
            status=status,
            # An engagement cannot end before it started (a constraint): one launched with a
            # future start and ended today ends on its start day, counting for no day at all.
            ended_on=Greatest("started_on", Value(today, output_field=DateField())),
            ended_at=now, ended_by=by, end_reason=reason, end_note=note,
        )
        # The rows are locked: nobody else can have ended them since the SELECT.
        assert updated == len(winners), (updated, len(winners))

        cancelled = {}
        for model in (Session, DiscoveryCall):
            future = model.objects.filter(engagement_id__in=winner_pks,
                                          status=EventStatus.SCHEDULED, starts_at__gt=now)
            cancelled[model] = dict(
                future.order_by().values_list("engagement_id").annotate(n=Count("pk"))
            )
            future.update(status=EventStatus.CANCELLED, cancelled_at=now)
        result.cancelled_sessions = sum(cancelled[Session].values())
        result.cancelled_discovery_calls = sum(cancelled[DiscoveryCall].values())

        ended = {e.pk: e for e in Engagement.objects.filter(pk__in=winner_pks)
                 .select_related("company", "coachee", "coach", "template", "location")}
        action = Action.ENDED_EARLY if status == Status.ENDED_EARLY else Action.COMPLETED
        AuditEvent.objects.bulk_create([
            AuditEvent(action=action, actor=by, actor_name=str(by), company_id=e.company_id,
                       engagement=e,
                       changes=_ending_changes(e, cancelled[Session].get(e.pk, 0),
                                               cancelled[DiscoveryCall].get(e.pk, 0)))
            for e in ended.values()
        ])
        transitions = {e.pk: evaluate_engagement(e, cause=Cause.END, today=today)
                       for e in ended.values()}
        # They stop counting today (reports/ moves the Billing page's stored counts).
        engagements_status_changed.send(Engagement, engagements=list(ended.values()), day=today,
                                        delta=-1)
        batch = Batch()
        for e in ended.values():
            _follow(action, by, e, transition=transitions[e.pk], batch=batch)
        # Their webhook events: one write for all (notifications/webhooks.py).
        batch.close()
        result.ended = [ended[pk] for pk in winner_pks]
    return result


def _ending_changes(engagement, sessions, calls):
    changes = {
        "status": engagement.status,
        "ended_on": engagement.ended_on.isoformat(),
        "cancelled_sessions": sessions,
        "cancelled_discovery_calls": calls,
    }
    if engagement.end_reason:
        changes["reason"] = engagement.get_end_reason_display()
    if engagement.end_note:
        changes["note"] = engagement.end_note
    return changes


# ---------------------------------------------------------------------------------------------
# Pauses (rule 9): administrators who manage the engagement pause its tracking, change a pause
# or end it early; its coach asks for one, and an administrator approves or declines it.

PAUSE = Rule(
    (Status.COACH_MATCHING, Status.ACTIVE),
    not_now=gettext_lazy("Tracking can be paused only while the engagement is running."),
    ended=gettext_lazy("This engagement has ended: its tracking can no longer be paused."),
    refused=gettext_lazy("Only the administrators responsible for this engagement may pause its "
              "tracking."))
REQUEST_PAUSE = Rule(
    (Status.COACH_MATCHING, Status.ACTIVE), coach_may=True, managers_may=False,
    not_now=gettext_lazy("A pause can be asked for only while the engagement is running."),
    ended=gettext_lazy("This engagement has ended: its tracking can no longer be paused."),
    refused=gettext_lazy("Only the engagement's coach asks for a pause; administrators pause it."))

# Pauses that hold their days: an approved one, and a request waiting for its answer (two
# requests for the same days, or a pause over a request, would leave one of them unanswerable).
HOLDING = (Pause.Status.APPROVED, Pause.Status.REQUESTED)


def _day(day):
    return date_format(day, "j M Y")


def _validated_pause(starts_on, ends_on, reason, note):
    # The rules of the fields alone are the pause form's, for every caller (as for ending).
    form = PauseForm({"starts_on": starts_on, "ends_on": ends_on, "reason": reason,
                      "note": note or ""})
    if not form.is_valid():
        field_name, errors = next(iter(form.errors.items()))
        raise ActionRefused(errors[0])
    data = form.cleaned_data
    return data["starts_on"], data["ends_on"], data["reason"], data["note"]


def _check_pause_days(engagement, starts_on, ends_on, *, today, exclude=None):
    """Under the engagement's lock: the days fit the engagement and no other pause holds them."""
    if engagement.started_on and starts_on < engagement.started_on:
        raise ActionRefused(_("The engagement starts on %(day)s: a pause starts that day or "
                              "later.") % {"day": _day(engagement.started_on)})
    if ends_on < today:
        raise ActionRefused(_("This pause would be over already: its last day must be today "
                              "or later."))
    overlapping = (engagement.pauses.filter(status__in=HOLDING, starts_on__lte=ends_on,
                                            ends_on__gte=starts_on)
                   .exclude(pk=getattr(exclude, "pk", None)).order_by("starts_on").first())
    if overlapping is not None:
        words = {"first": _day(overlapping.starts_on), "last": _day(overlapping.ends_on)}
        if overlapping.status == Pause.Status.REQUESTED:
            raise ActionRefused(_("These days overlap the pause requested from %(first)s to "
                                  "%(last)s: answer that request first, or choose other days.")
                                % words)
        raise ActionRefused(_("These days overlap the pause from %(first)s to %(last)s: change "
                              "that pause, or choose other days.") % words)


def _lock_pause(pause_or_pk, by, rule):
    """The engagement of a pause, locked and checked; then the pause, read after the lock."""
    pk = getattr(pause_or_pk, "pk", pause_or_pk)
    engagement_id = Pause.objects.filter(pk=pk).values_list("engagement_id", flat=True).first()
    if engagement_id is None:
        raise Http404("No such pause.")
    engagement = _lock(by, engagement_id, rule)
    return engagement, Pause.objects.get(pk=pk)


def _pause_changes(pause, **extra):
    changes = {"pause": pause.pk, "starts_on": pause.starts_on.isoformat(),
               "ends_on": pause.ends_on.isoformat(), "reason": pause.reason, **extra}
    if pause.note:
        changes["note"] = pause.note
    return changes


@transaction.atomic
def do_pause_engagement(engagement, *, by, starts_on, ends_on, reason, note="", now=None):
    """Pause an engagement's tracking from `starts_on` to `ends_on` (company-local days)."""
    starts_on, ends_on, reason, note = _validated_pause(starts_on, ends_on, reason, note)
    engagement = _lock(by, engagement, PAUSE)
    _check_pause_days(engagement, starts_on, ends_on, today=engagement.company.local_today(now))
    pause = Pause.objects.create(engagement=engagement, starts_on=starts_on, ends_on=ends_on,
                                 reason=reason, note=note, status=Pause.Status.APPROVED,
                                 requested_by=by, approved_by=by)
    changes = _pause_changes(pause)
    _audit(Action.PAUSED, by, engagement, **changes)
    transition = _evaluate(engagement, Cause.PAUSE, now)
    _follow(Action.PAUSED, by, engagement, transition=transition, changes=changes)
    return pause


@transaction.atomic
def do_change_pause(pause, *, by, starts_on, ends_on, reason, note="", now=None):
    """Change an approved pause that is not over: its days, reason or note."""
    starts_on, ends_on, reason, note = _validated_pause(starts_on, ends_on, reason, note)
    engagement, pause = _lock_pause(pause, by, PAUSE)
    today = engagement.company.local_today(now)
    if pause.status != Pause.Status.APPROVED or pause.ends_on < today:
        raise ActionRefused(_("Only a pause that is not over can be changed."))
    if pause.starts_on < today and starts_on > pause.starts_on:
        # Its past days were paused: they stay so (the history already says it).
        raise ActionRefused(_("This pause has begun: its first day stays %(day)s; end it "
                              "early instead.") % {"day": _day(pause.starts_on)})
    _check_pause_days(engagement, starts_on, ends_on, today=today, exclude=pause)
    before = _pause_changes(pause)
    pause.starts_on, pause.ends_on, pause.reason, pause.note = starts_on, ends_on, reason, note
    pause.save(update_fields=["starts_on", "ends_on", "reason", "note", "updated_at"])
    changes = _pause_changes(pause, before={key: before[key] for key in before
                                            if key != "pause"})
    _audit(Action.PAUSE_CHANGED, by, engagement, **changes)
    transition = _evaluate(engagement, Cause.PAUSE, now)
    _follow(Action.PAUSE_CHANGED, by, engagement, transition=transition, changes=changes)
    return pause


@transaction.atomic
def do_end_pause(pause, *, by, now=None):
    """
    End an approved pause early: tracking resumes today (its last day becomes yesterday). A
    pause that has not begun, or begins today, is cancelled: it pauses no day at all.
    """
    engagement, pause = _lock_pause(pause, by, PAUSE)
    today = engagement.company.local_today(now)
    if pause.status != Pause.Status.APPROVED or pause.ends_on < today:
        raise ActionRefused(_("This pause is already over."))
    if pause.starts_on >= today:
        pause.status = Pause.Status.CANCELLED
        pause.save(update_fields=["status", "updated_at"])
        changes = _pause_changes(pause, cancelled=True)
    else:
        before = pause.ends_on
        pause.ends_on = today - dt.timedelta(days=1)
        pause.save(update_fields=["ends_on", "updated_at"])
        changes = _pause_changes(pause, planned_ends_on=before.isoformat())
    _audit(Action.PAUSE_ENDED, by, engagement, **changes)
    transition = _evaluate(engagement, Cause.PAUSE, now)
    _follow(Action.PAUSE_ENDED, by, engagement, transition=transition, changes=changes)
    return pause


@transaction.atomic
def do_request_pause(engagement, *, by, starts_on, ends_on, reason, note="", now=None):
    """
    The coach asks for a pause. Nothing the rules read changes until an administrator
    approves it, so there is nothing to evaluate.
    """
    starts_on, ends_on, reason, note = _validated_pause(starts_on, ends_on, reason, note)
    engagement = _lock(by, engagement, REQUEST_PAUSE)
    _check_pause_days(engagement, starts_on, ends_on, today=engagement.company.local_today(now))
    pause = Pause.objects.create(engagement=engagement, starts_on=starts_on, ends_on=ends_on,
                                 reason=reason, note=note, status=Pause.Status.REQUESTED,
                                 requested_by=by)
    changes = _pause_changes(pause)
    _audit(Action.PAUSE_REQUESTED, by, engagement, **changes)
    _follow(Action.PAUSE_REQUESTED, by, engagement, changes=changes)
    return pause


def _requested(engagement, pause):
    if pause.status != Pause.Status.REQUESTED:
        raise ActionRefused(_("This request has already been answered (%(status)s).")
                            % {"status": pause.get_status_display().lower()})


@transaction.atomic
def do_approve_pause(pause, *, by, now=None):
    """An administrator approves the coach's request: tracking pauses on its days."""
    engagement, pause = _lock_pause(pause, by, PAUSE)
    _requested(engagement, pause)
    _check_pause_days(engagement, pause.starts_on, pause.ends_on,
                      today=engagement.company.local_today(now), exclude=pause)
    pause.status = Pause.Status.APPROVED
    pause.approved_by = by
    pause.save(update_fields=["status", "approved_by", "updated_at"])
    changes = _pause_changes(pause, requested_by=str(pause.requested_by or ""))
    _audit(Action.PAUSE_APPROVED, by, engagement, **changes)
    transition = _evaluate(engagement, Cause.PAUSE, now)
    _follow(Action.PAUSE_APPROVED, by, engagement, transition=transition, changes=changes)
    return pause


@transaction.atomic
def do_decline_pause(pause, *, by, now=None):
    """An administrator declines the coach's request: nothing is paused."""
    engagement, pause = _lock_pause(pause, by, PAUSE)
    _requested(engagement, pause)
    pause.status = Pause.Status.DECLINED
    pause.save(update_fields=["status", "updated_at"])
    changes = _pause_changes(pause, requested_by=str(pause.requested_by or ""))
    _audit(Action.PAUSE_DECLINED, by, engagement, **changes)
    _follow(Action.PAUSE_DECLINED, by, engagement, changes=changes)
    return pause
