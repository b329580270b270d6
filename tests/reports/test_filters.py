import datetime as dt

import pytest
from django.urls import reverse

from engagements.models import Engagement, Progress
from tests import factories
from tests.reports.conftest import flip

pytestmark = pytest.mark.django_db


def coachees(response):
    return {str(row.record.coachee) for row in response.context["table"].page.object_list}


def report(client, **params):
    return client.get(reverse("reports:report"), params)


@pytest.fixture
def history(make_engagement, frozen):
    """
    still_off: off track since 2026-04-10 and still off.
    recovered: went off track 2026-04-12, back on track 2026-04-20.
    old_off: off track since 2026-02-01.
    on: never off track.
    """
    still_off = make_engagement(Progress.OFF_TRACK, dt.date(2026, 4, 10),
                                coachee=factories.UserFactory(full_name="Still Off"))
    flip(still_off, dt.date(2026, 3, 2), Progress.ON_TRACK)
    flip(still_off, dt.date(2026, 4, 10), Progress.OFF_TRACK)
    recovered = make_engagement(Progress.ON_TRACK,
                                coachee=factories.UserFactory(full_name="Recovered"))
    flip(recovered, dt.date(2026, 3, 2), Progress.ON_TRACK)
    flip(recovered, dt.date(2026, 4, 12), Progress.OFF_TRACK)
    flip(recovered, dt.date(2026, 4, 20), Progress.ON_TRACK)
    old_off = make_engagement(Progress.OFF_TRACK, dt.date(2026, 2, 1),
                              coachee=factories.UserFactory(full_name="Old Off"),
                              started_on=dt.date(2026, 1, 5))
    flip(old_off, dt.date(2026, 1, 5), Progress.ON_TRACK)
    flip(old_off, dt.date(2026, 2, 1), Progress.OFF_TRACK)
    on = make_engagement(Progress.ON_TRACK, coachee=factories.UserFactory(full_name="Always On"))
    flip(on, dt.date(2026, 3, 2), Progress.ON_TRACK)
    return {"still_off": still_off, "recovered": recovered, "old_off": old_off, "on": on}


def test_progress_filter_keeps_only_that_status(client_for, global_admin, history):
    client = client_for(global_admin)
    assert coachees(report(client, progress="off_track")) == {"Still Off", "Old Off"}
    assert coachees(report(client, progress="on_track")) == {"Recovered", "Always On"}


def test_off_track_now_finds_engagements_off_track_since_a_day_in_the_range(
    client_for, global_admin, history
):
    response = report(client_for(global_admin), off_track_since_after="2026-04-01",
                      off_track_since_before="2026-04-30", off_track_mode="now")
    assert coachees(response) == {"Still Off"}


def test_went_off_track_in_range_also_finds_engagements_back_on_track(
    client_for, global_admin, history
):
    response = report(client_for(global_admin), off_track_since_after="2026-04-01",
                      off_track_since_before="2026-04-30", off_track_mode="history")
    assert coachees(response) == {"Still Off", "Recovered"}


def test_off_track_since_with_one_end_open(client_for, global_admin, history):
    client = client_for(global_admin)
    assert coachees(report(client, off_track_since_before="2026-03-01")) == {"Old Off"}
    assert coachees(report(client, off_track_since_after="2026-04-11",
                           off_track_mode="history")) == {"Recovered"}


def test_off_track_since_never_finds_rows_whose_progress_is_hidden(
    client_for, provider_admin, history
):
    client = client_for(provider_admin)
    # The provider administrator sees the rows (their coach's) but not their progress.
    assert len(coachees(report(client))) == 4
    for mode in ("now", "history"):
        response = report(client, off_track_since_after="2026-01-01",
                          off_track_since_before="2026-05-20", off_track_mode=mode)
        assert coachees(response) == set()
    assert coachees(report(client, progress="off_track")) == set()


def test_start_date_range(client_for, global_admin, history):
    response = report(client_for(global_admin), started_after="2026-01-01",
                      started_before="2026-01-31")
    assert coachees(response) == {"Old Off"}


def test_filters_combine(client_for, global_admin, history, make_engagement, frozen):
    ended = make_engagement(
        Progress.NOT_TRACKED, status=Engagement.Status.COMPLETED, ended_on=dt.date(2026, 5, 1),
        coachee=factories.UserFactory(full_name="Ended"),
    )
    flip(ended, dt.date(2026, 3, 2), Progress.ON_TRACK)
    flip(ended, dt.date(2026, 4, 15), Progress.OFF_TRACK)
    flip(ended, dt.date(2026, 5, 1), Progress.NOT_TRACKED)
    client = client_for(global_admin)
    params = {"off_track_since_after": "2026-04-01", "off_track_since_before": "2026-04-30",
              "off_track_mode": "history", "progress": "on_track"}
    assert coachees(report(client, **params)) == {"Recovered"}
    assert coachees(report(client, **{**params, "progress": "not_tracked"},
                           include_completed="on")) == {"Ended"}
    assert coachees(report(client, off_track_since_after="2026-04-01",
                           off_track_mode="history", include_completed="on",
                           q="Ended")) == {"Ended"}


@pytest.mark.parametrize("params", [
    {"off_track_since_after": "not-a-date"},
    {"off_track_since_after": "2026-05-01", "off_track_since_before": "2026-04-01"},
    {"started_after": "2026-13-45"},
    {"off_track_mode": "sometimes"},
    {"progress": "sideways"},
    {"coach": "999999"},
])
def test_bad_input_is_named_on_the_page_not_a_server_error(
    client_for, global_admin, history, params
):
    response = report(client_for(global_admin), **params)
    assert response.status_code == 200
    assert response.context["filter_form"].errors
    assert b"alert-error" in response.content


def test_the_form_says_which_reading_of_the_range_applies(client_for, global_admin, history):
    content = report(client_for(global_admin)).content.decode()
    assert 'value="now" id="id_off_track_mode_0" checked' in content
    assert "Went off track in this range (even if back on track now)" in content
