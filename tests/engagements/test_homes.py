"""
A place for each person (issue 19): the coachee's "My coaching" with booking, and the coach's
"My coachees", what needs attention first. Each shows what it should and nothing of another
tenant, in a fixed number of queries.
"""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse

from engagements import actions
from engagements.models import AuditEvent, Engagement, EventStatus, Progress, Session
from tests import factories
from tests.engagements.conftest import NOW
from tracking.models import ProgressTransition

# Read on 1 April 2026 (conftest.py): with nothing else, the standing engagement is off track.
pytestmark = pytest.mark.usefixtures("first_of_april")

HOME = reverse("home")
MY_COACHING = reverse("engagements:my_coaching")
MY_COACHEES = reverse("engagements:my_coachees")


def book_url(engagement):
    return reverse("engagements:book_session", args=[engagement.pk])


def cancel_url(session):
    return reverse("engagements:cancel_booking", args=[session.engagement_id, session.pk])


@pytest.fixture
def off_track(engagement):
    Engagement.objects.filter(pk=engagement.pk).update(
        progress=Progress.OFF_TRACK, off_track_since=dt.date(2026, 3, 23),
        last_activity_on=dt.date(2026, 3, 2))
    engagement.refresh_from_db()
    return engagement


@pytest.fixture
def foreign(other_company, other_admin):
    """An engagement of another company, its coachee and coach strangers to Acme."""
    return factories.EngagementFactory(
        company=other_company, owner=other_admin,
        coachee=factories.UserFactory(company=other_company, full_name="Gina Globex"),
        coach=factories.UserFactory(company=other_company, full_name="Gus Globex"),
        progress=Progress.OFF_TRACK, off_track_since=dt.date(2026, 3, 20))


# -- the coachee's home -----------------------------------------------------------------------


def test_the_coachee_lands_on_my_coaching_with_their_coach_and_next_session(
        client_for, coachee, off_track, foreign):
    factories.SessionFactory(engagement=off_track,
                             starts_at=dt.datetime(2026, 4, 8, 9, tzinfo=dt.UTC))
    response = client_for(coachee).get(HOME)
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "engagements/homes/coachee.html"
    html = response.content.decode()
    for text in ("My coaching", "Cora Coach", 'href="mailto:coach@coachly.test"',
                 "Wednesday 8 Apr 2026, 10:00", "Europe/London", book_url(off_track)):
        assert text in html, text
    # Never an administrator's table, a filter panel or a progress that is always "-".
    for text in ('id="engagements-table"', 'id="filters"', "Off Track", "On Track",
                 "23 Mar 2026", "Gina Globex", "Gus Globex"):
        assert text not in html, text
    navigation = [str(item["label"]) for item in response.context["navigation"]]
    assert navigation[0] == "My coaching" and "Engagements" not in navigation
    assert response.context["navigation"][0]["current"]


def test_the_coachee_reads_the_notes_shared_with_them_not_private_ones(
        client_for, coachee, engagement):
    factories.SessionFactory(engagement=engagement, notes="Practise the pitch",
                             notes_shared=True, status=EventStatus.COMPLETED)
    factories.SessionFactory(engagement=engagement, notes="Seems tired", notes_shared=False,
                             starts_at=dt.datetime(2026, 3, 20, 9, tzinfo=dt.UTC),
                             status=EventStatus.COMPLETED)
    html = client_for(coachee).get(MY_COACHING).content.decode()
    assert "Practise the pitch" in html and "Seems tired" not in html


def test_an_ended_engagement_stays_readable_and_cannot_be_booked(
        client_for, coachee, coach, global_admin, owner_company, location):
    ended = factories.EngagementFactory(
        company=owner_company, location=location, owner=global_admin, coachee=coachee,
        coach=coach, ended_early=True)
    factories.SessionFactory(engagement=ended, starts_at=dt.datetime(2026, 3, 3, 9, tzinfo=dt.UTC),
                             status=EventStatus.COMPLETED, notes="Well done", notes_shared=True)
    html = client_for(coachee).get(MY_COACHING).content.decode()
    assert "ended early" in html and "Client request" in html
    assert "Well done" in html and "Tue 3 Mar 2026" in html
    assert book_url(ended) not in html


def test_the_coachee_keeps_goals_and_writes_to_their_coach_from_my_coaching(
        client_for, coachee, coach, engagement, foreign):
    factories.GoalFactory(engagement=engagement, title="Delegate the weekly report")
    factories.MessageFactory(engagement=engagement, author=coach, body="See you Thursday!")
    factories.GoalFactory(engagement=foreign, title="A Globex goal")
    client = client_for(coachee)
    html = client.get(MY_COACHING).content.decode()
    for text in ("Delegate the weekly report", "See you Thursday!", "Add goal", "Send message",
                 reverse("engagements:add_goal", args=[engagement.pk]),
                 reverse("engagements:post_message", args=[engagement.pk])):
        assert text in html, text
    assert "A Globex goal" not in html

    # Written from the home, back to the home at the section.
    response = client.post(reverse("engagements:add_goal", args=[engagement.pk]),
                           {"title": "Speak first on Mondays", "detail": "",
                            "next": MY_COACHING})
    assert response.status_code == 302
    assert response.url == f"{MY_COACHING}#goals-{engagement.pk}"
    response = client.post(reverse("engagements:post_message", args=[engagement.pk]),
                           {"body": "Thursday works.", "next": MY_COACHING})
    assert response.url == f"{MY_COACHING}#messages-{engagement.pk}"
    html = client.get(MY_COACHING).content.decode()
    assert "Speak first on Mondays" in html and "Thursday works." in html


def test_after_the_end_my_coaching_shows_goals_and_messages_and_no_form(
        client_for, coachee, coach, global_admin, owner_company, location):
    ended = factories.EngagementFactory(
        company=owner_company, location=location, owner=global_admin, coachee=coachee,
        coach=coach, completed=True)
    factories.GoalFactory(engagement=ended, title="Run the offsite")
    factories.MessageFactory(engagement=ended, author=coach, body="It was a pleasure.")
    html = client_for(coachee).get(MY_COACHING).content.decode()
    assert "Run the offsite" in html and "It was a pleasure." in html
    for text in (reverse("engagements:add_goal", args=[ended.pk]),
                 reverse("engagements:post_message", args=[ended.pk]), "Mark achieved"):
        assert text not in html, text
    assert "its goals stay readable" in html and "its messages stay readable" in html
    assert "Its sessions, notes, goals and messages stay here for you to read" in html


def test_someone_with_no_engagement_is_told_where_it_will_appear(client_for, owner_company):
    newcomer = factories.UserFactory(company=owner_company)
    html = client_for(newcomer).get(HOME).content.decode()
    assert 'id="no-coaching"' in html


# -- booking -----------------------------------------------------------------------------------


def test_the_coachee_books_a_session_in_company_time_and_it_is_on_track_at_once(
        client_for, coachee, off_track):
    client = client_for(coachee)
    page = client.get(book_url(off_track))
    assert page.status_code == 200 and "Europe/London" in page.content.decode()
    response = client.post(book_url(off_track),
                           {"date": "10 Apr 2026", "time": "09:30", "duration_minutes": "45"})
    assert response.status_code == 302 and response.url == MY_COACHING
    session = Session.objects.get()
    assert session.starts_at == dt.datetime(2026, 4, 10, 8, 30, tzinfo=dt.UTC)  # BST
    assert session.duration_minutes == 45 and session.status == EventStatus.SCHEDULED
    audit = AuditEvent.objects.get(action=AuditEvent.Action.SESSION_SCHEDULED)
    assert audit.actor == coachee and audit.changes["booked_by"] == "coachee"
    off_track.refresh_from_db()
    assert off_track.progress == Progress.ON_TRACK and off_track.off_track_since is None
    assert off_track.next_event_on == dt.date(2026, 4, 10)
    transition = ProgressTransition.objects.get(engagement=off_track)
    assert (transition.from_status, transition.to_status, transition.cause) == (
        Progress.OFF_TRACK, Progress.ON_TRACK, ProgressTransition.Cause.SESSION)
    html = client.get(MY_COACHING).content.decode()
    assert "Session booked with Cora Coach on Fri 10 Apr, 09:30." in html
    assert "Friday 10 Apr 2026, 09:30" in html


@pytest.mark.parametrize("when", [
    {"date": "2026-03-31", "time": "10:00"},  # yesterday
    {"date": "2026-04-01", "time": "12:30"},  # earlier today (13:00 in London now)
])
def test_booking_in_the_past_is_refused_on_the_form(client_for, coachee, engagement, when):
    response = client_for(coachee).post(book_url(engagement), {**when, "duration_minutes": 60})
    assert response.status_code == 400
    assert "Choose a day and time still to come." in response.content.decode()
    assert not Session.objects.exists()


def test_booking_is_refused_after_the_end_with_the_reason(client_for, coachee, global_admin,
                                                          engagement):
    actions.do_end_early(engagement, by=global_admin, reason="client_request")
    client = client_for(coachee)
    response = client.post(book_url(engagement),
                           {"date": "2026-04-10", "time": "09:30", "duration_minutes": 60},
                           follow=True)
    assert "This engagement has ended: nothing more can be booked in it." in (
        response.content.decode())
    assert not Session.objects.exists()
    response = client.get(book_url(engagement), follow=True)
    assert "nothing more can be booked" in response.content.decode()
    with pytest.raises(actions.EngagementEnded):
        actions.do_book_session(engagement, by=coachee,
                                starts_at=dt.datetime(2026, 4, 10, 9, tzinfo=dt.UTC))


def test_nobody_books_over_another_persons_engagement(client_for, roles, engagement,
                                                      owner_company, global_admin):
    """Another coachee of the same company: 404; the coach and administrators: 403."""
    neighbour = factories.UserFactory(company=owner_company)
    data = {"date": "2026-04-10", "time": "09:30", "duration_minutes": 60}
    assert client_for(neighbour).post(book_url(engagement), data).status_code == 404
    for role in ("coach", "global_admin", "location_admin", "provider_admin"):
        assert client_for(roles[role]).post(book_url(engagement), data).status_code == 403, role
    assert client_for(roles["other_admin"]).post(book_url(engagement), data).status_code == 404
    assert not Session.objects.exists()
    with pytest.raises(Http404):
        actions.do_book_session(engagement, by=neighbour, starts_at=NOW + dt.timedelta(days=3))
    with pytest.raises(PermissionDenied):
        actions.do_book_session(engagement, by=roles["coach"],
                                starts_at=NOW + dt.timedelta(days=3))


def test_booking_waits_for_the_coach_in_coach_matching(coachee, owner_company, global_admin,
                                                       location):
    matching = factories.EngagementFactory(company=owner_company, location=location,
                                           owner=global_admin, coachee=coachee, matching=True)
    with pytest.raises(actions.ActionRefused, match="once your coach is chosen"):
        actions.do_book_session(matching, by=coachee, starts_at=NOW + dt.timedelta(days=3))


def test_the_action_refuses_the_past_whatever_the_form_said(coachee, engagement):
    with pytest.raises(actions.ActionRefused, match="still to come"):
        actions.do_book_session(engagement, by=coachee, starts_at=NOW - dt.timedelta(hours=1))
    assert not Session.objects.exists()


def test_the_coachee_cancels_their_own_future_session(client_for, coachee, engagement):
    ahead = factories.SessionFactory(engagement=engagement,
                                     starts_at=dt.datetime(2026, 4, 8, 9, tzinfo=dt.UTC))
    client = client_for(coachee)
    html = client.get(MY_COACHING).content.decode()
    assert cancel_url(ahead) in html
    assert client.get(cancel_url(ahead)).status_code == 200
    response = client.post(cancel_url(ahead), {"reason": "Travelling"})
    assert response.status_code == 302 and response.url == MY_COACHING
    ahead.refresh_from_db()
    assert ahead.status == EventStatus.CANCELLED and ahead.cancel_reason == "Travelling"
    engagement.refresh_from_db()
    # Cancelling a session still to come is activity today (rule 3).
    assert engagement.last_activity_on == dt.date(2026, 4, 1)
    assert engagement.progress == Progress.ON_TRACK
    audit = AuditEvent.objects.get(action=AuditEvent.Action.SESSION_CANCELLED)
    assert audit.actor == coachee


def test_a_session_that_has_started_is_not_the_coachees_to_cancel(client_for, coachee,
                                                                  engagement):
    started = factories.SessionFactory(engagement=engagement,
                                       starts_at=dt.datetime(2026, 4, 1, 11, tzinfo=dt.UTC))
    assert cancel_url(started) not in client_for(coachee).get(MY_COACHING).content.decode()
    response = client_for(coachee).post(cancel_url(started), {}, follow=True)
    assert "already started" in response.content.decode()
    started.refresh_from_db()
    assert started.status == EventStatus.SCHEDULED


def test_only_the_coachee_cancels_here(client_for, roles, engagement, owner_company):
    ahead = factories.SessionFactory(engagement=engagement,
                                     starts_at=dt.datetime(2026, 4, 8, 9, tzinfo=dt.UTC))
    neighbour = factories.UserFactory(company=owner_company)
    assert client_for(neighbour).post(cancel_url(ahead), {}).status_code == 404
    assert client_for(roles["coach"]).post(cancel_url(ahead), {}).status_code == 403
    ahead.refresh_from_db()
    assert ahead.status == EventStatus.SCHEDULED


def test_the_coachee_home_runs_a_fixed_number_of_queries(
        client_for, coachee, coach, owner_company, location, global_admin,
        django_assert_num_queries):
    for index in range(3):
        engagement = factories.EngagementFactory(
            company=owner_company, location=location, owner=global_admin, coachee=coachee,
            coach=factories.UserFactory(company=owner_company))
        factories.SessionFactory.create_batch(
            4, engagement=engagement, starts_at=dt.datetime(2026, 4, 10 + index, 9,
                                                             tzinfo=dt.UTC))
        factories.GoalFactory.create_batch(2, engagement=engagement)
        factories.MessageFactory.create_batch(3, engagement=engagement)
    client = client_for(coachee)
    client.get(HOME)
    # The session, the user, the locations they administer (none: not an administrator), the
    # navigation's "coaches or is coached?" (also what "/" shows), the engagements (coach,
    # company, template, owner joined), their sessions, their goals, their messages, the
    # user's company (the page header).
    with django_assert_num_queries(9):
        response = client.get(HOME)
    assert len(response.context["engagements"]) == 3


# -- the coach's home -------------------------------------------------------------------------


@pytest.fixture
def coached(owner_company, location, global_admin, coach, engagement):
    """The coach's engagements in every state that orders them, as the evaluation stores it."""

    def make(name, **fields):
        return factories.EngagementFactory(
            company=owner_company, location=location, owner=global_admin, coach=coach,
            coachee=factories.UserFactory(company=owner_company, full_name=name), **fields)

    Engagement.objects.filter(pk=engagement.pk).update(
        progress=Progress.ON_TRACK, next_event_on=dt.date(2026, 4, 20),
        last_activity_on=dt.date(2026, 3, 25))
    return {
        "later": engagement,  # off track on 11 May (20 Apr + 21 days)
        "off_recent": make("Bea Recent", progress=Progress.OFF_TRACK,
                           off_track_since=dt.date(2026, 3, 28)),
        "off_long": make("Abe Long", progress=Progress.OFF_TRACK,
                         off_track_since=dt.date(2026, 3, 12)),
        "soon": make("Cid Soon", progress=Progress.ON_TRACK,
                     goes_off_track_on=dt.date(2026, 4, 4)),
        "untracked": make("Dee Untracked", progress=Progress.NOT_TRACKED,
                          tracking_threshold_days=None),
        "ended": make("Eve Ended", completed=True),
    }


def test_the_coach_sees_what_needs_attention_first(client_for, coach, coached, foreign):
    response = client_for(coach).get(HOME)
    assert [t.name for t in response.templates][0] == "engagements/homes/coach.html"
    order = [e.pk for e in response.context["engagements"]]
    expected = ["off_long", "off_recent", "soon", "later", "untracked"]
    assert order == [coached[name].pk for name in expected]
    html = response.content.decode()
    assert "Eve Ended" not in html and "Gina Globex" not in html
    assert "2 off track" in html and "1 going off track within 7 days" in html
    navigation = [str(item["label"]) for item in response.context["navigation"]]
    assert navigation[:2] == ["My coachees", "Engagements"]


def test_ended_engagements_come_last_when_asked_for(client_for, coach, coached):
    response = client_for(coach).get(MY_COACHEES, {"include_completed": "on"})
    engagements = response.context["engagements"]
    assert engagements[-1].pk == coached["ended"].pk
    assert "Eve Ended" in response.content.decode()


def test_the_coachs_actions_are_one_click_away(client_for, coach, engagement):
    started = factories.SessionFactory(engagement=engagement,
                                       starts_at=dt.datetime(2026, 3, 30, 9, tzinfo=dt.UTC))
    factories.SessionFactory(engagement=engagement,
                             starts_at=dt.datetime(2026, 4, 9, 9, tzinfo=dt.UTC))
    html = client_for(coach).get(MY_COACHEES).content.decode()
    held = reverse("engagements:complete_session", args=[engagement.pk, started.pk])
    assert f'action="{held}"' in html
    assert f'{engagement.get_absolute_url()}#schedule-session' in html
    assert "Thu 9 Apr, 10:00" in html  # the next session, in the company's time
    response = client_for(coach).post(held)
    assert response.status_code == 302
    started.refresh_from_db()
    assert started.status == EventStatus.COMPLETED


def test_the_coach_sees_open_goals_and_the_latest_message_of_each_thread(
        client_for, coach, coachee, engagement, foreign):
    factories.GoalFactory.create_batch(2, engagement=engagement)
    factories.GoalFactory(engagement=engagement, achieved_at=NOW)
    factories.MessageFactory(engagement=engagement, author=coach, body="See you Thursday",
                             created_at=NOW - dt.timedelta(hours=2))
    factories.MessageFactory(engagement=engagement, author=coachee, body="Thursday works",
                             created_at=NOW - dt.timedelta(hours=1))
    factories.MessageFactory(engagement=foreign, author=foreign.coachee,
                             created_at=NOW - dt.timedelta(minutes=1))
    html = client_for(coach).get(MY_COACHEES).content.decode()
    assert "2 open goals" in html
    assert "Last message: Cole Coachee, 1 Apr, 12:00" in html  # London time
    assert f"{engagement.get_absolute_url()}#messages-{engagement.pk}" in html
    assert "Gina Globex" not in html


def test_the_coach_home_runs_a_fixed_number_of_queries(client_for, coach, coached,
                                                       django_assert_num_queries):
    for engagement in coached.values():
        factories.SessionFactory.create_batch(3, engagement=engagement)
        factories.GoalFactory.create_batch(2, engagement=engagement)
        factories.MessageFactory.create_batch(2, engagement=engagement)
    client = client_for(coach)
    client.get(HOME)
    # The session, the user, the locations they administer (none), the navigation's "coaches
    # or is coached?", the engagements (coachee, coach, template, location joined; open goals
    # and the latest message as subqueries), their companies and owners (by id), their
    # scheduled sessions, the user's company (header).
    with django_assert_num_queries(9):
        response = client.get(HOME)
    assert len(response.context["engagements"]) == 5
