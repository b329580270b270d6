"""
Rule 10: every progress status carries a one-line reason, computed from the engagement's
stored fields only (what the evaluation stored: no query, no "today"), so that the list, the
report, the CSV, the engagement page and every nudge say the same thing.
"""

import datetime as dt
import functools
from types import SimpleNamespace

from django.db.models import F
from django.db.models.functions import JSONObject
from django.utils import formats
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from engagements.models import ACTIVE_STATUSES, Engagement, Pause, Progress
from engagements.visibility import PROGRESS_HIDDEN


def short_date(day):
    """23 Mar (the year is clear from context in a one-line reason)."""
    return _short_date(day, get_language())


@functools.lru_cache(maxsize=4096)
def _short_date(day, language):
    # Remembered per day and language: date_format looks its format up anew on every call,
    # which dominated a page of 1,000 reasons (the API's cursor walk, the CSV export).
    return formats.date_format(day, "j M")


def threshold_words(days):
    """A threshold the way people enter it: whole weeks as weeks, anything else as days."""
    if days % 7 == 0:
        weeks = days // 7
        return ngettext("%(n)d week", "%(n)d weeks", weeks) % {"n": weeks}
    return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}


def progress_reason(engagement, pause_reason=""):
    """
    Why `engagement` has its stored progress, in one line. `pause_reason` is the reason of
    the pause in force (Pause.Reason value), when the caller has it (the lists annotate it).
    """
    e = engagement
    if e.progress == Progress.OFF_TRACK:
        # Fields written by hand (an import, a test) may be partial: say what is known.
        parts = {"day": short_date(e.off_track_since) if e.off_track_since else "?"}
        if e.last_activity_on is None or e.tracking_threshold_days is None:
            return _("Off track since %(day)s") % parts
        if e.last_activity_on == e.started_on:
            since = _("the start on %(day)s") % {"day": short_date(e.started_on)}
        else:
            since = _("the last activity on %(day)s") % {"day": short_date(e.last_activity_on)}
        threshold = threshold_words(e.tracking_threshold_days)
        paused = ((e.off_track_since - e.last_activity_on).days - e.tracking_threshold_days
                  if e.off_track_since else 0)
        if paused > 0:
            threshold += ngettext(", %(n)d paused day not counted",
                                  ", %(n)d paused days not counted", paused) % {"n": paused}
        return _("Off track since %(day)s: nothing scheduled since %(since)s; threshold "
                 "%(threshold)s") % {**parts, "since": since, "threshold": threshold}
    if e.progress == Progress.ON_TRACK:
        if e.next_event_on:
            if e.status == Engagement.Status.COACH_MATCHING:
                return _("On track: next discovery call %(day)s") % {
                    "day": short_date(e.next_event_on)}
            return _("On track: next session %(day)s") % {"day": short_date(e.next_event_on)}
        if e.goes_off_track_on:
            return _("On track: off track on %(day)s unless something is scheduled") % {
                "day": short_date(e.goes_off_track_on)}
        return _("On track")
    if e.progress == Progress.PAUSED and e.paused_until:
        if pause_reason:
            return _("Paused until %(day)s (%(reason)s)") % {
                "day": short_date(e.paused_until),
                "reason": Pause.Reason(pause_reason).label}
        return _("Paused until %(day)s") % {"day": short_date(e.paused_until)}
    if e.progress == Progress.PAUSED:
        return _("Paused")
    # Not tracked.
    if e.status == Engagement.Status.DRAFT:
        return _("Not tracked: not launched yet")
    if e.status not in ACTIVE_STATUSES:
        if e.ended_on:
            return _("Not tracked: ended on %(day)s") % {"day": short_date(e.ended_on)}
        return _("Not tracked: ended")
    if e.tracking_threshold_days is None:
        return _("Not tracked: tracking is off in its template")
    if e.started_on and (e.progress_evaluated_on is None
                         or e.started_on > e.progress_evaluated_on):
        return _("Not tracked yet: starts on %(day)s") % {"day": short_date(e.started_on)}
    return _("Not tracked")


# What progress_reason reads of a row, for a statement that reads many (the CSV export): as
# one JSON value, with `seen_progress` (the gate's "-" to those who may not see it).
REASON_FIELDS = ("started_on", "ended_on", "last_activity_on", "next_event_on",
                 "off_track_since", "goes_off_track_on", "paused_until",
                 "progress_evaluated_on", "tracking_threshold_days", "pause_reason")
REASON_DATES = set(REASON_FIELDS) - {"tracking_threshold_days", "pause_reason"}


def reason_fields():
    return JSONObject(seen_progress=F("seen_progress"), status=F("status"),
                      **{name: F(name) for name in REASON_FIELDS})


def reason_cell(values):
    """The reason from reason_fields()'s JSON (its dates come back as text), or "-"."""
    if not values or values["seen_progress"] == PROGRESS_HIDDEN:
        return "-"
    row = SimpleNamespace(**{
        name: (dt.date.fromisoformat(value) if name in REASON_DATES and value else value)
        for name, value in values.items()
    })
    row.progress = row.seen_progress
    return progress_reason(row, row.pause_reason or "")
