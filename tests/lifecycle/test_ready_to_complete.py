"""The "may be ready to complete" hint: nothing ahead and nothing for a long time."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from engagements import lifecycle, lifecycle_views
from tests import factories

NOW = dt.datetime(2026, 9, 1, 12, tzinfo=dt.UTC)  # started 2026-03-02 (factory default)


def at(day):
    return dt.datetime.combine(day, dt.time(10), tzinfo=dt.UTC)


@pytest.fixture
def make(owner_company, location, global_admin):
    def make(**kwargs):
        return factories.EngagementFactory(company=owner_company, location=location,
                                           owner=global_admin, **kwargs)
    return make


@time_machine.travel(NOW, tick=False)
def test_idle_engagements_with_nothing_ahead_are_listed(make, global_admin):
    idle = make()
    factories.SessionFactory(engagement=idle, starts_at=at(dt.date(2026, 6, 1)),
                             status="completed")
    recent = make()
    factories.SessionFactory(engagement=recent, starts_at=at(dt.date(2026, 7, 15)))
    booked = make()
    factories.SessionFactory(engagement=booked, starts_at=at(dt.date(2026, 10, 1)))
    untouched = make()  # started in March, nothing since
    make(ended_early=True)
    matching = make(matching=True)
    factories.DiscoveryCallFactory(engagement=matching, starts_at=at(dt.date(2026, 9, 10)))

    listed = set(lifecycle.ready_to_complete(global_admin).values_list("pk", flat=True))

    assert listed == {idle.pk, untouched.pk}


@time_machine.travel(NOW, tick=False)
def test_the_idle_period_is_sixty_days_or_twice_a_long_threshold(make, global_admin):
    # Last session 2026-06-20: 73 days before 2026-09-01.
    short = make()
    long = make(template=factories.EngagementTemplateFactory(
        company=global_admin.company, tracking_threshold_days=42))  # twice: 84 days
    for engagement in (short, long):
        factories.SessionFactory(engagement=engagement, starts_at=at(dt.date(2026, 6, 20)))

    listed = set(lifecycle.ready_to_complete(global_admin).values_list("pk", flat=True))

    assert listed == {short.pk}


@time_machine.travel(NOW, tick=False)
def test_location_admins_see_only_their_locations(make, location_admin, other_location_admin):
    idle = make()
    assert list(lifecycle.ready_to_complete(location_admin)) == [idle]
    assert list(lifecycle.ready_to_complete(other_location_admin)) == []


@time_machine.travel(NOW, tick=False)
def test_the_page_offers_mark_complete(make, global_admin, client_for,
                                       django_assert_max_num_queries):
    rows = [make() for _ in range(3)]
    client = client_for(global_admin)
    # session, user, the distinct long thresholds, the list (with coachee, coach, template,
    # location joined), plus the layout's navigation and messages.
    with django_assert_max_num_queries(10):
        response = client.get(reverse("engagements:ready_to_complete"))
    content = response.content.decode()
    for row in rows:
        assert reverse("engagements:mark_complete", args=[row.pk]) in content
    assert reverse("engagements:bulk_action") in content


@pytest.mark.parametrize("role, status, sees_it", [
    ("global_admin", 200, True), ("location_admin", 200, True),
    ("other_location_admin", 200, False),
    # Administrators of other companies get the page for their own company: empty here.
    ("provider_admin", 200, False), ("other_admin", 200, False),
    ("coach", 403, False), ("coachee", 403, False),
])
@time_machine.travel(NOW, tick=False)
def test_only_administrators_see_the_page_and_only_their_scope(
        role, status, sees_it, roles, engagement, client_for):
    response = client_for(roles[role]).get(reverse("engagements:ready_to_complete"))
    assert response.status_code == status
    link = reverse("engagements:mark_complete", args=[engagement.pk])
    assert (link in response.content.decode()) is sees_it


@time_machine.travel(NOW, tick=False)
def test_the_page_shows_the_longest_idle_first_and_says_when_there_are_more(
        make, global_admin, client_for, monkeypatch):
    monkeypatch.setattr(lifecycle_views, "READY_TO_COMPLETE_SHOWN", 2)
    newest = make(started_on=dt.date(2026, 5, 1))
    oldest = make(started_on=dt.date(2026, 2, 1))
    middle = make(started_on=dt.date(2026, 3, 1))

    content = client_for(global_admin).get(
        reverse("engagements:ready_to_complete")).content.decode()

    assert content.index(f'value="{oldest.pk}"') < content.index(f'value="{middle.pk}"')
    assert f'value="{newest.pk}"' not in content
    assert "there are more" in content
    assert reverse("engagements:end_early", args=[oldest.pk]) in content


@pytest.mark.parametrize("role, linked", [
    ("global_admin", True), ("location_admin", True), ("provider_admin", True),
    ("coach", False), ("coachee", False),
])
def test_administrators_find_the_hint_in_the_navigation_and_on_the_engagements_page(
        role, linked, roles, client_for):
    content = client_for(roles[role]).get(reverse("engagements:list")).content.decode()
    url = reverse("engagements:ready_to_complete")
    assert (f'href="{url}"' in content) is linked
    assert ("See engagements that may be ready to complete" in content) is linked
