"""
The weekly programme digest: Monday 08:00 in the company's timezone, to each administrator
for what they administer; not sent when nothing is tracked; its own switch; once a week.
"""

import datetime as dt

import pytest
import time_machine
from django.core import mail

from engagements.models import Progress
from notifications import sender
from notifications.models import Nudge, NudgePreference, Role
from notifications.weekly import build_due_weekly_digests, summary
from tests import factories
from tests.reports.conftest import flip

MONDAY = dt.date(2026, 3, 23)
D = dt.date


def at(moment):
    return time_machine.travel(moment, tick=False)


def digests():
    return sorted((n.recipient.email, n.day) for n in
                  Nudge.objects.filter(role=Role.WEEKLY_DIGEST).select_related("recipient"))


@pytest.fixture
def programme(owner_company, location, other_location, global_admin, location_admin,
              other_location_admin, engagement):
    """London: the standing engagement (off track since 18 Mar) and more; nothing in Leeds."""
    engagement.progress, engagement.off_track_since = Progress.OFF_TRACK, D(2026, 3, 18)
    engagement.save()
    flip(engagement, D(2026, 3, 18), Progress.OFF_TRACK, Progress.ON_TRACK)
    old = factories.EngagementFactory(company=owner_company, location=location, owner=global_admin,
                                      progress=Progress.OFF_TRACK,
                                      off_track_since=D(2026, 2, 1))
    soon = factories.EngagementFactory(company=owner_company, location=location, owner=global_admin,
                                       progress=Progress.ON_TRACK,
                                       goes_off_track_on=D(2026, 3, 26))
    back = factories.EngagementFactory(company=owner_company, location=location, owner=global_admin,
                                       progress=Progress.ON_TRACK)
    flip(back, D(2026, 3, 10), Progress.OFF_TRACK, Progress.ON_TRACK)
    flip(back, D(2026, 3, 20), Progress.ON_TRACK, Progress.OFF_TRACK)
    factories.EngagementFactory(company=owner_company, location=location, owner=global_admin,
                                progress=Progress.PAUSED, paused_until=D(2026, 4, 3))
    return {"newly": engagement, "old": old, "soon": soon, "back": back}


def test_the_digest_counts_and_lists_what_the_administrator_administers(
        programme, global_admin, owner_company):
    content = summary(global_admin, owner_company, MONDAY)
    assert (content["on_track"], content["off_track"], content["paused"]) == (2, 2, 1)
    assert [e.pk for e, _ in content["newly_off"]] == [programme["newly"].pk]
    assert content["back_on"] == 1
    assert [e.pk for e, _ in content["longest"]] == [programme["old"].pk, programme["newly"].pk]
    assert [e.pk for e, _ in content["soon"]] == [programme["soon"].pk]
    assert content["links"]["off_track"].endswith("/reports/?progress=off_track")
    assert "off_track_since_after=2026-03-16" in content["links"]["newly_off"]


def test_monday_8_in_each_companys_timezone_utc_plus_13_and_minus_10(db):
    tonga = factories.CompanyFactory(slug="tonga", timezone="Pacific/Tongatapu")  # UTC+13
    hawaii = factories.CompanyFactory(slug="hawaii", timezone="Pacific/Honolulu")  # UTC-10
    for company in (tonga, hawaii):
        admin = factories.AdminFactory(company=company, email=f"admin@{company.slug}.test")
        factories.EngagementFactory(company=company, owner=admin, progress=Progress.ON_TRACK)
    # Monday 08:00 in Tonga is Sunday 19:00 UTC; in Hawaii, Monday 18:00 UTC.
    with at(dt.datetime(2026, 3, 22, 18, 59, tzinfo=dt.UTC)):
        assert build_due_weekly_digests() == {}
    with at(dt.datetime(2026, 3, 22, 19, 0, tzinfo=dt.UTC)):
        assert build_due_weekly_digests() == {"tonga": 1}
    with at(dt.datetime(2026, 3, 23, 17, 59, tzinfo=dt.UTC)):  # Tuesday in Tonga
        assert build_due_weekly_digests() == {}
    with at(dt.datetime(2026, 3, 23, 18, 0, tzinfo=dt.UTC)):
        assert build_due_weekly_digests() == {"hawaii": 1}
    assert digests() == [("admin@hawaii.test", MONDAY), ("admin@tonga.test", MONDAY)]


def test_exactly_once_a_week_per_administrator_whatever_the_re_runs(programme):
    with at(dt.datetime(2026, 3, 23, 8, 5, tzinfo=dt.UTC)):  # London: GMT
        build_due_weekly_digests()
        build_due_weekly_digests()
        sender.send_due_nudges()
    with at(dt.datetime(2026, 3, 23, 9, 5, tzinfo=dt.UTC)):  # the next hourly tick
        assert build_due_weekly_digests() == {"acme": 0}
        sender.send_due_nudges()
    # The global administrator and London's; Leeds administers nothing tracked.
    assert digests() == [("admin@acme.test", MONDAY), ("london@acme.test", MONDAY)]
    assert sorted(m.to[0] for m in mail.outbox) == ["admin@acme.test", "london@acme.test"]
    [message] = [m for m in mail.outbox if m.to == ["admin@acme.test"]]
    assert message.subject == "Your programme this week: 2 off track, 2 on track, 1 paused · Acme"
    assert "reports/?progress=off_track" in message.body
    with at(dt.datetime(2026, 3, 30, 8, 5, tzinfo=dt.UTC)):  # a week later: the next one
        assert build_due_weekly_digests() == {"acme": 2}


def test_its_own_switch_turns_it_off(programme, global_admin):
    NudgePreference.objects.create(user=global_admin, role=Role.WEEKLY_DIGEST, enabled=False)
    with at(dt.datetime(2026, 3, 23, 8, 5, tzinfo=dt.UTC)):
        build_due_weekly_digests()
    assert digests() == [("london@acme.test", MONDAY)]


def test_a_location_administrator_reads_only_their_locations(
        programme, location_admin, other_location_admin, other_location, global_admin,
        owner_company):
    leeds = factories.EngagementFactory(company=owner_company, location=other_location,
                                        owner=global_admin, progress=Progress.OFF_TRACK,
                                        off_track_since=D(2026, 1, 5))
    flip(leeds, D(2026, 3, 17), Progress.ON_TRACK, Progress.OFF_TRACK)  # from, then back off
    london = summary(location_admin, owner_company, MONDAY)
    assert (london["on_track"], london["off_track"], london["paused"]) == (2, 2, 1)
    assert [e.pk for e, _ in london["longest"]] == [programme["old"].pk, programme["newly"].pk]
    assert london["back_on"] == 1
    lee = summary(other_location_admin, owner_company, MONDAY)
    assert (lee["on_track"], lee["off_track"], lee["paused"]) == (0, 1, 0)
    assert [e.pk for e, _ in lee["longest"]] == [leeds.pk]
    assert (lee["newly_off"], lee["soon"], lee["back_on"]) == ([], [], 1)
    everything = summary(global_admin, owner_company, MONDAY)
    assert [e.pk for e, _ in everything["longest"]] == [leeds.pk, programme["old"].pk,
                                                          programme["newly"].pk]
    assert everything["back_on"] == 2


def test_nothing_tracked_in_scope_is_no_digest(programme, other_location_admin, owner_company):
    assert summary(other_location_admin, owner_company, MONDAY) is None


def test_the_lists_keep_the_ten_first_in_their_order(owner_company, location, global_admin):
    for days in range(12):
        factories.EngagementFactory(company=owner_company, location=location,
                                    owner=global_admin, progress=Progress.OFF_TRACK,
                                    off_track_since=D(2026, 3, 22) - dt.timedelta(days=days))
        factories.EngagementFactory(company=owner_company, location=location,
                                    owner=global_admin, progress=Progress.ON_TRACK,
                                    goes_off_track_on=MONDAY + dt.timedelta(days=days % 7))
    content = summary(global_admin, owner_company, MONDAY)
    assert (content["newly_off_count"], content["soon_count"]) == (7, 12)
    longest = [e.off_track_since for e, _ in content["longest"]]
    assert longest == sorted(longest) and len(longest) == 10
    assert longest[0] == D(2026, 3, 11)
    assert [e.off_track_since for e, _ in content["newly_off"]] == [
        D(2026, 3, 16) + dt.timedelta(days=days) for days in range(7)]
    soon = [e.goes_off_track_on for e, _ in content["soon"]]
    assert soon == sorted(soon) and len(soon) == 10
    [(first, url)] = content["longest"][:1]
    assert str(first.coachee) and url.endswith(f"/engagements/{first.pk}/")


def grow(company, location, owner, n):
    """`n` more engagements of every kind the digest counts or lists, with last week's flips."""
    for i in range(n):
        off = factories.EngagementFactory(company=company, location=location, owner=owner,
                                          progress=Progress.OFF_TRACK,
                                          off_track_since=D(2026, 3, 16 + i % 7))
        flip(off, off.off_track_since, Progress.OFF_TRACK, Progress.ON_TRACK)
        back = factories.EngagementFactory(company=company, location=location, owner=owner,
                                           progress=Progress.ON_TRACK,
                                           goes_off_track_on=MONDAY + dt.timedelta(days=i % 7))
        flip(back, D(2026, 3, 18), Progress.ON_TRACK, Progress.OFF_TRACK)
        factories.EngagementFactory(company=company, location=location, owner=owner,
                                    progress=Progress.PAUSED, paused_until=D(2026, 4, 3))


def digests_as_the_sender_reads_them():
    return list(Nudge.objects.filter(role=Role.WEEKLY_DIGEST)
                .select_related("recipient__company", "company")
                .prefetch_related("recipient__administered_locations").order_by("pk"))


@pytest.mark.parametrize("more", [0, 15])
def test_building_and_composing_take_the_same_queries_whatever_the_size(
        programme, owner_company, location, global_admin, location_admin,
        django_assert_num_queries, more):
    grow(owner_company, location, global_admin, more)
    other = factories.CompanyFactory(slug="other", timezone="Europe/Paris")
    admin = factories.AdminFactory(company=other, email="admin@other.test")
    factories.EngagementFactory(company=other, owner=admin, progress=Progress.ON_TRACK)
    # The companies (with their timezones), then one INSERT ... SELECT for every due company's
    # administrators.
    with at(dt.datetime(2026, 3, 23, 8, 5, tzinfo=dt.UTC)), django_assert_num_queries(2):
        assert build_due_weekly_digests() == {"acme": 2, "other": 1}
    for nudge in digests_as_the_sender_reads_them():
        # One statement: the counts, the three lists and those back on track, over the rows
        # the gate gives the administrator (their locations prefetched with the batch).
        with django_assert_num_queries(1):
            message = sender.compose(nudge)
        assert message.subject.startswith("Your programme this week: ")
