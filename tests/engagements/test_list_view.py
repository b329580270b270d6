import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from engagements.filters import EngagementFilterSet
from engagements.models import PROGRESS_HIDDEN, Engagement, Progress
from tests import factories

URL = reverse("engagements:list")
pytestmark = pytest.mark.usefixtures("first_of_april")
# The 8 queries of a global administrator's list (see below), plus the user's administered
# locations (read once per request); a coach also gets the navigation's "coaches anything?"
# checks (2).
QUERIES_BY_ROLE = {"location_admin": 9, "coach": 11}


def rows(response):
    return list(response.context["table"].page.object_list)


def row_pks(response):
    return {row.record.pk for row in rows(response)}


def make(company, owner, **kwargs):
    return factories.EngagementFactory(company=company, owner=owner, **kwargs)


@pytest.fixture
def tracked(engagement, owner_company, global_admin, location, coach):
    """Three more engagements beside the standing (on-track) one, in every progress state."""
    Engagement.objects.filter(pk=engagement.pk).update(
        progress=Progress.ON_TRACK, last_activity_on=dt.date(2026, 3, 25))
    off = make(owner_company, global_admin, location=location, coach=coach,
               progress=Progress.OFF_TRACK, off_track_since=dt.date(2026, 3, 23))
    untracked = make(owner_company, global_admin, progress=Progress.NOT_TRACKED)
    ended = make(owner_company, global_admin, ended_early=True)
    return {"on": engagement, "off": off, "untracked": untracked, "ended": ended}


def test_global_admin_sees_running_engagements_of_the_company_not_ended_ones(
        client_for, global_admin, tracked):
    response = client_for(global_admin).get(URL)
    assert response.status_code == 200
    assert row_pks(response) == {tracked["on"].pk, tracked["off"].pk, tracked["untracked"].pk}


def test_include_completed_adds_ended_engagements(client_for, global_admin, tracked):
    response = client_for(global_admin).get(URL, {"include_completed": "on"})
    assert tracked["ended"].pk in row_pks(response)


def test_other_company_admin_sees_nothing(client_for, other_admin, tracked):
    response = client_for(other_admin).get(URL, {"include_completed": "on"})
    assert row_pks(response) == set()


def test_anonymous_is_sent_to_sign_in(client_for, tracked):
    response = client_for(None).get(URL)
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize(("progress", "expected"), [
    ("on_track", {"on"}), ("off_track", {"off"}), ("not_tracked", {"untracked"}),
])
def test_progress_filter(client_for, global_admin, tracked, progress, expected):
    response = client_for(global_admin).get(URL, {"progress": progress})
    assert row_pks(response) == {tracked[name].pk for name in expected}


def test_progress_filter_does_not_reveal_hidden_progress(client_for, provider_admin, tracked):
    # The provider's admin sees rows coached by their coach, but not their progress: for them
    # the off-track engagement is "not tracking" ("-") and never matches "off track".
    client = client_for(provider_admin)
    assert row_pks(client.get(URL, {"progress": "off_track"})) == set()
    assert row_pks(client.get(URL, {"progress": "on_track"})) == set()
    hidden = row_pks(client.get(URL, {"progress": "not_tracked"}))
    assert hidden == {tracked["on"].pk, tracked["off"].pk}
    html = client.get(URL).content.decode()
    assert "Off Track</span>" not in html and "On Track</span>" not in html


@pytest.mark.parametrize("role", ["global_admin", "location_admin", "other_location_admin",
                                  "coach", "provider_admin", "coachee", "other_admin"])
def test_the_progress_filter_matches_the_progress_each_viewer_sees(
        rf, request, role, tracked, owner_company, provider_company, provider_admin,
        global_admin, coach):
    """
    The filter spells "progress the viewer sees" differently for administrators and for
    everyone else (`by_progress(user).shown`), for PostgreSQL's plans; both must match exactly the
    rows whose shown progress is the one asked for, "-" counting as "not tracking".
    """
    # The provider's administrator also coaches one engagement; the owner's administrator
    # coaches one of another company.
    make(owner_company, global_admin, coach=provider_admin, progress=Progress.OFF_TRACK,
         off_track_since=dt.date(2026, 3, 20))
    factories.EngagementFactory(coach=global_admin, progress=Progress.ON_TRACK)
    user = request.getfixturevalue(role)
    visible = Engagement.objects.restrict(user)
    for progress in Progress.values:
        get = rf.get(URL, {"progress": progress, "include_completed": "on"})
        get.user = user
        filtered = EngagementFilterSet(get.GET, queryset=visible, request=get).qs
        shown = {pk for pk, seen in visible.values_list("pk", "seen_progress")
                 if seen == progress or (seen == PROGRESS_HIDDEN and progress == "not_tracked")}
        assert set(filtered.values_list("pk", flat=True)) == shown, progress


def test_coach_sees_progress_of_engagements_they_coach(client_for, coach, tracked):
    response = client_for(coach).get(URL)
    assert row_pks(response) == {tracked["on"].pk, tracked["off"].pk}
    html = response.content.decode()
    assert "progress-off" in html and "progress-on" in html
    assert '<span class="visually-hidden">' not in html.split("<tbody")[1].split("Off Track")[0] \
        or "Off Track" in html


def test_location_admin_sees_only_their_location(client_for, location_admin,
                                                  other_location_admin, tracked):
    assert row_pks(client_for(location_admin).get(URL)) == {tracked["on"].pk, tracked["off"].pk}
    assert row_pks(client_for(other_location_admin).get(URL)) == set()


def test_status_kind_template_coach_and_location_filters(client_for, global_admin, tracked,
                                                         owner_company, location, coach):
    client = client_for(global_admin)
    matching = make(owner_company, global_admin, matching=True)
    assert row_pks(client.get(URL, {"status": "coach_matching"})) == {matching.pk}
    assert row_pks(client.get(URL, {"kind": "coach_matching"})) == {matching.pk}
    assert row_pks(client.get(URL, {"template": tracked["off"].template_id})) == {
        tracked["off"].pk}
    assert row_pks(client.get(URL, {"coach": coach.pk})) == {tracked["on"].pk, tracked["off"].pk}
    assert row_pks(client.get(URL, {"location": location.pk})) == {
        tracked["on"].pk, tracked["off"].pk}


def test_filters_on_the_engagements_own_columns_add_no_distinct(
        client_for, global_admin, tracked, location, coach, django_assert_num_queries):
    # django-filter makes multiple-choice filters DISTINCT by default (for to-many
    # relations); over the list's wide rows that cost 1.3 s a page at 200,000 engagements.
    filters = {"status": "active", "kind": "one_on_one", "location": location.pk,
               "template": tracked["on"].template_id, "coach": coach.pk}
    client = client_for(global_admin)
    with CaptureQueriesContext(connection) as queries:
        assert row_pks(client.get(URL, filters)) == {tracked["on"].pk}
    selects = [q["sql"].split(" FROM ")[0] for q in queries]
    page = [select for select in selects if '"engagements_engagement"."coachee_id"' in select]
    assert len(page) == 1 and "DISTINCT" not in page[0]


def test_an_ended_status_filter_shows_ended_engagements(client_for, global_admin, tracked):
    response = client_for(global_admin).get(URL, {"status": "ended_early"})
    assert row_pks(response) == {tracked["ended"].pk}


def test_text_search_matches_coachee_and_coach_names_and_emails(client_for, global_admin,
                                                                 tracked, coachee):
    client = client_for(global_admin)
    assert row_pks(client.get(URL, {"q": "cole coach"})) == {tracked["on"].pk}
    assert row_pks(client.get(URL, {"q": "COACHEE@acme"})) == {tracked["on"].pk}
    assert row_pks(client.get(URL, {"q": "cora"})) == {tracked["on"].pk, tracked["off"].pk}
    assert row_pks(client.get(URL, {"q": "nobody-matches"})) == set()


@pytest.mark.parametrize("params", [
    {"status": "bogus"},
    {"progress": "sideways"},
    {"template": "not-a-number"},
    {"coach": "999999999"},
    {"location": "-1"},
    {"include_completed": "maybe"},
    {"page": "x", "per_page": "many", "sort": "nonsense"},
    {"page": "99999"},
])
def test_invalid_filter_input_is_a_message_never_a_500(client_for, global_admin, tracked,
                                                        params):
    response = client_for(global_admin).get(URL, params)
    assert response.status_code == 200


def test_unknown_choice_shows_an_error_on_the_page(client_for, global_admin, tracked):
    response = client_for(global_admin).get(URL, {"status": "bogus"})
    assert "not understood" in response.content.decode()


def test_a_foreign_template_id_is_rejected_not_used(client_for, global_admin, tracked, other_admin):
    foreign = factories.EngagementTemplateFactory(company=other_admin.company)
    response = client_for(global_admin).get(URL, {"template": foreign.pk})
    assert "not understood" in response.content.decode()
    assert foreign.name not in response.content.decode()


def test_on_off_track_cells_carry_text_not_only_colour(client_for, global_admin, tracked):
    html = client_for(global_admin).get(URL).content.decode()
    assert '<span class="progress progress-off">' in html and "Off Track</span>" in html
    assert '<span class="progress progress-on">' in html and "On Track</span>" in html
    assert '<span class="visually-hidden">Not tracked</span>' in html


def test_days_until_off_track_shows_for_on_track_engagements(client_for, global_admin, tracked):
    # Last activity 25 March + 21 days = 15 April; today (1 April, London) -> 14 days.
    response = client_for(global_admin).get(URL)
    row = next(r for r in rows(response) if r.record.pk == tracked["on"].pk)
    assert row.get_cell_value("days_until_off_track") == 14
    off_row = next(r for r in rows(response) if r.record.pk == tracked["off"].pk)
    assert off_row.get_cell("days_until_off_track") == "-"


def test_days_until_off_track_is_hidden_from_those_who_may_not_see_progress(
        client_for, provider_admin, tracked):
    response = client_for(provider_admin).get(URL)
    assert all(r.get_cell("days_until_off_track") == "-" for r in rows(response))


def test_row_menu_offers_ending_only_to_managers(client_for, global_admin, coach, tracked):
    end_url = reverse("engagements:end_early", args=[tracked["on"].pk])
    complete_url = reverse("engagements:mark_complete", args=[tracked["on"].pk])
    html = client_for(global_admin).get(URL).content.decode()
    assert end_url in html and complete_url in html
    assert 'name="pk"' in html
    html = client_for(coach).get(URL).content.decode()
    assert end_url not in html and complete_url not in html
    assert 'name="pk"' not in html
    assert reverse("engagements:detail", args=[tracked["on"].pk]) in html


def test_sorting_by_off_track_since_puts_off_track_rows_first(client_for, global_admin,
                                                              tracked):
    response = client_for(global_admin).get(URL, {"sort": "-off_track_since"})
    assert rows(response)[0].record.pk == tracked["off"].pk
    response = client_for(global_admin).get(URL, {"sort": "off_track_since"})
    assert rows(response)[0].record.pk == tracked["off"].pk


def test_sorting_by_off_track_since_orders_by_date_newest_first(client_for, global_admin,
                                                                owner_company, tracked):
    newer = make(owner_company, global_admin, progress=Progress.OFF_TRACK,
                 off_track_since=dt.date(2026, 3, 28))
    response = client_for(global_admin).get(URL, {"sort": "-off_track_since"})
    assert [row.record.pk for row in rows(response)][:2] == [newer.pk, tracked["off"].pk]


def test_sorting_by_off_track_since_reveals_no_hidden_date(client_for, provider_admin,
                                                           owner_company, global_admin, coach):
    # The provider's administrator sees these rows (their coach), not their progress: sorted
    # "by off track since" they come in the order of rows without a date (newest first),
    # whatever their hidden dates say.
    made = [make(owner_company, global_admin, coach=coach, progress=Progress.OFF_TRACK,
                 off_track_since=dt.date(2026, 3, day)) for day in (20, 27, 23)]
    response = client_for(provider_admin).get(URL, {"sort": "-off_track_since"})
    assert [row.record.pk for row in rows(response)] == sorted(
        (engagement.pk for engagement in made), reverse=True)


@pytest.mark.parametrize("sort", ["coachee", "-coach", "template", "kind", "status", "owner",
                                  "location", "started_on", "last_activity_on",
                                  "-next_event_on", "progress", "days_until_off_track"])
def test_every_sortable_column_sorts(client_for, global_admin, tracked, sort):
    assert client_for(global_admin).get(URL, {"sort": sort}).status_code == 200


def test_pagination_fetches_one_extra_row_and_never_counts(client_for, global_admin,
                                                           owner_company,
                                                           django_assert_max_num_queries):
    factories.EngagementFactory.create_batch(30, company=owner_company, owner=global_admin)
    client = client_for(global_admin)
    response = client.get(URL, {"per_page": 25})
    assert len(rows(response)) == 25
    assert response.context["table"].page.has_next()
    second = client.get(URL, {"per_page": 25, "page": 2})
    assert len(rows(second)) == 5 and not second.context["table"].page.has_next()
    assert "Page 2" in second.content.decode()


@pytest.mark.parametrize("url", [URL, reverse("reports:report")])
def test_page_and_page_size_come_from_the_offered_choices(client_for, global_admin,
                                                          owner_company, url):
    factories.EngagementFactory.create_batch(30, company=owner_company, owner=global_admin)
    client = client_for(global_admin)
    # django-tables2 would have taken any per_page from the URL as it is.
    assert len(rows(client.get(url, {"per_page": 1_000_000}))) == 25
    assert len(rows(client.get(url, {"per_page": -1}))) == 25
    assert client.get(url, {"per_page": "9" * 20}).status_code == 200
    # A page past the last one, or one no OFFSET can hold, is the first.
    for page in [3, "9" * 20, 0, -1, "x"]:
        response = client.get(url, {"page": page, "per_page": 25})
        assert response.status_code == 200 and response.context["table"].page.number == 1
    assert client.get(url, {"page": 2, "per_page": 25}).context["table"].page.number == 2


@pytest.mark.parametrize("per_page", [25, 100, 250])
def test_list_runs_a_fixed_number_of_queries_whatever_the_page_size(
        client_for, global_admin, owner_company, tracked, per_page,
        django_assert_num_queries):
    factories.EngagementFactory.create_batch(40, company=owner_company, owner=global_admin)
    client = client_for(global_admin)
    client.get(URL)  # the session's first use
    # 1 session, 2 user, 3 the user's company (its local "today"), 4 the page's rows (one
    # query, coachee/coach/template/location joined, page_size + 1 fetched, no COUNT), 5-6
    # the rows' companies and owners (by id), 7-8 the filter form's template and location
    # options (coaches are searched by name, never all listed).
    with django_assert_num_queries(8):
        response = client.get(URL, {"per_page": per_page})
    assert len(rows(response)) == min(per_page, 43)


def test_location_admin_and_coach_lists_run_a_fixed_number_of_queries(
        client_for, location_admin, coach, owner_company, location, global_admin, tracked,
        django_assert_max_num_queries):
    factories.EngagementFactory.create_batch(5, company=owner_company, owner=global_admin,
                                             location=location, coach=coach)
    for viewer, role in ((location_admin, "location_admin"), (coach, "coach")):
        client = client_for(viewer)
        with django_assert_max_num_queries(QUERIES_BY_ROLE[role]):
            client.get(URL, {"per_page": 100})


def test_coaches_are_found_by_name_and_only_chosen_ones_are_listed(
        client_for, global_admin, owner_company, tracked, coach):
    other_coach = factories.UserFactory(company=owner_company, full_name="Orla Otherwise")
    make(owner_company, global_admin, coach=other_coach)
    client = client_for(global_admin)
    assert row_pks(client.get(URL, {"coach_name": "cora"})) == {
        tracked["on"].pk, tracked["off"].pk}
    assert row_pks(client.get(URL, {"coach_name": "COACH@COACHLY"})) == {
        tracked["on"].pk, tracked["off"].pk}
    choice = re.compile(rf'<input type="checkbox" name="coach" value="{other_coach.pk}"[^>]*>')
    assert not choice.search(client.get(URL).content.decode())  # no list of every coach
    chosen = choice.search(client.get(URL, {"coach": other_coach.pk}).content.decode())
    assert chosen and "checked" in chosen.group()


def test_a_coach_of_another_company_is_not_accepted_or_named(
        client_for, global_admin, tracked, other_admin):
    stranger = factories.UserFactory(company=other_admin.company, full_name="Stella Stranger")
    factories.EngagementFactory(company=other_admin.company, owner=other_admin, coach=stranger)
    response = client_for(global_admin).get(URL, {"coach": stranger.pk})
    page = response.content.decode()
    assert "not understood" in page
    assert "Stella Stranger" not in page


def test_provider_company_follows_the_coach(owner_company, global_admin, coach,
                                            provider_company):
    engagement = make(owner_company, global_admin, coach=coach)
    assert engagement.provider_company_id == provider_company.pk
    coach.company = owner_company
    coach.save()
    engagement.refresh_from_db()
    assert engagement.provider_company_id is None  # an in-house coach now
    in_house = factories.UserFactory(company=owner_company)
    engagement.coach = in_house
    engagement.save(update_fields=["coach"])
    engagement.refresh_from_db()
    assert engagement.provider_company_id is None
    engagement.coach = factories.UserFactory(company=provider_company)
    engagement.save(update_fields=["coach"])
    engagement.refresh_from_db()
    assert engagement.provider_company_id == provider_company.pk


def test_a_company_without_locations_gets_no_location_filter(client_for, other_admin,
                                                             global_admin, tracked):
    factories.EngagementFactory(company=other_admin.company, owner=other_admin, location=None)
    html = client_for(other_admin).get(URL).content.decode()
    assert "<legend>Template</legend>" in html and "<legend>Location</legend>" not in html
    assert "<legend>Location</legend>" in client_for(global_admin).get(URL).content.decode()
