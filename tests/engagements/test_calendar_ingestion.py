"""
Sessions booked outside Optify count: a connected calendar, served by a real local HTTP
server, becomes sessions "from calendar" through the actions — created, moved, cancelled —
and progress follows the rules at once.
"""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from engagements import actions, calendars
from engagements.models import AuditEvent, CalendarFeed, Engagement, Session
from tests import factories
from tests.support.http import LocalServer
from tracking.evaluation import Cause, evaluate_engagement
from tracking.models import ProgressTransition

NOW = dt.datetime(2026, 3, 23, 7, 0, tzinfo=dt.UTC)  # off track since today, nothing booked


def feed_text(*events):
    return "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Test//EN", *events,
                        "END:VCALENDAR"]) + "\r\n"


def vevent(uid, start, end, *lines, attendees=("coachee@acme.test",)):
    return "\r\n".join([
        "BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20260301T000000Z", start, end,
        "SUMMARY:Coaching", "ORGANIZER:mailto:coach@coachly.test",
        *[f"ATTENDEE;CN=Someone:mailto:{a}" for a in attendees], *lines, "END:VEVENT"])


ONE = vevent("one@test", "DTSTART:20260330T140000Z", "DTEND:20260330T150000Z")


@pytest.fixture(autouse=True)
def _loopback(settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def server():
    with LocalServer() as running:
        yield running


@pytest.fixture
def off_track(engagement):
    engagement = Engagement.objects.select_related("company").get(pk=engagement.pk)
    evaluate_engagement(engagement, cause=Cause.MANUAL, today=NOW.date())
    assert engagement.progress == "off_track"
    return engagement


def connected(owner, server, path="/cal.ics"):
    return CalendarFeed.objects.create(owner=owner, url=server.url(path))


def refresh(feed):
    feed = CalendarFeed.objects.select_related("owner__company").get(pk=feed.pk)
    return calendars.refresh_feed(feed)


def from_calendar(engagement):
    return Session.objects.filter(engagement=engagement).exclude(calendar_uid="")


@pytest.mark.usefixtures("frozen")
def test_an_event_with_a_coachee_becomes_a_session_and_puts_it_back_on_track(
        off_track, coach, server):
    server.serve("/cal.ics", feed_text(ONE, vevent(
        "other@test", "DTSTART:20260331T140000Z", "DTEND:20260331T150000Z",
        attendees=("someone@else.test",))))
    feed = connected(coach, server)

    assert refresh(feed) == {"created": 1, "moved": 0, "cancelled": 0, "skipped": 0}

    session = from_calendar(off_track).get()
    assert (session.starts_at, session.duration_minutes, session.calendar_uid) == (
        dt.datetime(2026, 3, 30, 14, tzinfo=dt.UTC), 60, "one@test")
    assert session.calendar_feed == feed
    off_track.refresh_from_db()
    assert (off_track.progress, off_track.off_track_since) == ("on_track", None)
    audit = AuditEvent.objects.get(engagement=off_track, action="session_scheduled")
    assert (audit.actor, audit.changes["from_calendar"]) == (coach, True)


@pytest.mark.usefixtures("frozen")
def test_a_second_read_is_a_conditional_get_and_changes_nothing(off_track, coach, server):
    server.serve("/cal.ics", feed_text(ONE))
    feed = connected(coach, server)
    refresh(feed)

    assert refresh(feed) == {"unchanged": 1}

    first, second = server.to("/cal.ics")
    assert "if-none-match" not in first.headers
    assert second.headers["if-none-match"] == CalendarFeed.objects.get().etag
    assert from_calendar(off_track).count() == 1


@pytest.mark.usefixtures("frozen")
def test_a_recurring_series_becomes_one_session_per_occurrence_in_the_window(
        off_track, coach, server):
    series = vevent("weekly@test", "DTSTART;TZID=Europe/London:20260325T100000",
                    "DTEND;TZID=Europe/London:20260325T110000", "RRULE:FREQ=WEEKLY;COUNT=6")
    server.serve("/cal.ics", feed_text(series))

    assert refresh(connected(coach, server))["created"] == 6

    starts = list(from_calendar(off_track).order_by("starts_at")
                  .values_list("starts_at", flat=True))
    # 10:00 in London: GMT until the clocks change on 29 March, then BST.
    assert starts[0] == dt.datetime(2026, 3, 25, 10, tzinfo=dt.UTC)
    assert starts[1] == dt.datetime(2026, 4, 1, 9, tzinfo=dt.UTC)
    assert len(set(from_calendar(off_track).values_list("calendar_uid", flat=True))) == 6
    off_track.refresh_from_db()
    assert off_track.next_event_on == dt.date(2026, 3, 25)
    # Scheduled together, under one lock and one evaluation: one change of progress, and each
    # session audited as scheduling it by hand is.
    assert list(ProgressTransition.objects.filter(engagement=off_track, cause=Cause.SESSION)
                .values_list("from_status", "to_status")) == [("off_track", "on_track")]
    assert AuditEvent.objects.filter(engagement=off_track, action="session_scheduled",
                                     changes__from_calendar=True).count() == 6


@pytest.mark.usefixtures("frozen")
def test_a_first_read_schedules_an_engagements_occurrences_under_one_lock(
        off_track, coach, owner_company, location, global_admin, server):
    other = factories.EngagementFactory(
        company=owner_company, location=location, owner=global_admin, coach=coach,
        coachee=factories.UserFactory(company=owner_company, email="b@acme.test"))
    other = Engagement.objects.select_related("company").get(pk=other.pk)
    evaluate_engagement(other, cause=Cause.MANUAL, today=NOW.date())

    def series(count, attendee):
        return feed_text(vevent("weekly@test", "DTSTART:20260325T100000Z",
                                "DTEND:20260325T110000Z", f"RRULE:FREQ=WEEKLY;COUNT={count}",
                                attendees=(attendee,)))

    server.serve("/two.ics", series(2, "coachee@acme.test"))
    server.serve("/twelve.ics", series(12, "b@acme.test"))
    two, twelve = connected(coach, server, "/two.ics"), connected(coach, server, "/twelve.ics")
    with CaptureQueriesContext(connection) as first:
        assert refresh(two)["created"] == 2
    with CaptureQueriesContext(connection) as second:
        assert refresh(twelve)["created"] == 12

    # Per occurrence: its session and its audit row. The lock, the evaluation, the webhooks'
    # look for listeners and the feed's own queries, once a read.
    assert len(second) - len(first) == 10 * 2
    for engagement in (off_track, other):
        engagement.refresh_from_db()
        assert engagement.progress == "on_track"


@pytest.mark.usefixtures("frozen")
def test_one_occurrence_moved_in_the_calendar_moves_its_session(off_track, coach, server):
    series = vevent("weekly@test", "DTSTART:20260325T100000Z", "DTEND:20260325T110000Z",
                    "RRULE:FREQ=WEEKLY;COUNT=3")
    server.serve("/cal.ics", feed_text(series))
    feed = connected(coach, server)
    refresh(feed)
    moved = vevent("weekly@test", "DTSTART:20260402T150000Z", "DTEND:20260402T163000Z",
                   "RECURRENCE-ID:20260401T100000Z", "SEQUENCE:1")
    server.serve("/cal.ics", feed_text(series, moved))

    assert refresh(feed) == {"created": 0, "moved": 1, "cancelled": 0, "skipped": 0}

    session = from_calendar(off_track).get(calendar_uid="weekly@test#20260401T100000Z")
    assert (session.starts_at, session.duration_minutes) == (
        dt.datetime(2026, 4, 2, 15, tzinfo=dt.UTC), 90)
    assert session.calendar_sequence == 1
    assert AuditEvent.objects.filter(engagement=off_track, action="session_moved").count() == 1


@pytest.mark.usefixtures("frozen")
def test_a_moved_event_moves_its_session(off_track, coach, server):
    server.serve("/cal.ics", feed_text(ONE))
    feed = connected(coach, server)
    refresh(feed)
    server.serve("/cal.ics", feed_text(vevent(
        "one@test", "DTSTART:20260406T090000Z", "DTEND:20260406T100000Z", "SEQUENCE:2")))

    assert refresh(feed)["moved"] == 1

    off_track.refresh_from_db()
    assert from_calendar(off_track).get().starts_at == dt.datetime(2026, 4, 6, 9, tzinfo=dt.UTC)
    assert off_track.next_event_on == dt.date(2026, 4, 6)


@pytest.mark.usefixtures("frozen")
def test_an_event_deleted_from_the_calendar_cancels_its_session(off_track, coach, server):
    server.serve("/cal.ics", feed_text(ONE))
    feed = connected(coach, server)
    refresh(feed)
    server.serve("/cal.ics", feed_text())

    assert refresh(feed)["cancelled"] == 1

    session = from_calendar(off_track).get()
    assert (session.status, session.cancel_reason) == ("cancelled", calendars.REMOVED)
    off_track.refresh_from_db()
    # Cancelled while still to come: the day it was cancelled is activity (rule 3).
    assert (off_track.progress, off_track.last_activity_on) == ("on_track", NOW.date())


@pytest.mark.usefixtures("frozen")
def test_a_cancelled_event_cancels_its_session_too(off_track, coach, server):
    server.serve("/cal.ics", feed_text(ONE))
    feed = connected(coach, server)
    refresh(feed)
    server.serve("/cal.ics", feed_text(vevent(
        "one@test", "DTSTART:20260330T140000Z", "DTEND:20260330T150000Z",
        "STATUS:CANCELLED")))

    assert refresh(feed)["cancelled"] == 1


@pytest.mark.usefixtures("frozen")
def test_all_day_events_are_ignored(off_track, coach, server):
    server.serve("/cal.ics", feed_text(vevent(
        "allday@test", "DTSTART;VALUE=DATE:20260330", "DTEND;VALUE=DATE:20260331")))

    assert refresh(connected(coach, server))["created"] == 0

    assert not from_calendar(off_track).exists()
    off_track.refresh_from_db()
    assert off_track.progress == "off_track"


@pytest.mark.usefixtures("frozen")
def test_an_event_in_another_timezone_is_placed_at_the_same_instant(off_track, coach, server):
    server.serve("/cal.ics", feed_text(
        "BEGIN:VTIMEZONE", "TZID:Asia/Tokyo", "BEGIN:STANDARD", "DTSTART:19700101T000000",
        "TZOFFSETFROM:+0900", "TZOFFSETTO:+0900", "TZNAME:JST", "END:STANDARD",
        "END:VTIMEZONE",
        vevent("tokyo@test", "DTSTART;TZID=Asia/Tokyo:20260331T090000",
               "DTEND;TZID=Asia/Tokyo:20260331T100000")))

    refresh(connected(coach, server))

    session = from_calendar(off_track).get()
    assert session.starts_at == dt.datetime(2026, 3, 31, 0, tzinfo=dt.UTC)
    off_track.refresh_from_db()
    # The company's day (London): 31 March.
    assert off_track.next_event_on == dt.date(2026, 3, 31)


@pytest.mark.usefixtures("frozen")
def test_a_malformed_feed_fails_alone_and_its_owner_is_told_after_a_day(
        off_track, coach, owner_company, server, frozen, django_capture_on_commit_callbacks):
    other_coach = factories.UserFactory(company=owner_company, email="second@acme.test")
    other_coachee = factories.UserFactory(company=owner_company, email="c2@acme.test")
    second = factories.EngagementFactory(company=owner_company, coach=other_coach,
                                         coachee=other_coachee)
    server.serve("/bad.ics", "BEGIN:VCALENDAR\r\nthis is not ical\r\n")
    server.serve("/good.ics", feed_text(vevent(
        "good@test", "DTSTART:20260330T140000Z", "DTEND:20260330T150000Z",
        attendees=("c2@acme.test",))))
    bad = connected(coach, server, "/bad.ics")
    connected(other_coach, server, "/good.ics")

    assert calendars.refresh_all() == {"failed": 1, "created": 1, "moved": 0,
                                       "cancelled": 0, "skipped": 0}

    assert Session.objects.filter(engagement=second).count() == 1
    bad.refresh_from_db()
    assert bad.failing_since == NOW and "iCalendar" in bad.last_error
    assert mail.outbox == []
    frozen.shift(dt.timedelta(hours=23))
    calendars.refresh_all()
    assert mail.outbox == []
    frozen.shift(dt.timedelta(hours=1))
    calendars.refresh_all()
    calendars.refresh_all()
    assert [m.to for m in mail.outbox] == [[coach.email]]
    # Fixed: the next read succeeds and the failure is forgotten.
    server.serve("/bad.ics", feed_text(ONE))
    calendars.refresh_all()
    bad.refresh_from_db()
    assert (bad.failing_since, bad.last_error) == (None, "")
    assert from_calendar(off_track).count() == 1


@pytest.mark.usefixtures("frozen")
def test_an_unreachable_or_private_address_is_a_failure(coach, settings, server):
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    feed = CalendarFeed.objects.create(owner=coach, url="http://10.0.0.8/cal.ics")
    local = connected(coach, server)

    assert calendars.refresh_all()["failed"] == 2

    feed.refresh_from_db()
    assert "private network" in feed.last_error
    local.refresh_from_db()
    assert local.failing_since == NOW
    assert server.requests == []


@pytest.mark.usefixtures("frozen")
def test_only_running_engagements_of_the_owner_count(off_track, coach, owner_company, server):
    ended = factories.EngagementFactory(company=owner_company, coach=coach, ended_early=True,
                                        coachee=factories.UserFactory(
                                            company=owner_company, email="gone@acme.test"))
    not_coached = factories.EngagementFactory(company=owner_company, coachee=factories.
                                              UserFactory(company=owner_company,
                                                          email="theirs@acme.test"))
    server.serve("/cal.ics", feed_text(
        vevent("a@test", "DTSTART:20260330T140000Z", "DTEND:20260330T150000Z",
               attendees=("gone@acme.test",)),
        vevent("b@test", "DTSTART:20260330T160000Z", "DTEND:20260330T170000Z",
               attendees=("THEIRS@acme.test",))))

    assert refresh(connected(coach, server))["created"] == 0

    assert not Session.objects.filter(engagement__in=[ended, not_coached]).exists()


@pytest.mark.usefixtures("frozen")
def test_an_administrators_calendar_counts_for_the_engagements_they_manage(
        off_track, global_admin, server):
    server.serve("/cal.ics", feed_text(ONE))

    assert refresh(connected(global_admin, server))["created"] == 1

    assert AuditEvent.objects.get(action="session_scheduled").actor == global_admin


@pytest.mark.usefixtures("frozen")
def test_a_session_cancelled_in_optify_is_not_brought_back(off_track, coach, server):
    server.serve("/cal.ics", feed_text(ONE))
    feed = connected(coach, server)
    refresh(feed)
    actions.do_cancel_session(from_calendar(off_track).get(), by=coach)
    server.serve("/cal.ics", feed_text(vevent(
        "one@test", "DTSTART:20260331T140000Z", "DTEND:20260331T150000Z")))

    assert refresh(feed) == {"created": 0, "moved": 0, "cancelled": 0, "skipped": 0}
