"""
Sending the outbox: claim due nudges, compose each digest, hand it to the mailer, record it.

Delivery is AT-LEAST-ONCE, decided in `claim_due_nudges` and `send_due_nudges`:
a nudge is marked "sending" and that is COMMITTED before the mailer is called; the outcome is
recorded after. If the worker dies between the provider accepting the message and our UPDATE,
the row stays "sending" and, once its lease (`LEASE`) has run out, is claimed again and sent
again. We prefer a rare duplicate to a lost nudge; the Message-ID is stable per nudge
(`<nudge-ID@...>`), so mail clients that de-duplicate on it show one. Every other case is
exactly once: two senders never claim the same row (SELECT ... FOR UPDATE SKIP LOCKED), a crash
before the claim leaves the row pending, and a provider error is retried with exponential
backoff until it succeeds or `MAX_ATTEMPTS` is reached ("failed", re-sendable in the admin).

How long a provider may be down: a nudge is about *today*, but an outage of an hour or two
must not lose it (DESIGN.md: "a mail provider's temporary failure never produces ... a lost
email"). Waits double from a minute and are capped at an hour — 1, 2, 4, 8, 16, 32, then 60
minutes — so the 12 attempts span about six hours (363 minutes) before a row is "failed".
`tests/faults/test_provider_outage.py` rides out a one-hour outage with this schedule.

Logs (one line each, fields as keys: optify/logs.py): `nudge_sent` / `nudge_attempt_failed` per
nudge, and per run of `send_due_nudges` one `nudges_sent` line per company and day plus a
`nudges_run` total, all carrying the sender run's id (`run`) and the run_id that queued it.
"""

import datetime as dt
import logging
import secrets
import smtplib
import time
from types import SimpleNamespace

from anymail.exceptions import AnymailError, AnymailRecipientsRefused
from django.conf import settings
from django.core.mail import mailers
from django.db import connection, transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dates import MONTHS_3
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from engagements.models import Engagement, EventStatus, Progress, Session
from engagements.reasons import progress_reason
from engagements.visibility import by_progress
from notifications.emails import build_email
from notifications.models import Nudge, NudgeItem, NudgePreference, Role
from notifications.tokens import make_unsubscribe_token
from notifications.weekly import compose_weekly
from optify import metrics
from optify.links import url_pattern

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
BACKOFF_BASE = dt.timedelta(minutes=1)  # 1, 2, 4 ... minutes between attempts,
BACKOFF_MAX = dt.timedelta(hours=1)  # at most an hour (see the module docstring)
LEASE = dt.timedelta(minutes=10)  # a "sending" row older than this is presumed orphaned
RETRYABLE = (AnymailError, smtplib.SMTPException, OSError)
PERMANENT = (AnymailRecipientsRefused, smtplib.SMTPRecipientsRefused)


def backoff(attempts):
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


def engagement_url_pattern():
    """
    "https://site/engagements/{}/": reverse() once per digest, not once per row, which costs
    more than rendering the row in an administrator's digest of hundreds.
    """
    return settings.SITE_URL + url_pattern("engagements:detail")


def unsubscribe_url(user, role):
    token = make_unsubscribe_token(user, role)
    return settings.SITE_URL + reverse("notifications:unsubscribe", args=[token])


def message_id_for(nudge):
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip("> ") or "optify"
    return f"<nudge-{nudge.pk}@{domain}>"


# What engagements/reasons.py reads of an engagement, fetched with the digest's rows.
REASON_FIELDS = ("progress", "started_on", "ended_on", "last_activity_on", "next_event_on",
                 "off_track_since", "goes_off_track_on", "paused_until",
                 "progress_evaluated_on", "tracking_threshold_days")


def digest_items(nudge):
    """
    The engagements this nudge may still show, read through `restrict(recipient)` so that
    tenancy and "Who may see progress" are enforced at send time too: an administrator or coach
    only sees rows whose progress they may see; a coachee only their own engagements. Rows back
    on track since the outbox was written are dropped. One query.
    """
    visible = Engagement.objects.restrict(nudge.recipient).filter(
        company_id=nudge.company_id, progress=Progress.OFF_TRACK
    )
    if nudge.role == Role.EARLY_WARNING:
        # Still on track with nothing scheduled: a session booked since makes it moot.
        visible = Engagement.objects.restrict(nudge.recipient).filter(
            Q(coachee_id=nudge.recipient_id) | Q(coach_id=nudge.recipient_id),
            company_id=nudge.company_id, progress=Progress.ON_TRACK, next_event_on=None,
        )
    elif nudge.role == Role.COACHEE:
        visible = visible.filter(coachee_id=nudge.recipient_id)
    else:
        visible = visible.filter(by_progress(nudge.recipient).seen)
        if nudge.role == Role.COACH:
            visible = visible.filter(coach_id=nudge.recipient_id)
    # Plain rows, not model instances: an administrator's digest can list hundreds of
    # engagements, and dicts are what the template engine resolves fastest.
    rows = NudgeItem.objects.filter(nudge=nudge, engagement__in=visible.values("pk"))
    if nudge.role == Role.COACH:
        # A coach's nudge says when they last met (a handful of rows: one subquery each).
        rows = rows.annotate(last_session=Subquery(
            Session.objects.filter(engagement=OuterRef("engagement_id"),
                                   starts_at__lt=timezone.now())
            .exclude(status=EventStatus.CANCELLED)
            .order_by("-starts_at").values("starts_at")[:1]))
    rows = (
        rows
        .order_by("engagement__coachee__full_name", "engagement_id")
        .values(
            "engagement_id", "reason", "off_track_since",
            coachee=F("engagement__coachee__full_name"),
            coach=F("engagement__coach__full_name"),
            coach_email=F("engagement__coach__email"),
            owner=F("engagement__owner__full_name"),
            owner_email=F("engagement__owner__email"),
            status=F("engagement__status"),
            template=F("engagement__template__name"),
            coachee_id=F("engagement__coachee_id"),
            **{f"e_{name}": F(f"engagement__{name}") for name in REASON_FIELDS},
            **({"last_session": F("last_session")} if nudge.role == Role.COACH else {}),
        )
    )
    url = engagement_url_pattern()
    book = settings.SITE_URL + url_pattern("engagements:book_session")
    today = nudge.company.local_today()
    # In the recipient's language (compose() activates it): "30 Nov 2026", "30 Dic 2026".
    months = {number: str(MONTHS_3[number]).title() for number in MONTHS_3}
    for row in rows:
        since = row["off_track_since"]
        row["url"] = url.format(row["engagement_id"])
        # Formatted here, once: the |date filter costs more than the rest of a digest row.
        row["since"] = f"{since.day} {months[since.month]} {since.year}" if since else ""
        row["reminder"] = row["reason"] == NudgeItem.Reason.REMINDER
        # Still finding a coach: what is missing is a discovery call, not a session.
        row["matching"] = row["status"] == Engagement.Status.COACH_MATCHING
        row["as_coachee"] = row["coachee_id"] == nudge.recipient_id
        # A coachee books from the email: their booking form, while the engagement is active
        # (while a coach is being chosen there is nobody to book with yet).
        row["book_url"] = (book.format(row["engagement_id"]) if row["as_coachee"]
                           and row["status"] == Engagement.Status.ACTIVE else "")
        # Who the coachee asks: their coach, or while a coach is being chosen, the owner.
        row["contact"], row["contact_email"] = (
            (row["owner"], row["owner_email"]) if row["matching"] or not row["coach"]
            else (row["coach"], row["coach_email"]))
        if "last_session" in row:
            row["last_session"] = _last_session(row["last_session"], nudge.company, today)
        # Rule 10: every nudge says why, from the engagement's stored fields.
        row["why"] = progress_reason(SimpleNamespace(
            status=row["status"], **{name: row.pop(f"e_{name}") for name in REASON_FIELDS}))
        yield row


def _last_session(starts_at, company, today):
    """"last session on 2 Mar 2026, 28 days ago", or that none has been held yet."""
    if starts_at is None:
        return _("no session held yet")
    day = timezone.localtime(starts_at, company.tzinfo).date()
    ago = (today - day).days
    when = _("today") if ago == 0 else _("yesterday") if ago == 1 else ngettext(
        "%(count)d day ago", "%(count)d days ago", ago) % {"count": ago}
    return _("last session on %(day)s, %(when)s") % {
        "day": date_format(day, "j M Y"), "when": when}


def _reply_to(nudge, items):
    """A coachee's nudge answers to the one person they would ask (their coach), if one."""
    if nudge.role != Role.COACHEE:
        return None
    contacts = {row["contact_email"] for row in items if row["contact_email"]}
    return list(contacts) if len(contacts) == 1 else None


class Group:
    """
    A recipient's nudges of one role and day in several companies, claimed together: one
    email, grouped by company. Quacks like the Nudge its first one is, for composing,
    recording (`pks`, one `claimed_at`) and logging.
    """

    def __init__(self, nudges):
        self.nudges = nudges
        first = nudges[0]
        self.pk, self.pks = first.pk, [n.pk for n in nudges]
        self.recipient, self.recipient_id = first.recipient, first.recipient_id
        self.role, self.day, self.company = first.role, first.day, first.company
        self.claimed_at = first.claimed_at
        self.attempts = max(n.attempts for n in nudges)


def groups_of(nudges):
    """Claimed nudges as they are sent: one per (recipient, role, day), a Group if several."""
    by_key = {}
    for nudge in nudges:
        # A weekly digest is its administrator's view of one company: never merged.
        key = ((nudge.pk,) if nudge.role == Role.WEEKLY_DIGEST
               else (nudge.recipient_id, nudge.role, nudge.day))
        by_key.setdefault(key, []).append(nudge)
    return [found[0] if len(found) == 1 else Group(found) for found in by_key.values()]


def compose(nudge):
    """
    The email for `nudge` (or a Group), or None when there is nothing left it may say.
    Everything it says (the reasons, the dates, the templates) is in its recipient's language,
    whoever's request or job is sending it.
    """
    with translation.override(nudge.recipient.language_code):
        return _compose(nudge)


def _compose(nudge):
    if nudge.role == Role.WEEKLY_DIGEST:
        return compose_weekly(nudge, unsubscribe_url(nudge.recipient, nudge.role),
                              message_id_for(nudge))
    if isinstance(nudge, Group):
        sections = [(n.company, items) for n in nudge.nudges
                    if (items := list(digest_items(n)))]
        if len(sections) > 1:
            return compose_companies(nudge, sections)
        if not sections:
            return None
        company, items = sections[0]
    else:
        company, items = nudge.company, list(digest_items(nudge))
    if not items:
        return None
    reply_to = _reply_to(nudge, items)
    context = {
        "recipient": nudge.recipient,
        "reply_to_name": items[0]["contact"] if reply_to else None,
        "company": company,
        "role": nudge.role,
        "day": nudge.day,
        "items": items,
        "reminders_only": all(row["reminder"] for row in items),
        "matching_only": all(row["matching"] for row in items),
        "settings_url": settings.SITE_URL + reverse("notifications:settings"),
    }
    return build_email(
        "early-warning" if nudge.role == Role.EARLY_WARNING else f"offtrack-{nudge.role}",
        to=nudge.recipient.email,
        context=context,
        headers={"Message-ID": message_id_for(nudge)},
        unsubscribe_url=unsubscribe_url(nudge.recipient, nudge.role),
        reply_to=reply_to,
    )


def compose_companies(group, sections):
    """One digest for a recipient's engagements in several companies, a section for each."""
    items = [row for _, rows in sections for row in rows]
    context = {
        "recipient": group.recipient,
        "role": group.role,
        "day": group.day,
        "sections": [{"company": company, "items": rows} for company, rows in sections],
        "count": len(items),
        "companies": ", ".join(company.name for company, _ in sections),
        "settings_url": settings.SITE_URL + reverse("notifications:settings"),
    }
    return build_email("digest-companies", to=group.recipient.email, context=context,
                       headers={"Message-ID": message_id_for(group)},
                       unsubscribe_url=unsubscribe_url(group.recipient, group.role))


# Claiming takes whole groups: a recipient's nudges of one role and day, whatever their company
# (DESIGN.md: "one email per recipient per role per day" holds across companies — a provider's
# coach with engagements in two client companies gets one digest). Two senders must never split
# a group, so claims are serialised per recipient: a claim locks the recipients' user rows
# (FOR NO KEY UPDATE SKIP LOCKED: a recipient another sender is claiming is left to it), then
# marks every claimable nudge of their due groups "sending", in one statement. The target row's
# own status is tested in the UPDATE's WHERE, not only in its subquery: a row another sender
# claimed after this statement's snapshot is re-checked there (PostgreSQL re-reads the updated
# row under READ COMMITTED; a condition inside the subquery would be read from the snapshot).
_CLAIM_SQL = """
UPDATE {nudge} SET status = %(sending)s, claimed_at = %(now)s, attempts = attempts + 1
 WHERE {claimable_self} AND id IN (
       SELECT n.id FROM {nudge} n
        WHERE n.recipient_id IN (
              SELECT u.id FROM {user} u
               WHERE u.id IN (SELECT d.recipient_id FROM {nudge} d WHERE {due_d}
                               ORDER BY d.next_attempt_at, d.id LIMIT %(limit)s)
                 FOR NO KEY UPDATE SKIP LOCKED)
          AND {claimable_n}
          AND EXISTS (SELECT 1 FROM {nudge} g
                       WHERE g.recipient_id = n.recipient_id AND g.role = n.role
                         AND g.day = n.day AND {due_g}))
RETURNING id
"""
_DUE = ("(({x}.status = %(pending)s AND {x}.next_attempt_at <= %(now)s)"
        " OR ({x}.status = %(sending)s AND {x}.claimed_at < %(expired)s))")
# A group's other nudges go with the due one, even one waiting for its next attempt.
_CLAIMABLE = ("({x}.status = %(pending)s"
              " OR ({x}.status = %(sending)s AND {x}.claimed_at < %(expired)s))")


def _due(now):
    return Q(status=Nudge.Status.PENDING, next_attempt_at__lte=now) | Q(
        status=Nudge.Status.SENDING, claimed_at__lt=now - LEASE
    )


def claim_due_nudges(limit=50, now=None):
    """
    Claims the due nudges of up to `limit` recipients' groups for this worker and commits the
    claim; returns their ids. SKIP LOCKED lets concurrent senders take disjoint recipients
    instead of queueing behind each other.
    """
    now = now or timezone.now()
    if connection.vendor != "postgresql":
        return _claim_one_process(limit, now)
    params = {"now": now, "expired": now - LEASE, "limit": limit,
              "pending": str(Nudge.Status.PENDING), "sending": str(Nudge.Status.SENDING)}
    sql = _CLAIM_SQL.format(
        nudge=Nudge._meta.db_table, user=Nudge.recipient.field.related_model._meta.db_table,
        due_d=_DUE.format(x="d"), due_g=_DUE.format(x="g"), claimable_n=_CLAIMABLE.format(x="n"),
        claimable_self=_CLAIMABLE.format(x=Nudge._meta.db_table))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [pk for (pk,) in cursor.fetchall()]


def _claim_one_process(limit, now):
    # The embedded SQLite default: one process sends, so there is no other sender to race.
    with transaction.atomic():
        due = Nudge.objects.filter(_due(now)).order_by("next_attempt_at", "pk")[:limit]
        groups = {(n.recipient_id, n.role, n.day)
                  for n in due.only("recipient_id", "role", "day")}
        if not groups:
            return []
        claimable = Q(status=Nudge.Status.PENDING) | Q(status=Nudge.Status.SENDING,
                                                        claimed_at__lt=now - LEASE)
        ids = [n.pk for n in Nudge.objects.filter(
                   claimable, recipient_id__in={r for r, _, _ in groups})
               .only("recipient_id", "role", "day")
               if (n.recipient_id, n.role, n.day) in groups]
        Nudge.objects.filter(pk__in=ids).update(
            status=Nudge.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    return ids


def _record(nudge, **fields):
    # Conditional on our claim: if the lease ran out and another worker took the row, the
    # later outcome wins and ours is not written over it. `nudge` may be a group (Group): its
    # nudges were claimed together, with one claimed_at, and share their outcome.
    return Nudge.objects.filter(
        pk__in=getattr(nudge, "pks", [nudge.pk]), status=Nudge.Status.SENDING,
        claimed_at=nudge.claimed_at
    ).update(**fields)


def _retry_later(nudge, error, permanent=False):
    failed = permanent or nudge.attempts >= MAX_ATTEMPTS
    status = Nudge.Status.FAILED if failed else Nudge.Status.PENDING
    _record(
        nudge, status=status, last_error=f"{type(error).__name__}: {error}"[:2000],
        next_attempt_at=timezone.now() + backoff(nudge.attempts),
    )
    return status


def send_nudge(nudge, connection):
    """Sends one claimed nudge (or Group) and records the outcome. Returns its new status."""
    now = timezone.now()
    opted_out = NudgePreference.objects.filter(
        user_id=nudge.recipient_id, role=nudge.role, enabled=False
    ).exists()
    message = None if opted_out else compose(nudge)
    if message is None:
        why = "Turned off by the recipient." if opted_out else "Nothing left to report."
        _record(nudge, status=Nudge.Status.CANCELLED, last_error=why)
        return Nudge.Status.CANCELLED
    try:
        connection.send_messages([message])
    except RETRYABLE as error:
        status = _retry_later(nudge, error, permanent=isinstance(error, PERMANENT))
        logger.warning("nudge_attempt_failed", extra={
            "nudge": nudge.pk, "company": nudge.company.slug, "day": nudge.day,
            "role": nudge.role, "attempt": nudge.attempts, "status": status,
            "error": type(error).__name__,
        })
        return status
    anymail_status = getattr(message, "anymail_status", None)
    provider_id = getattr(anymail_status, "message_id", None) or message.extra_headers.get(
        "Message-ID", ""
    )
    _record(
        nudge, status=Nudge.Status.SENT, sent_at=now, message_id=str(provider_id)[:255],
        last_error="",
    )
    logger.info("nudge_sent", extra={
        "nudge": nudge.pk, "company": nudge.company.slug, "day": nudge.day, "role": nudge.role,
        "recipient": nudge.recipient_id, "attempt": nudge.attempts,
    })
    return Nudge.Status.SENT


def send_due_nudges(batch_size=50):
    """Sends everything due now, batch by batch. Returns {status: count}."""
    run = secrets.token_hex(4)
    started = time.monotonic()
    counts = {}
    per_company = {}
    connection = mailers.default
    connection.open()
    try:
        while ids := claim_due_nudges(limit=batch_size):
            nudges = (Nudge.objects.filter(pk__in=ids)
                      .select_related("recipient__company", "company")
                      .prefetch_related("recipient__administered_locations"))
            for group in groups_of(nudges.order_by("pk")):
                try:
                    status = send_nudge(group, connection)
                except Exception as error:
                    # A bug in composing one digest must not stop the others: it is retried
                    # like a provider error, then left failed for someone to look at.
                    logger.exception("nudge_error", extra={"nudge": group.pk, "run": run})
                    status = _retry_later(group, error)
                # Counted per nudge (per company and day), whether sent alone or grouped.
                for nudge in getattr(group, "nudges", [group]):
                    counts[status] = counts.get(status, 0) + 1
                    metrics.nudge_attempted(nudge.role, status)
                    company = per_company.setdefault((nudge.company.slug, nudge.day), {})
                    company[status] = company.get(status, 0) + 1
    finally:
        connection.close()
    for (slug, day), statuses in sorted(per_company.items()):
        logger.info("nudges_sent",
                    extra={"company": slug, "day": day, "run": run, **_counts(statuses)})
    if counts:  # beat runs this every minute: an idle run says nothing
        logger.info("nudges_run", extra={
            "run": run, "companies": len(per_company), **_counts(counts),
            "duration_ms": round((time.monotonic() - started) * 1000)})
    return counts


def _counts(statuses):
    # The outcomes of one attempt ("pending" = to be retried after its backoff).
    outcomes = [Nudge.Status.SENT, Nudge.Status.PENDING, Nudge.Status.FAILED,
                Nudge.Status.CANCELLED]
    return {str(status): statuses.get(status, 0) for status in outcomes}


def resend(queryset):
    """The admin's "re-send": failed or cancelled nudges go back to pending with fresh attempts."""
    return queryset.exclude(status=Nudge.Status.SENDING).update(
        status=Nudge.Status.PENDING, attempts=0, next_attempt_at=timezone.now(), last_error=""
    )
