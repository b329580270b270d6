"""
Session emails with calendar invitations (parsed back with icalendar), the private calendar
feed, and the calendar sections of Settings per role.
"""

import datetime as dt

import icalendar
import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from accounts.models import User
from engagements import actions
from engagements.models import CalendarFeed, CalendarToken
from notifications.models import NudgePreference, Role
from optify.celery import app as celery_app
from tests import factories

NOW = dt.datetime(2026, 3, 23, 7, 0, tzinfo=dt.UTC)
STARTS = dt.datetime(2026, 3, 30, 13, 0, tzinfo=dt.UTC)  # 14:00 in London (BST)


@pytest.fixture(autouse=True)
def _eager_and_committed(django_capture_on_commit_callbacks):
    # The invitations are queued after commit: run both at once, in this process.
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    with time_machine.travel(NOW, tick=False):
        yield
    celery_app.conf.task_always_eager = eager


def committed(capture, action, *args, **kwargs):
    with capture(execute=True):
        return action(*args, **kwargs)


def invitations(to):
    found = []
    for message in mail.outbox:
        if message.to == [to]:
            name, content, mimetype = message.attachments[0]
            assert name == "invite.ics"
            found.append((mimetype, icalendar.Calendar.from_ical(content)))
    return found


def the_event(calendar):
    event, = calendar.walk("VEVENT")
    return event


def test_scheduling_moving_and_cancelling_send_request_update_and_cancel_for_one_uid(
        engagement, coach, coachee, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    session = committed(capture, actions.do_schedule_session, engagement, by=coach,
                        starts_at=STARTS)
    committed(capture, actions.do_move_session, session, by=coach,
              starts_at=STARTS + dt.timedelta(days=1))
    committed(capture, actions.do_cancel_session, session, by=coach, reason="Ill")

    sent = invitations(coachee.email)
    assert len(sent) == 3 and len(invitations(coach.email)) == 3
    methods = [str(calendar["method"]) for _mime, calendar in sent]
    assert methods == ["REQUEST", "REQUEST", "CANCEL"]
    assert [mime.split(";")[0] for mime, _c in sent] == ["text/calendar"] * 3
    events = [the_event(calendar) for _mime, calendar in sent]
    assert len({str(e["uid"]) for e in events}) == 1
    assert [int(e["sequence"]) for e in events] == [0, 1, 2]
    assert str(events[2]["status"]) == "CANCELLED"
    first = events[0]
    # In the company's timezone, with its VTIMEZONE.
    assert first["dtstart"].params["TZID"] == "Europe/London"
    assert first.decoded("dtstart") == STARTS
    assert sent[0][1].walk("VTIMEZONE")[0]["tzid"] == "Europe/London"
    attendees = {str(a).lower() for a in first["attendee"]}
    assert attendees == {f"mailto:{coachee.email}", f"mailto:{coach.email}"}
    assert events[1].decoded("dtstart") == STARTS + dt.timedelta(days=1)
    assert "Moved" in mail.outbox[2].subject
    assert mail.outbox[0].extra_headers["List-Unsubscribe"].startswith("<https://optify.test/")


def test_discovery_calls_are_invited_too(owner_company, location, global_admin, coach,
                                         django_capture_on_commit_callbacks):
    engagement = factories.EngagementFactory(company=owner_company, location=location,
                                             owner=global_admin, matching=True)
    candidate = factories.UserFactory(company=owner_company, email="cand@acme.test",
                                      is_coach=True)
    committed(django_capture_on_commit_callbacks, actions.do_schedule_discovery_call,
              engagement, by=global_admin, starts_at=STARTS, coach=candidate)

    (_mime, calendar), = invitations(candidate.email)
    assert the_event(calendar)["uid"].startswith("discovery-call-")
    assert len(invitations(engagement.coachee.email)) == 1


def test_the_switch_in_settings_turns_them_off_and_internal_records_get_none(
        engagement, coach, coachee, django_capture_on_commit_callbacks):
    NudgePreference.objects.create(user=coach, role=Role.CALENDAR_INVITES, enabled=False)
    User.objects.filter(pk=coachee.pk).update(status=User.Status.INTERNAL_RECORD)

    committed(django_capture_on_commit_callbacks, actions.do_schedule_session, engagement,
              by=coach, starts_at=STARTS)

    assert mail.outbox == []


def test_the_settings_page_has_the_calendar_invitations_switch_on_by_default(
        client_for, coach, engagement):
    client = client_for(coach)
    other_form = client.get(reverse("notifications:settings")).context["other_form"]
    assert other_form.initial["calendar_invites"] is True

    client.post(reverse("notifications:settings"), {"coach": "on", "early_warning": "on"})

    assert NudgePreference.objects.get(user=coach, role="calendar_invites").enabled is False


def test_sessions_from_a_calendar_get_no_invitation(engagement, coach,
                                                    django_capture_on_commit_callbacks):
    feed = CalendarFeed.objects.create(owner=coach, url="https://cal.example.com/x.ics")
    committed(django_capture_on_commit_callbacks, actions.do_schedule_session, engagement,
              by=coach, starts_at=STARTS, calendar_feed=feed, calendar_uid="abc@cal")

    assert mail.outbox == []


# ---------------------------------------------------------------------------------------------
# The private feed


def test_a_private_feed_lists_the_users_sessions_and_can_be_revoked(
        client_for, client, engagement, coach, coachee):
    session = factories.SessionFactory(engagement=engagement, starts_at=STARTS)
    signed_in = client_for(coachee)
    signed_in.post(reverse("engagements:calendar_feed_new"))
    page = signed_in.get(reverse("notifications:settings")).content.decode()
    url = page.split('id="calendar-feed-url">')[1].split("<")[0]
    assert url.startswith("https://optify.test/engagements/calendar/")
    assert url not in signed_in.get(reverse("notifications:settings")).content.decode()
    path = url.removeprefix("https://optify.test")
    client.logout()

    response = client.get(path)

    assert response["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    event = the_event(calendar)
    assert str(event["uid"]).startswith(f"session-{session.pk}@")
    assert event.decoded("dtstart") == STARTS
    assert CalendarToken.objects.get(user=coachee).token_hash not in url

    client_for(coachee).post(reverse("engagements:calendar_feed_revoke"))
    client.logout()
    assert client.get(path).status_code == 404


def test_a_new_address_replaces_the_old_one(client_for, client, coachee, engagement):
    signed_in = client_for(coachee)
    signed_in.post(reverse("engagements:calendar_feed_new"))
    old = signed_in.get(reverse("notifications:settings")).content.decode().split(
        'id="calendar-feed-url">')[1].split("<")[0].removeprefix("https://optify.test")
    signed_in.post(reverse("engagements:calendar_feed_new"))
    client.logout()
    assert client.get(old).status_code == 404


# ---------------------------------------------------------------------------------------------
# Settings per role


@pytest.mark.parametrize("role,feed,connect,webhooks", [
    ("global_admin", True, True, True),
    ("location_admin", True, True, False),
    ("coach", True, True, False),
    ("coachee", True, False, False),
    ("other_admin", True, True, True),
])
def test_settings_shows_the_calendar_and_webhook_sections_by_role(
        client_for, roles, engagement, role, feed, connect, webhooks):
    page = client_for(roles[role]).get(reverse("notifications:settings")).content.decode()
    assert ('id="calendar-feed-h"' in page) is feed
    assert ('id="connected-calendar-h"' in page) is connect
    assert ('id="webhooks-h"' in page) is webhooks


def test_a_coach_connects_a_calendar_and_a_private_address_is_refused(
        client_for, coach, engagement, settings):
    client = client_for(coach)
    response = client.post(reverse("engagements:calendar_connect"),
                           {"url": "http://192.168.1.4/cal.ics"})
    assert response.status_code == 302
    assert not CalendarFeed.objects.exists()
    assert "private network" in client.get(reverse("notifications:settings")).content.decode()

    client.post(reverse("engagements:calendar_connect"),
                {"url": "https://93.184.215.14/cal.ics"})
    assert CalendarFeed.objects.get().owner == coach
    client.post(reverse("engagements:calendar_disconnect"))
    assert not CalendarFeed.objects.exists()


def test_a_coachee_may_not_connect_a_calendar(client_for, coachee, engagement):
    response = client_for(coachee).post(reverse("engagements:calendar_connect"),
                                        {"url": "https://93.184.215.14/cal.ics"})
    assert response.status_code == 403
