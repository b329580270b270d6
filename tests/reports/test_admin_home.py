"""
The administrator's home (issue 19): the numbers that matter as links into the filtered
Engagements page, "needs attention", per administrator's scope; a coaching provider's
administrator is told that progress belongs to the client company and shown what they may see.
"""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from engagements.models import Engagement, Progress
from tests import factories

NOW = dt.datetime(2026, 4, 1, 12, tzinfo=dt.UTC)
HOME = reverse("home")
LIST = reverse("engagements:list")


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def programme(owner_company, location, other_location, global_admin, coach, engagement,
              other_company, other_admin):
    """Acme's engagements in London (the standing one on track) and Leeds, and Globex's."""

    def make(name, where=location, **fields):
        return factories.EngagementFactory(
            company=owner_company, location=where, owner=global_admin, coach=coach,
            coachee=factories.UserFactory(company=owner_company, full_name=name), **fields)

    Engagement.objects.filter(pk=engagement.pk).update(
        progress=Progress.ON_TRACK, next_event_on=dt.date(2026, 4, 20))
    return {
        "on": engagement,
        "off": make("Olga Off", progress=Progress.OFF_TRACK,
                    off_track_since=dt.date(2026, 3, 23)),
        "off_leeds": make("Lars Leeds", where=other_location, progress=Progress.OFF_TRACK,
                          off_track_since=dt.date(2026, 3, 10)),
        "soon": make("Sam Soon", progress=Progress.ON_TRACK,
                     goes_off_track_on=dt.date(2026, 4, 6)),
        "paused": make("Pia Paused", progress=Progress.PAUSED,
                       paused_until=dt.date(2026, 4, 14)),
        "untracked": make("Nia None", progress=Progress.NOT_TRACKED,
                          tracking_threshold_days=None),
        "ended": make("Eve Ended", completed=True),
        "globex": factories.EngagementFactory(
            company=other_company, owner=other_admin, progress=Progress.OFF_TRACK,
            off_track_since=dt.date(2026, 3, 1),
            coachee=factories.UserFactory(company=other_company, full_name="Gina Globex")),
    }


def numbers(response):
    return {name: response.context["counts"][name]
            for name in ("on_track", "off_track", "paused", "not_tracked", "soon")}


def test_the_global_administrators_numbers_are_links_into_the_filtered_list(
        client_for, global_admin, programme):
    client = client_for(global_admin)
    response = client.get(HOME)
    assert [t.name for t in response.templates][0] == "reports/home.html"
    assert numbers(response) == {"on_track": 2, "off_track": 2, "paused": 1,
                                 "not_tracked": 1, "soon": 1}
    links = response.context["links"]
    html = response.content.decode()
    # Each number is a link, and the filtered list it leads to has exactly that many rows.
    for name, count in numbers(response).items():
        href = links[name].replace("&", "&amp;")
        assert re.search(rf'href="{re.escape(href)}"><span class="stat-value">{count}<', html), name
        listed = client.get(links[name]).context["table"].page.object_list
        assert len(list(listed)) == count, name
    assert "Gina Globex" not in html and "Eve Ended" not in html
    assert str(response.context["navigation"][0]["label"]) == "Home"


def test_needs_attention_lists_off_track_longest_first_then_going_off_track_soonest(
        client_for, global_admin, programme):
    response = client_for(global_admin).get(HOME)
    attention = [e.pk for e in response.context["attention"]]
    assert attention == [programme[name].pk for name in ("off_leeds", "off", "soon")]
    html = response.content.decode()
    assert "off track in 5 days" in html
    assert '<time datetime="2026-03-10">10 Mar 2026</time>' in html


def test_needs_attention_merges_what_they_administer_with_what_they_coach_elsewhere(
        client_for, global_admin, other_company, other_admin, programme, monkeypatch):
    # Read per part of the gate (the rows they administer, the rows they coach in another
    # company), then merged: the oldest off track first, whichever part it comes from.
    coached = factories.EngagementFactory(
        company=other_company, owner=other_admin, coach=global_admin,
        progress=Progress.OFF_TRACK, off_track_since=dt.date(2026, 3, 5))
    response = client_for(global_admin).get(HOME)
    attention = [e.pk for e in response.context["attention"]]
    assert attention == [coached.pk] + [programme[name].pk
                                        for name in ("off_leeds", "off", "soon")]
    # With room for two, the two oldest off track: no soon row, nothing from beyond the limit.
    monkeypatch.setattr("reports.home.ATTENTION_LIMIT", 2)
    response = client_for(global_admin).get(HOME)
    assert [e.pk for e in response.context["attention"]] == [coached.pk,
                                                             programme["off_leeds"].pk]


def test_a_location_administrator_counts_their_locations_only(client_for, location_admin,
                                                               programme):
    response = client_for(location_admin).get(HOME)
    assert numbers(response) == {"on_track": 2, "off_track": 1, "paused": 1,
                                 "not_tracked": 1, "soon": 1}
    html = response.content.decode()
    assert "Lars Leeds" not in html and "Gina Globex" not in html
    assert "your locations: London" in html


def test_another_companys_administrator_sees_none_of_it(client_for, other_admin, programme):
    response = client_for(other_admin).get(HOME)
    assert numbers(response) == {"on_track": 0, "off_track": 1, "paused": 0,
                                 "not_tracked": 0, "soon": 0}
    html = response.content.decode()
    for name in ("Olga Off", "Lars Leeds", "Sam Soon", "Cole Coachee"):
        assert name not in html


def test_a_providers_administrator_is_told_progress_is_the_clients_and_sees_their_coaches(
        client_for, provider_admin, programme, engagement):
    factories.SessionFactory(engagement=engagement,
                             starts_at=dt.datetime(2026, 4, 3, 14, tzinfo=dt.UTC))
    response = client_for(provider_admin).get(HOME)
    html = response.content.decode()
    assert 'id="programme-numbers"' not in html  # no zeros that read "nothing tracked"
    assert "belongs to each client company" in html
    provided = response.context["provided"]
    assert provided["counts"]["running"] == 6  # Acme's running ones, all coached by Cora
    assert provided["counts"]["clients"] == 1 and provided["counts"]["coaches"] == 1
    assert provided["counts"]["next_week"] == 1
    assert provided["by_client"] == [{"company__name": "Acme", "engagements": 6, "coaches": 1}]
    assert "Fri 3 Apr, 15:00" in html and "Cole Coachee" in html
    for text in ("progress-off", "progress-on", "23 Mar 2026", "Gina Globex"):
        assert text not in html, text


def test_a_new_company_is_walked_through_its_first_steps(client_for, db):
    company = factories.CompanyFactory(name="Newco", slug="newco")
    admin = factories.AdminFactory(company=company)
    html = client_for(admin).get(HOME).content.decode()
    assert 'id="getting-started"' in html and 'id="programme-numbers"' not in html


def test_an_administrator_who_also_coaches_finds_their_coachees(client_for, global_admin,
                                                                 owner_company, programme):
    factories.EngagementFactory(company=owner_company, owner=global_admin, coach=global_admin)
    html = client_for(global_admin).get(HOME).content.decode()
    assert reverse("engagements:my_coachees") in html


def test_the_off_track_within_filter_keeps_progress_to_those_who_see_it(
        client_for, provider_admin, coachee, programme):
    for viewer in (provider_admin, coachee):
        response = client_for(viewer).get(LIST, {"off_track_within": "7"})
        assert list(response.context["table"].page.object_list) == []


def test_the_administrators_home_runs_a_fixed_number_of_queries(
        client_for, global_admin, owner_company, programme, django_assert_num_queries):
    factories.EngagementFactory.create_batch(10, company=owner_company, owner=global_admin,
                                             progress=Progress.OFF_TRACK,
                                             off_track_since=dt.date(2026, 3, 25))
    client = client_for(global_admin)
    client.get(HOME)
    # The session, the user, their company (its "today"); the counts of the rows they
    # administer and of the others they see (one each); "coaches or is coached?"; needs
    # attention's off-track rows, one per part of the gate, people joined (its soon rows
    # only when fewer than ten are off track: here ten are); the provider's count (none).
    with django_assert_num_queries(9):
        client.get(HOME)


def test_a_providers_home_runs_a_fixed_number_of_queries(
        client_for, provider_admin, programme, engagement, django_assert_num_queries):
    factories.SessionFactory.create_batch(5, engagement=engagement,
                                          starts_at=dt.datetime(2026, 4, 3, 14, tzinfo=dt.UTC))
    client = client_for(provider_admin)
    client.get(HOME)
    # The session, the user, their company; the two counts; "coaches or is coached?"; the
    # provided engagements' count, their sessions' counts, by client, the sessions to come.
    with django_assert_num_queries(10):
        client.get(HOME)
