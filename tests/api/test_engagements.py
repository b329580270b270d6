"""
Engagements through the API: the gate's rows, the page's filters and their URL parameters,
`progress` null exactly where the pages show "-", cursor pages of a fixed number of queries,
and JSON errors for any input.
"""

import datetime as dt

import pytest
from django.urls import reverse

from engagements.api.serializers import EngagementSerializer
from engagements.models import Engagement, Progress
from engagements.tables import progress_html
from tests import factories
from tests.tenancy_matrix import ROLES

URL = "/api/v1/engagements/"


@pytest.fixture
def varied(engagement, owner_company, location, global_admin, coach, coachee):
    """The standing engagement off track, and one of each other kind of progress."""
    Engagement.objects.filter(pk=engagement.pk).update(
        progress=Progress.OFF_TRACK, off_track_since=dt.date(2026, 3, 23),
        last_activity_on=dt.date(2026, 3, 2))
    same = {"company": owner_company, "owner": global_admin, "coach": coach,
            "coachee": coachee, "location": location}
    return {
        "off": engagement,
        "on": factories.EngagementFactory(**same, progress=Progress.ON_TRACK,
                                          next_event_on=dt.date(2026, 4, 8)),
        "paused": factories.EngagementFactory(**same, progress=Progress.PAUSED,
                                              paused_until=dt.date(2026, 4, 14)),
        "untracked": factories.EngagementFactory(**same, tracking_threshold_days=None),
        "ended": factories.EngagementFactory(**same, ended_early=True),
        "elsewhere": factories.EngagementFactory(company=owner_company, owner=global_admin,
                                                 progress=Progress.ON_TRACK),
    }


def api_rows(client, **params):
    response = client.get(URL, {"include_completed": "on", **params})
    assert response.status_code == 200, response.content
    return {row["id"]: row for row in response.json()["results"]}


def page_dashes(client):
    """Each row of the Engagements page: whether its On/Off Track cell is "-"."""
    response = client.get(reverse("engagements:list"), {"include_completed": "on"})
    records = response.context["table"].data
    return {row.pk: "progress-none" in progress_html(row.seen_progress) for row in records}


@pytest.mark.parametrize("initials", [r for r in ROLES if r != "A"])
def test_progress_is_null_exactly_where_the_page_shows_a_dash(client_for, roles, varied,
                                                              initials):
    client = client_for(roles[ROLES[initials]])
    rows = api_rows(client)
    dashes = page_dashes(client)
    assert set(rows) == set(dashes)
    for pk, row in rows.items():
        assert (row["progress"] is None) is dashes[pk], (initials, pk, row)
        if row["progress"] is None and not row["sees_progress"]:
            assert row["off_track_since"] is None and row["reason"] is None


def test_what_an_administrator_and_the_coach_see(client_for, global_admin, coach,
                                                 provider_admin, varied):
    for user in (global_admin, coach):
        rows = api_rows(client_for(user))
        off = rows[varied["off"].pk]
        assert off["progress"] == "off_track" and off["off_track_since"] == "2026-03-23"
        assert off["reason"].startswith("Off track since 23 Mar")
        assert rows[varied["on"].pk]["reason"] == "On track: next session 8 Apr"
        assert rows[varied["paused"].pk]["progress"] == "paused"
        assert rows[varied["untracked"].pk]["progress"] is None
        assert rows[varied["untracked"].pk]["reason"] == \
            "Not tracked: tracking is off in its template"
    hidden = api_rows(client_for(provider_admin))[varied["off"].pk]
    assert hidden == {**hidden, "progress": None, "off_track_since": None, "reason": None,
                      "sees_progress": False, "can_manage": False}


def test_the_pages_filters_and_parameters_apply(client_for, global_admin, varied):
    client = client_for(global_admin)
    assert set(api_rows(client, progress="off_track")) == {varied["off"].pk}
    default = client.get(URL).json()["results"]
    assert varied["ended"].pk not in {row["id"] for row in default}
    assert set(api_rows(client, status="ended_early")) == {varied["ended"].pk}
    coachee_name = varied["off"].coachee.full_name
    assert varied["off"].pk in api_rows(client, q=coachee_name)
    assert varied["elsewhere"].pk not in api_rows(client, q=coachee_name)


def test_filtering_by_progress_reveals_nothing_hidden(client_for, provider_admin, varied):
    client = client_for(provider_admin)
    assert api_rows(client, progress="off_track") == {}
    assert varied["off"].pk in api_rows(client, progress="not_tracked")


@pytest.mark.parametrize("params", [
    {"coach": "99999999999999999999999"}, {"template": "-1"}, {"location": "x"},
    {"progress": "sideways"}, {"status": "ø"}, {"page_size": "0"}, {"page_size": "abc"},
    {"cursor": "not-a-cursor"}, {"cursor": "cD1hYmM="},
    {"cursor": "cD05OTk5OTk5OTk5OTk5OTk5OTk5OTk5"},
])
def test_hostile_parameters_are_json_errors(client_for, global_admin, varied, params):
    response = client_for(global_admin).get(URL, params)
    assert response.status_code in (400, 404), response.content
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize("path", [
    f"{URL}99999999999999999999999/", f"{URL}0/", f"{URL}abc/", "/api/v1/nothing/",
    "/api/v1/sessions/99999999999999999999/", "/api/whatever",
])
def test_hostile_paths_are_json_404s(client_for, global_admin, path):
    response = client_for(global_admin).get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_an_ended_engagement_is_found_by_id(client_for, global_admin, varied):
    response = client_for(global_admin).get(f"{URL}{varied['ended'].pk}/")
    assert response.status_code == 200
    assert response.json()["status"] == "ended_early"


def test_json_for_accept_application_json(client_for, global_admin, varied):
    response = client_for(global_admin).get(URL, HTTP_ACCEPT="application/json")
    assert response["Content-Type"] == "application/json"
    browsable = client_for(global_admin).get(URL, HTTP_ACCEPT="text/html")
    assert browsable["Content-Type"].startswith("text/html")


def test_a_cursor_walk_sees_every_row_once_in_a_fixed_number_of_queries(
        api_as, global_admin, owner_company, django_assert_num_queries):
    factories.EngagementFactory.create_batch(7, company=owner_company, owner=global_admin)
    client = api_as(global_admin)
    seen, url = [], f"{URL}?page_size=3"
    pages = 0
    while url:
        # Per page: the token (with its user and company), the page's rows. The first
        # request also records the token's use (one UPDATE).
        with django_assert_num_queries(3 if pages == 0 else 2):
            body = client.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
        pages += 1
    assert pages == 3
    assert len(seen) == len(set(seen)) == 7
    assert seen == sorted(seen, reverse=True)


def test_rows_administered_and_coached_elsewhere_come_in_one_order(
        api_as, global_admin, owner_company, other_company, other_admin):
    """
    The list reads the gate in two parts (administered; coached or seen elsewhere) and merges
    them: a walk in small pages sees exactly restrict()'s rows, each once, newest first, with
    each part's own annotations, in the same number of queries as one part.
    """
    mine, elsewhere = [], []
    for _ in range(4):
        mine.append(factories.EngagementFactory(company=owner_company, owner=global_admin))
        elsewhere.append(factories.EngagementFactory(company=other_company, owner=other_admin,
                                                     coach=global_admin))
    client = api_as(global_admin)
    seen, url, rows = [], f"{URL}?page_size=3", {}
    while url:
        body = client.get(url).json()
        seen += [row["id"] for row in body["results"]]
        rows.update({row["id"]: row for row in body["results"]})
        url = body["next"]
    expected = set(Engagement.objects.restrict(global_admin).exclude(
        status__in=["ended_early", "completed"]).values_list("pk", flat=True))
    assert seen == sorted(expected, reverse=True) and len(seen) == len(set(seen))
    assert {e.pk for e in mine + elsewhere} <= expected
    assert all(rows[e.pk]["can_manage"] for e in mine)
    assert not any(rows[e.pk]["can_manage"] for e in elsewhere)
    assert all(rows[e.pk]["sees_progress"] for e in elsewhere)  # their coach sees progress
    # A filter applies to both parts.
    filtered = client.get(URL, {"q": elsewhere[0].coachee.full_name, "page_size": 50}).json()
    assert elsewhere[0].pk in [row["id"] for row in filtered["results"]]


@pytest.mark.parametrize("initials", ["G", "P"])
def test_each_row_says_what_its_engagement_holds(client_for, roles, varied, initials):
    """Rows are written from values, not objects: they hold the objects' own data."""
    user = roles[ROLES[initials]]
    rows = api_rows(client_for(user))
    declared = set(EngagementSerializer().fields)
    shown = {e.pk: e for e in Engagement.objects.restrict(user).select_related(
        "coachee", "coach", "template", "location")}
    assert set(rows) == set(shown) and len(rows) >= 5
    for pk, row in rows.items():
        e = shown[pk]
        assert set(row) == declared
        assert row["coachee"] == {"id": e.coachee_id, "full_name": e.coachee.full_name,
                                  "email": e.coachee.email}
        assert row["coach"] == (e.coach and {"id": e.coach_id, "full_name": e.coach.full_name,
                                             "email": e.coach.email})
        assert row["template"] == {"id": e.template_id, "name": e.template.name}
        assert row["location"] == (e.location and {"id": e.location_id,
                                                   "name": e.location.name})
        assert (row["owner"], row["status"], row["kind"]) == (e.owner_id, e.status, e.kind)
        assert row["started_on"] == (e.started_on and e.started_on.isoformat())
