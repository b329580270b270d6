"""
Calendars: sessions and discovery calls as iCalendar (RFC 5545), both ways.

Out: `invitation()` is the .ics of one session or call that the session emails carry
(notifications/invites.py): METHOD:REQUEST with a UID that never changes, the SEQUENCE raised
by each move (engagements/actions.py), METHOD:CANCEL for a cancellation; times in the
company's timezone, with its VTIMEZONE. `user_feed()` is a person's private feed (an .ics
address with a secret token, `CalendarToken`) of their sessions and discovery calls.

In: `refresh_feed()` reads a calendar a coach (or a company administrator) connected
(`CalendarFeed`): a conditional GET (ETag / Last-Modified) through the outbound guard
(optify/outbound.py), recurrences expanded over a window (`recurring-ical-events`), and each
event whose attendees include the coachee of one of the owner's running engagements becomes
a session "from calendar" — created, moved or cancelled ONLY through the actions, as the
owner, so it is audited, re-evaluated at once and nudged like any other:
  - the key of an occurrence is its UID, plus its RECURRENCE-ID for one of a series;
  - an event that moved (or whose length changed) moves its session;
  - an event gone from the feed (deleted, STATUS:CANCELLED, or no longer with the coachee
    among its attendees) cancels its scheduled session, when it was in the window read (30
    days back, 90 ahead: outside it, the feed says nothing of it);
  - all-day events are ignored: they carry no time, and calendars use them for holidays and
    out-of-office days, not meetings;
  - a session the coach cancelled or marked held in Optify is left as it is.
A feed that cannot be read (no answer, an error status, bad ICS) is retried at the next
tick; after a day of failures its owner is emailed once. One feed's failure never stops the
others (`refresh_all`).
"""

import datetime as dt
import hashlib
import logging
import re
import secrets
import zoneinfo

import icalendar
import recurring_ical_events
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from engagements import actions
from engagements.models import (
    CalendarFeed,
    CalendarToken,
    DiscoveryCall,
    Engagement,
    EventStatus,
    Session,
)
from engagements.signals import calendar_feed_failing
from optify.outbound import OutboundError, OutboundRefused, fetch

logger = logging.getLogger("engagements.calendars")

PRODID = "-//Optify//Coaching sessions//EN"
WINDOW_PAST = dt.timedelta(days=30)
WINDOW_FUTURE = dt.timedelta(days=90)
FEED_PAST = dt.timedelta(days=90)
TELL_OWNER_AFTER = dt.timedelta(days=1)
REMOVED = gettext_lazy("Removed from the calendar")


# ---------------------------------------------------------------------------------------------
# Out: invitations and private feeds


def uid_for(event):
    domain = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    kind = "session" if isinstance(event, Session) else "discovery-call"
    return f"{kind}-{event.pk}@{domain or 'optify'}"


def _people(event):
    engagement = event.engagement
    coach = event.coach if isinstance(event, DiscoveryCall) else engagement.coach
    return engagement.coachee, coach


def _vevent(event, *, cancelled=False):
    engagement = event.engagement
    tz = engagement.company.tzinfo
    coachee, coach = _people(event)
    vevent = icalendar.Event()
    vevent.add("uid", uid_for(event))
    vevent.add("dtstamp", timezone.now().astimezone(dt.UTC))
    start = event.starts_at.astimezone(tz)
    vevent.add("dtstart", start)
    vevent.add("dtend", start + dt.timedelta(minutes=event.duration_minutes))
    vevent.add("sequence", event.calendar_sequence)
    if isinstance(event, Session):
        summary = _("Coaching session: %(coachee)s with %(coach)s")
    else:
        summary = _("Discovery call: %(coachee)s with %(coach)s")
    vevent.add("summary", summary % {"coachee": coachee.full_name,
                                     "coach": coach.full_name if coach else "-"})
    url = settings.SITE_URL + reverse("engagements:detail", args=[engagement.pk])
    vevent.add("url", url)
    vevent.add("description", url)
    vevent.add("status", "CANCELLED" if cancelled or event.status == EventStatus.CANCELLED
               else "CONFIRMED")
    organizer = icalendar.vCalAddress("mailto:" + _from_address())
    organizer.params["cn"] = icalendar.vText("Optify")
    vevent.add("organizer", organizer)
    for person in (coachee, coach):
        if person is None:
            continue
        attendee = icalendar.vCalAddress(f"mailto:{person.email}")
        attendee.params["cn"] = icalendar.vText(person.full_name)
        attendee.params["role"] = icalendar.vText("REQ-PARTICIPANT")
        vevent.add("attendee", attendee)
    return vevent


def _from_address():
    sender = settings.DEFAULT_FROM_EMAIL
    return sender.rsplit("<", 1)[-1].rstrip(">").strip() if "<" in sender else sender


def _calendar(method=None, name=None):
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    if method:
        calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
    return calendar


def invitation(event, method):
    """The .ics bytes of `event` (a Session or DiscoveryCall) for METHOD `method`."""
    calendar = _calendar(method)
    calendar.add_component(_vevent(event, cancelled=method == "CANCEL"))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def new_feed_token(user):
    """A new secret for `user`'s private feed, replacing any other. Returns the token."""
    token = secrets.token_urlsafe(32)
    CalendarToken.objects.update_or_create(user=user,
                                           defaults={"token_hash": _hash(token)})
    return token


def revoke_feed_token(user):
    CalendarToken.objects.filter(user=user).delete()


def _hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def user_for_token(token):
    found = (CalendarToken.objects.filter(token_hash=_hash(token))
             .select_related("user__company").first())
    if found is None or not found.user.can_sign_in:
        return None
    return found.user


def feed_url(token):
    return settings.SITE_URL + reverse("engagements:calendar_feed", args=[token])


def user_feed(user, now=None):
    """The .ics of `user`'s sessions and discovery calls (as coachee or coach), recent and
    to come; cancelled ones stay, marked so, so that subscribed calendars drop them."""
    since = (now or timezone.now()) - FEED_PAST
    related = ("engagement__company", "engagement__coachee", "engagement__coach")
    sessions = (Session.objects.filter(Q(engagement__coachee=user) | Q(engagement__coach=user),
                                       starts_at__gte=since)
                .exclude(engagement__status=Engagement.Status.DRAFT).select_related(*related))
    calls = (DiscoveryCall.objects.filter(Q(engagement__coachee=user) | Q(coach=user),
                                          starts_at__gte=since)
             .select_related("coach", *related))
    # Whoever fetches the feed (a calendar's server, signed out), its texts are in the
    # language of the person it is for.
    with translation.override(user.language_code):
        calendar = _calendar(name=_("Optify sessions"))
        for event in [*sessions, *calls]:
            calendar.add_component(_vevent(event))
    calendar.add_missing_timezones()
    return calendar.to_ical()


# ---------------------------------------------------------------------------------------------
# In: connected calendars


class FeedError(Exception):
    pass


def may_connect(user):
    """Coaches and company administrators connect calendars."""
    return bool(user.is_authenticated and user.can_sign_in
                and (user.is_company_admin or user.coach_engagements.exists()))


def _running_engagements(owner):
    """Coachee email (lower case) -> the owner's running engagement with them."""
    if owner.is_company_admin:
        scope = Engagement.objects.restrict(owner, "manage")
        scope = scope.filter(Q(coach=owner) | Q(company_id=owner.company_id))
    else:
        scope = Engagement.objects.filter(coach=owner)
    rows = (scope.filter(status=Engagement.Status.ACTIVE)
            .order_by("started_on", "pk").values_list("pk", "coachee__email"))
    return {email.lower(): pk for pk, email in rows}


def _emails(component):
    attendees = component.get("attendee") or []
    if not isinstance(attendees, list):
        attendees = [attendees]
    found = set()
    for attendee in attendees:
        value = str(attendee)
        if value.lower().startswith("mailto:"):
            value = value[7:]
        found.add(value.strip().lower())
    return found


def _aware(value, tz):
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    return None  # an all-day event (a date): ignored, see the module's docstring


_MAILTO = re.compile(r"mailto:([^\s;:,\"<>]+)", re.IGNORECASE)
_UID = re.compile(r"^UID(?:;[^:\n]*)?:(.*)$", re.MULTILINE)


def relevant(content, emails):
    """
    The iCalendar text of `content` with only the events that may concern `emails`: every
    event (each component of a series, overrides included) of a UID one of whose components
    has one of them as a `mailto:`; the calendar's own lines and its time zones are kept.
    Parsing and expanding a coach's 500 meetings to find the 20 with a coachee costs ten times
    what the 20 do, so the rest are dropped as text first. Raises FeedError for text that is
    not an iCalendar object (an HTML error page, a truncated answer).
    """
    if isinstance(content, bytes):
        content = content.decode("utf-8", "replace")
    # RFC 5545 folding: a line break followed by a space or tab continues the line.
    lines = re.sub(r"\r?\n[ \t]", "", content).splitlines()
    stripped = [line for line in lines if line.strip()]
    if (not stripped or stripped[0].strip().upper() != "BEGIN:VCALENDAR"
            or stripped[-1].strip().upper() != "END:VCALENDAR"):
        raise FeedError(_("Not an iCalendar feed: it does not begin and end as one."))
    own, components = [], []
    block, depth = None, 0
    for line in stripped[1:-1]:
        upper = line.upper()
        if upper.startswith("BEGIN:"):
            depth += 1
            if depth == 1:
                block = []
                components.append((upper[6:].strip(), block))
        if depth == 0:
            own.append(line)
        else:
            block.append(line)
        if upper.startswith("END:"):
            depth -= 1
    if depth != 0:
        raise FeedError(_("Not a readable iCalendar feed: a component is not closed."))
    wanted = set()
    for kind, block in components:
        if kind == "VEVENT":
            text = "\n".join(block)
            if any(m.lower() in emails for m in _MAILTO.findall(text)):
                wanted.update(_UID.findall(text))
    kept = ["BEGIN:VCALENDAR", *own]
    for kind, block in components:
        if kind != "VEVENT" or set(_UID.findall("\n".join(block))) & wanted:
            kept.extend(block)
    kept.append("END:VCALENDAR")
    return "\r\n".join(kept) + "\r\n"


def occurrences(content, *, tz, now, emails=None):
    """
    {key: (starts_at, minutes, attendee emails)} of the timed events of ICS `content` in the
    window around `now` (only those that may concern `emails`, when given); raises FeedError
    for content that is not iCalendar.
    """
    if emails is not None:
        content = relevant(content, emails)
    try:
        calendar = icalendar.Calendar.from_ical(content)
        events = recurring_ical_events.of(calendar).between(now - WINDOW_PAST,
                                                            now + WINDOW_FUTURE)
    except Exception as error:  # the parsers raise many kinds for bad input
        raise FeedError(_("Not a readable iCalendar feed: %(error)s")
                        % {"error": f"{type(error).__name__}: {str(error)[:200]}"}) from error
    # Series: their occurrences are told apart by RECURRENCE-ID (the expansion also stamps one
    # on single events, which keep their UID alone).
    series = {str(c.get("uid")) for c in calendar.walk("VEVENT")
              if c.get("rrule") is not None or c.get("rdate") is not None
              or c.get("recurrence-id") is not None}
    found = {}
    for component in events:
        if str(component.get("status", "")).upper() == "CANCELLED":
            continue
        start = _aware(component.decoded("dtstart"), tz)
        if start is None or not component.get("uid"):
            continue
        if component.get("dtend") is not None:
            end = _aware(component.decoded("dtend"), tz) or start
        elif component.get("duration") is not None:
            end = start + component.decoded("duration")
        else:
            end = start + dt.timedelta(hours=1)
        minutes = max(int((end - start).total_seconds() // 60), 1)
        key = str(component["uid"])
        if key in series:
            # One occurrence of a series: its original start is its identity.
            original = component.get("recurrence-id")
            original = _aware(original.dt, tz) if original is not None else start
            key = f"{key}#{original.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}"
        found[key[:400]] = (start.astimezone(dt.UTC), minutes, _emails(component))
    return found


def _fetch(feed):
    headers = {"Accept": "text/calendar"}
    if feed.etag:
        headers["If-None-Match"] = feed.etag
    if feed.last_modified:
        headers["If-Modified-Since"] = feed.last_modified
    try:
        response = fetch("GET", feed.url, headers=headers)
    except (OutboundRefused, OutboundError) as error:
        raise FeedError(str(error)) from error
    if response.status_code == 304:
        return None
    if not response.ok:
        raise FeedError(_("The calendar's server answered HTTP %(status)s.")
                        % {"status": response.status_code})
    return response


def refresh_feed(feed, now=None):
    """
    Reads `feed` once and brings its sessions in line. Returns {what: count} ("unchanged"
    for a 304). A failure is recorded on the feed (and its owner told after a day); it is
    never raised, so the caller goes on with the others.
    """
    # What a feed writes for people to read (its error, the reason of a session it cancels)
    # is in its owner's language: they read it on Settings and on the engagement's page.
    with translation.override(feed.owner.language_code):
        return _refresh_feed(feed, now or timezone.now())


def _refresh_feed(feed, now):
    try:
        response = _fetch(feed)
        if response is None:
            _succeeded(feed, now)
            return {"unchanged": 1}
        owner = feed.owner
        tz = owner.company.tzinfo if owner.company_id else zoneinfo.ZoneInfo("UTC")
        engagements = _running_engagements(owner)
        found = occurrences(response.content, tz=tz, now=now, emails=set(engagements))
    except FeedError as error:
        _failed(feed, now, str(error))
        return {"failed": 1}
    counts = _apply(feed, found, engagements, now)
    feed.etag = response.headers.get("etag", "")[:400]
    feed.last_modified = response.headers.get("last-modified", "")[:100]
    feed.events_seen = len(found)
    _succeeded(feed, now)
    return counts


def _apply(feed, found, engagements, now):
    owner = feed.owner
    existing = {s.calendar_uid: s for s in Session.objects.filter(calendar_feed=feed)
                .only("pk", "calendar_uid", "starts_at", "duration_minutes", "status",
                      "engagement_id")}
    counts = {"created": 0, "moved": 0, "cancelled": 0, "skipped": 0}
    new = {}  # engagement: its new occurrences, scheduled together (one lock, one evaluation)
    for key, (starts_at, minutes, emails) in found.items():
        session = existing.get(key)
        if session is None:
            engagement_pk = next((engagements[e] for e in sorted(emails)
                                  if e in engagements), None)
            if engagement_pk is not None:  # else not a session with a coachee of the owner's
                new.setdefault(engagement_pk, []).append((key, starts_at, minutes))
            continue
        try:
            if session.status == EventStatus.SCHEDULED and (
                    session.starts_at != starts_at or session.duration_minutes != minutes):
                actions.do_move_session(session, by=owner, starts_at=starts_at,
                                        duration_minutes=minutes, now=now)
                counts["moved"] += 1
        except (actions.ActionRefused, PermissionDenied, Http404) as refused:
            counts["skipped"] += 1
            logger.info("calendar_event_skipped",
                        extra={"feed": feed.pk, "key": key, "why": str(refused)[:200]})
    for engagement_pk, occurrences in new.items():
        try:
            sessions, refused = actions.do_schedule_sessions_from_calendar(
                engagement_pk, by=owner, calendar_feed=feed, occurrences=occurrences, now=now)
        except (actions.ActionRefused, PermissionDenied, Http404) as refusal:
            sessions, refused = [], [(key, str(refusal)) for key, _s, _m in occurrences]
        counts["created"] += len(sessions)
        counts["skipped"] += len(refused)
        for key, why in refused:
            logger.info("calendar_event_skipped",
                        extra={"feed": feed.pk, "key": key, "why": why[:200]})
    window_start = now - WINDOW_PAST
    for key, session in existing.items():
        if key in found or session.status != EventStatus.SCHEDULED:
            continue
        if session.starts_at < window_start or session.starts_at > now + WINDOW_FUTURE:
            continue
        try:
            actions.do_cancel_session(session, by=owner, reason=str(REMOVED), now=now)
            counts["cancelled"] += 1
        except (actions.ActionRefused, PermissionDenied, Http404):
            counts["skipped"] += 1
    return counts


def _succeeded(feed, now):
    feed.last_checked_at = feed.last_success_at = now
    feed.failing_since = feed.failure_notified_at = None
    feed.last_error = ""
    feed.save(update_fields=["etag", "last_modified", "events_seen", "last_checked_at",
                             "last_success_at", "failing_since", "failure_notified_at",
                             "last_error"])


def _failed(feed, now, error):
    feed.last_checked_at = now
    feed.failing_since = feed.failing_since or now
    feed.last_error = error[:2000]
    tell = feed.failure_notified_at is None and now - feed.failing_since >= TELL_OWNER_AFTER
    if tell:
        feed.failure_notified_at = now
    feed.save(update_fields=["last_checked_at", "failing_since", "last_error",
                             "failure_notified_at"])
    logger.warning("calendar_feed_failed", extra={"feed": feed.pk, "error": error[:200]})
    if tell:
        _tell_owner(feed)


def _tell_owner(feed):
    # notifications/ sends the email (it depends on engagements/, not the other way round).
    try:
        calendar_feed_failing.send(sender=CalendarFeed, feed=feed)
    except Exception:
        logger.exception("calendar_feed_email_failed", extra={"feed": feed.pk})


def refresh_all(now=None):
    """Every connected feed, one after the other; one feed's trouble never stops the rest."""
    totals = {}
    for feed in CalendarFeed.objects.select_related("owner__company").order_by("pk"):
        try:
            counts = refresh_feed(feed, now=now)
        except Exception as error:  # a bug on one feed's content: recorded, and go on
            logger.exception("calendar_feed_error", extra={"feed": feed.pk})
            _failed(feed, now or timezone.now(), f"{type(error).__name__}: {error}")
            counts = {"failed": 1}
        for name, count in counts.items():
            totals[name] = totals.get(name, 0) + count
    logger.info("calendar_feeds_refreshed",
                extra={f"sessions_{name}": count for name, count in totals.items()})
    return totals
