"""
/healthz and `manage.py check_health` watch webhooks and connected calendars too: deliveries
nobody sends, endpoints that keep failing, calendars that fail to be read or that nobody
reads — each reported under its own key until the real HTTP exchange that clears it.
"""

import datetime as dt

import pytest
import time_machine

from engagements import calendars
from engagements.models import CalendarFeed
from notifications import webhooks
from notifications.models import WebhookDelivery, WebhookEndpoint
from optify.health import HealthCollector
from tests import factories
from tests.ops.test_health import check_health, healthz
from tests.support.http import LocalServer

UTC = dt.UTC
MINUTE = dt.timedelta(minutes=1)
NOW = dt.datetime(2026, 3, 23, 9, tzinfo=UTC)
OK = {"status": "ok", "database": "ok"}
FEED = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\nEND:VCALENDAR\r\n")


@pytest.fixture(autouse=True)
def _setup(settings):
    settings.REDIS_URL = ""  # the broker has its own tests; these are the database's findings
    settings.PROGRESS_EVALUATION_HOUR = 6
    settings.OUTBOUND_ALLOW_LOOPBACK = True


@pytest.fixture
def acme(db):
    # Created at NOW, after its evaluation hour: it owes no run today, only these checks speak.
    with time_machine.travel(NOW, tick=False):
        return factories.CompanyFactory(slug="acme")


@pytest.fixture
def server():
    with LocalServer() as running:
        yield running


def endpoint_for(company, url, **fields):
    endpoint = WebhookEndpoint(company=company, url=url, secret=webhooks.new_secret(), **fields)
    endpoint.event_types = [webhooks.Type.SESSION_SCHEDULED]
    endpoint.save()
    return endpoint


def queued(endpoint, at, **fields):
    """A test event for `endpoint` queued at `at`, its delivery then set to `fields`."""
    with time_machine.travel(at, tick=False):
        delivery = webhooks.send_test_event(endpoint, factories.UserFactory(
            company=endpoint.company))
    WebhookDelivery.objects.filter(pk=delivery.pk).update(**fields)
    return delivery


def gauge(check):
    [family] = HealthCollector().collect()
    return {sample.labels["check"]: sample.value for sample in family.samples}[check]


def test_webhook_deliveries_due_for_over_30_minutes_are_reported_until_delivered(
        acme, client, capsys, server):
    server.answer("/hook", 200)
    endpoint = endpoint_for(acme, server.url("/hook"))
    queued(endpoint, NOW - 29 * MINUTE)  # the deliverer has a minute tick
    queued(endpoint, NOW - 40 * MINUTE, next_attempt_at=NOW + 2 * MINUTE)  # its backoff
    queued(endpoint, NOW - 40 * MINUTE, status="sending", claimed_at=NOW - 30 * MINUTE)
    off = endpoint_for(acme, server.url("/off"), is_enabled=False,
                       disabled_at=NOW - 3 * 24 * 60 * MINUTE)
    queued(off, NOW - 120 * MINUTE)  # a disabled endpoint's: nobody should send them
    with time_machine.travel(NOW, tick=False):
        assert healthz(client) == (200, OK)

    queued(endpoint, NOW - 31 * MINUTE)
    # Claimed by a worker that died: its 5-minute lease ended 35 minutes ago.
    queued(endpoint, NOW - 60 * MINUTE, status="sending", claimed_at=NOW - 40 * MINUTE)
    with time_machine.travel(NOW, tick=False):
        stuck = {"status": "degraded", "database": "ok", "stuck_webhooks": {
            "count": 2, "oldest_due_at": "2026-03-23T08:25:00+00:00", "oldest_minutes": 35}}
        assert healthz(client) == (200, stuck)
        assert check_health(capsys) == (1, stuck)
        assert gauge("stuck_webhooks") == 2

    with time_machine.travel(NOW + 3 * MINUTE, tick=False):
        assert webhooks.deliver_due() == {"delivered": 5}
        assert healthz(client) == (200, OK)
    assert len(server.to("/hook")) == 5 and server.to("/off") == []


def test_endpoints_failing_for_over_an_hour_or_disabled_in_the_last_day_are_reported(
        acme, client, capsys, server):
    globex = factories.CompanyFactory(slug="globex")
    server.answer("/hook", 500)
    endpoint = endpoint_for(acme, server.url("/hook"))
    endpoint_for(globex, server.url("/old"), is_enabled=False,
                 disabled_at=NOW - 25 * 60 * MINUTE)  # disabled yesterday: told already
    endpoint_for(globex, server.url("/gone"), is_enabled=False,
                 disabled_at=NOW - 23 * 60 * MINUTE)
    delivery = queued(endpoint, NOW - 61 * MINUTE)
    with time_machine.travel(NOW - 61 * MINUTE, tick=False):
        assert webhooks.deliver_due() == {"pending": 1}  # an HTTP 500 from the receiver
    with time_machine.travel(NOW - 2 * MINUTE, tick=False):
        assert healthz(client)[1]["failing_webhooks"] == {
            "count": 1, "failing": 0, "disabled": 1, "companies": ["globex"]}

    with time_machine.travel(NOW, tick=False):
        failing = {"status": "degraded", "database": "ok", "failing_webhooks": {
            "count": 2, "failing": 1, "disabled": 1, "companies": ["acme", "globex"]}}
        # Its retry is due now (a deliverer behind for an hour is the other check's business).
        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=NOW)
        assert healthz(client) == (200, failing)
        assert check_health(capsys) == (1, failing)
        assert gauge("failing_webhooks") == 2

        # The receiver is back: the retry succeeds, and acme's endpoint is well again.
        server.answer("/hook", 200)
        assert webhooks.deliver_due() == {"delivered": 1}
        assert healthz(client)[1]["failing_webhooks"] == {
            "count": 1, "failing": 0, "disabled": 1, "companies": ["globex"]}


def test_a_calendar_failing_for_over_an_hour_is_reported_until_it_is_read(
        acme, client, capsys, server):
    owner = factories.UserFactory(company=acme)
    server.answer("/cal.ics", 404)
    with time_machine.travel(NOW, tick=False):
        CalendarFeed.objects.create(owner=owner, url=server.url("/cal.ics"))
    for minutes in (0, 15, 30, 45, 59):
        with time_machine.travel(NOW + minutes * MINUTE, tick=False):
            assert calendars.refresh_all() == {"failed": 1}
            assert healthz(client) == (200, OK), minutes

    with time_machine.travel(NOW + 75 * MINUTE, tick=False):
        calendars.refresh_all()
        failing = {"status": "degraded", "database": "ok",
                   "failing_calendar_feeds": {"count": 1, "companies": ["acme"]}}
        assert healthz(client) == (200, failing)
        assert check_health(capsys) == (1, failing)
        assert gauge("failing_calendar_feeds") == 1

        server.answer("/cal.ics", 200)
        server.serve("/cal.ics", FEED)
        calendars.refresh_all()
        assert healthz(client) == (200, OK)


def test_calendars_nobody_read_for_an_hour_are_reported(acme, client, capsys, server):
    server.serve("/cal.ics", FEED)
    with time_machine.travel(NOW, tick=False):
        read = CalendarFeed.objects.create(owner=factories.UserFactory(company=acme),
                                           url=server.url("/cal.ics"))
        calendars.refresh_all()
    with time_machine.travel(NOW + 30 * MINUTE, tick=False):
        # Connected, and its first read lost (the broker was down): never read.
        CalendarFeed.objects.create(owner=factories.UserFactory(company=acme),
                                    url=server.url("/cal.ics"))
    with time_machine.travel(NOW + 59 * MINUTE, tick=False):
        assert healthz(client) == (200, OK)

    with time_machine.travel(NOW + 91 * MINUTE, tick=False):
        unread = {"status": "degraded", "database": "ok", "unread_calendar_feeds": {
            "count": 2, "oldest_read_at": "2026-03-23T09:00:00+00:00", "oldest_minutes": 91}}
        assert healthz(client) == (200, unread)
        assert check_health(capsys) == (1, unread)

        assert calendars.refresh_all() == {"unchanged": 1, "created": 0, "moved": 0,
                                           "cancelled": 0, "skipped": 0}
        assert healthz(client) == (200, OK)
    read.refresh_from_db()
    assert read.last_checked_at == NOW + 91 * MINUTE
