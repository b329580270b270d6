"""
Session emails with calendar invitations: scheduling, moving or cancelling a session or a
discovery call emails its coachee and its coach an .ics (engagements/calendars.py:
METHOD:REQUEST with a stable UID, a higher SEQUENCE for a move, METHOD:CANCEL for the same
UID), so that it lands in — or leaves — their calendars. A kind of email of its own
(Role.CALENDAR_INVITES), on by default, with its switch on Settings and an unsubscribe link.

After commit only (`engagement_change_committed`): nothing is sent for a change rolled back.
The task is queued then, and composes from the row as it is when it runs; a change that a
later one has superseded (its SEQUENCE is behind) is skipped, since the later one sends its
own. At-least-once through Celery (acks late); a broker that is down when the change commits
loses that invitation (logged), the next change of the session carries its state.
Sessions read from a connected calendar (`calendar_uid`) get none: they are in calendars
already, and a second invitation with another UID would double them.
"""

import logging

from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from kombu.exceptions import OperationalError as BrokerError

from accounts.models import User
from engagements.calendars import invitation
from engagements.models import AuditEvent, DiscoveryCall, Session
from notifications.emails import build_email
from notifications.models import NudgePreference, Role
from notifications.tokens import make_unsubscribe_token

logger = logging.getLogger("notifications.invites")

Action = AuditEvent.Action
METHODS = {
    Action.SESSION_SCHEDULED: "REQUEST",
    Action.SESSION_MOVED: "REQUEST",
    Action.SESSION_CANCELLED: "CANCEL",
    Action.DISCOVERY_CALL_SCHEDULED: "REQUEST",
    Action.DISCOVERY_CALL_MOVED: "REQUEST",
    Action.DISCOVERY_CALL_CANCELLED: "CANCEL",
}
MODELS = {"session": Session, "discovery_call": DiscoveryCall}


def on_change_committed(sender, action, engagement, event=None, **kwargs):
    """Receiver of `engagement_change_committed`: queue the invitations of a session change."""
    from notifications.tasks import send_calendar_invites

    method = METHODS.get(action)
    if method is None or event is None or getattr(event, "calendar_uid", ""):
        return
    kind = "session" if isinstance(event, Session) else "discovery_call"
    try:
        send_calendar_invites.delay(kind, event.pk, method, event.calendar_sequence, action)
    except BrokerError as error:
        logger.warning("invite_enqueue_failed", extra={"error": type(error).__name__,
                                                       "kind": kind, "event": event.pk})


def recipients(event):
    engagement = event.engagement
    coach = event.coach if isinstance(event, DiscoveryCall) else engagement.coach
    people = [p for p in (engagement.coachee, coach)
              if p is not None and p.status in (User.Status.ACTIVE, User.Status.INVITED)]
    off = set(NudgePreference.objects.filter(
        user__in=people, role=Role.CALENDAR_INVITES, enabled=False).values_list("user_id",
                                                                                flat=True))
    return [p for p in people if p.pk not in off]


def compose(event, method, action, recipient):
    # The email and its .ics (the event's title) in the recipient's language.
    with translation.override(recipient.language_code):
        return _compose(event, method, action, recipient)


def _compose(event, method, action, recipient):
    engagement = event.engagement
    tz = engagement.company.tzinfo
    local = timezone.localtime(event.starts_at, tz)
    unsubscribe = settings.SITE_URL + reverse(
        "notifications:unsubscribe", args=[make_unsubscribe_token(recipient,
                                                                  Role.CALENDAR_INVITES)])
    context = {
        "recipient": recipient,
        "event": event,
        "is_session": isinstance(event, Session),
        "cancelled": method == "CANCEL",
        "moved": action in (Action.SESSION_MOVED, Action.DISCOVERY_CALL_MOVED),
        "when": formats.date_format(local, _("l j F Y, H:i")),
        "timezone": engagement.company.timezone,
        "engagement": engagement,
        "engagement_url": settings.SITE_URL + reverse("engagements:detail",
                                                      args=[engagement.pk]),
        "settings_url": settings.SITE_URL + reverse("notifications:settings"),
    }
    message = build_email("session-invite", to=recipient.email, context=context,
                          unsubscribe_url=unsubscribe)
    message.attach("invite.ics", invitation(event, method),
                   f"text/calendar; method={method}; charset=UTF-8")
    return message


def send_invites(kind, pk, method, sequence, action):
    """Sends the invitations of one change. Returns how many emails went out."""
    # The people with their company: its language is theirs unless they chose one.
    related = ["engagement__company", "engagement__coachee__company",
               "engagement__coach__company"]
    if kind == "discovery_call":
        related.append("coach__company")
    event = MODELS[kind].objects.filter(pk=pk).select_related(*related).first()
    if event is None or event.calendar_sequence != sequence:
        return 0  # gone, or superseded by a later change that sends its own
    messages = [compose(event, method, action, person) for person in recipients(event)]
    for message in messages:
        message.send()
    logger.info("invites_sent", extra={"kind": kind, "event": pk, "method": method,
                                       "emails": len(messages)})
    return len(messages)


def on_calendar_feed_failing(sender, feed, **kwargs):
    """Receiver of `calendar_feed_failing`: tell the owner of a calendar failing for a day."""
    message = build_email("calendar-feed-failing", to=feed.owner.email, context={
        "recipient": feed.owner, "feed": feed,
        "settings_url": settings.SITE_URL + reverse("notifications:settings"),
        "error": feed.last_error or gettext_lazy("unknown"),
    })
    message.send()
