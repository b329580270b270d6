import datetime as dt

import pytest
from django.test import RequestFactory
from django.urls import reverse

from engagements.models import Engagement, Progress
from engagements.visibility import by_progress
from reports import history
from reports.charts import LABEL_GAP, axis_top, trend_chart
from reports.filters import ReportFilterSet
from reports.history import week_ends
from tests import factories
from tests.reports.conftest import TODAY, flip

pytestmark = pytest.mark.django_db


def test_week_ends_are_the_last_eleven_sundays_and_today():
    ends = week_ends(TODAY)
    assert len(ends) == 12
    assert ends[-1] == TODAY
    assert ends[-2] == dt.date(2026, 5, 17)
    assert ends[0] == dt.date(2026, 3, 8)
    assert all(day.weekday() == 6 for day in ends[:-1])


def test_totals_count_the_filtered_rows_in_one_query_whatever_their_number(
    client_for, global_admin, make_engagement, frozen, django_assert_max_num_queries
):
    for progress in [Progress.ON_TRACK] * 3 + [Progress.OFF_TRACK] * 2 + [Progress.NOT_TRACKED]:
        make_engagement(progress, dt.date(2026, 5, 1) if progress == Progress.OFF_TRACK else None)
    make_engagement(Progress.NOT_TRACKED, status=Engagement.Status.COMPLETED,
                    ended_on=dt.date(2026, 5, 1))
    client = client_for(global_admin)
    # session, user, company (today), the list's count for its hint, the page's rows, the
    # totals (one), the trend (one), saved views, and the three filter dropdowns (templates,
    # coaches, locations): 11, whatever the number of rows.
    with django_assert_max_num_queries(11):
        response = client.get(reverse("reports:report"), {"per_page": 25})
    totals = response.context["totals"]
    assert totals == {"total": 6, "on_track": 3, "off_track": 2, "not_tracked": 1, "hidden": 0}
    rows = list(response.context["table"].page.object_list)
    assert len(rows) == totals["total"]
    assert sum(r.record.seen_progress == Progress.OFF_TRACK for r in rows) == 2
    assert b'id="total-off">2<' in response.content

    filtered = client.get(reverse("reports:report"), {"progress": "off_track"})
    assert filtered.context["totals"]["total"] == 2
    assert filtered.context["totals"]["on_track"] == 0


def test_totals_of_a_viewer_who_may_not_see_progress_reveal_nothing(
    client_for, provider_admin, make_engagement, frozen
):
    make_engagement(Progress.OFF_TRACK, dt.date(2026, 5, 1))
    make_engagement(Progress.ON_TRACK)
    response = client_for(provider_admin).get(reverse("reports:report"))
    assert response.context["totals"] == {
        "total": 2, "on_track": 0, "off_track": 0, "not_tracked": 0, "hidden": 2,
    }
    assert all(week.on_track == week.off_track == 0 for week in response.context["chart"]["weeks"])


def summary(user, **params):
    """The report's totals and trend for `user` and the filters `params`."""
    request = RequestFactory().get("/reports/", params)
    request.user = user
    queryset = Engagement.objects.restrict(user)
    filterset = ReportFilterSet(request.GET, queryset=queryset, request=request)
    totals, weeks = history.summary(filterset, user, TODAY)
    return totals, {week.day: (week.on_track, week.off_track) for week in weeks}


def test_trend_counts_each_weeks_status_rebuilt_from_the_history(
    global_admin, coach, make_engagement, frozen
):
    a = make_engagement(Progress.ON_TRACK)
    flip(a, dt.date(2026, 3, 2), Progress.ON_TRACK)
    flip(a, dt.date(2026, 4, 1), Progress.OFF_TRACK)    # off from the week of 30 Mar
    flip(a, dt.date(2026, 4, 20), Progress.ON_TRACK)    # on again from the week of 20 Apr
    b = make_engagement(Progress.OFF_TRACK, dt.date(2026, 5, 19))
    flip(b, dt.date(2026, 4, 6), Progress.ON_TRACK)
    # Two changes in one day: the last one counts.
    flip(b, dt.date(2026, 4, 12), Progress.OFF_TRACK)
    flip(b, dt.date(2026, 4, 12), Progress.ON_TRACK)
    flip(b, dt.date(2026, 5, 19), Progress.OFF_TRACK)   # off in the current week
    other = factories.EngagementFactory(progress=Progress.ON_TRACK)
    flip(other, dt.date(2026, 4, 1), Progress.ON_TRACK)  # another company's history stays out

    _, weeks = summary(global_admin)
    assert weeks[dt.date(2026, 3, 8)] == (1, 0)
    assert weeks[dt.date(2026, 3, 29)] == (1, 0)
    assert weeks[dt.date(2026, 4, 5)] == (0, 1)
    assert weeks[dt.date(2026, 4, 12)] == (1, 1)
    assert weeks[dt.date(2026, 4, 19)] == (1, 1)  # a turns on track on Monday the 20th
    assert weeks[dt.date(2026, 4, 26)] == (2, 0)
    assert weeks[dt.date(2026, 5, 17)] == (2, 0)
    assert weeks[TODAY] == (1, 1)
    # The coach (of another company) sees the same two engagements' history.
    assert summary(coach)[1] == weeks


def test_a_global_administrators_unfiltered_trend_equals_the_row_by_row_one(
    global_admin, coach, make_engagement, frozen
):
    """
    Unfiltered, a global administrator's trend reads their company's history by company, not
    joined to the rows; a filter that matches every row takes the join. Both must agree,
    with ended engagements, drafts, a coached engagement of another company and another
    company's history about.
    """
    a = make_engagement(Progress.OFF_TRACK, dt.date(2026, 4, 1))
    flip(a, dt.date(2026, 3, 10), Progress.ON_TRACK)
    flip(a, dt.date(2026, 4, 1), Progress.OFF_TRACK)
    ended = make_engagement(Progress.NOT_TRACKED, status=Engagement.Status.COMPLETED,
                            ended_on=dt.date(2026, 5, 4))
    flip(ended, dt.date(2026, 3, 20), Progress.ON_TRACK)
    flip(ended, dt.date(2026, 5, 4), Progress.NOT_TRACKED)
    make_engagement(Progress.NOT_TRACKED, status=Engagement.Status.DRAFT, started_on=None)
    # The administrator coaches an engagement of another company: theirs to see as coach.
    elsewhere = factories.EngagementFactory(coach=global_admin, progress=Progress.OFF_TRACK,
                                            off_track_since=dt.date(2026, 5, 1))
    flip(elsewhere, dt.date(2026, 4, 15), Progress.ON_TRACK)
    flip(elsewhere, dt.date(2026, 5, 1), Progress.OFF_TRACK)
    stranger = factories.EngagementFactory(progress=Progress.ON_TRACK)
    flip(stranger, dt.date(2026, 3, 30), Progress.ON_TRACK)

    every_kind = [kind for kind, _ in Engagement.Kind.choices]
    unfiltered, narrowed = summary(global_admin), summary(global_admin, kind=every_kind)
    assert unfiltered == narrowed
    totals, weeks = unfiltered
    assert (totals["on_track"], totals["off_track"]) == (0, 2) == weeks[TODAY]
    assert weeks[dt.date(2026, 3, 22)] == (2, 0)  # a and the since-completed engagement
    assert weeks[dt.date(2026, 4, 19)] == (2, 1)  # elsewhere on track, a off track
    assert weeks[dt.date(2026, 5, 3)] == (1, 2)   # elsewhere off track


def test_engagements_that_ended_since_count_in_the_weeks_they_were_tracked(
    global_admin, make_engagement, frozen
):
    # On track from March, completed on 4 May: the table leaves it out by default, the
    # chart's history keeps it, whether or not completed engagements are shown.
    ended = make_engagement(Progress.NOT_TRACKED, status=Engagement.Status.COMPLETED,
                            ended_on=dt.date(2026, 5, 4))
    flip(ended, dt.date(2026, 3, 2), Progress.ON_TRACK)
    flip(ended, dt.date(2026, 5, 4), Progress.NOT_TRACKED)

    totals, weeks = summary(global_admin)
    assert totals["total"] == 0
    assert weeks[dt.date(2026, 5, 3)] == (1, 0)
    assert weeks[dt.date(2026, 5, 10)] == (0, 0)
    shown_totals, shown_weeks = summary(global_admin, include_completed="on")
    assert shown_totals["total"] == shown_totals["not_tracked"] == 1
    assert shown_weeks == weeks
    # An explicit status filter is a filter like any other: the cohort of active ones.
    assert summary(global_admin, status="active")[1][dt.date(2026, 5, 3)] == (0, 0)


@pytest.mark.parametrize("role", ["global_admin", "location_admin", "other_location_admin",
                                  "coach", "provider_admin", "coachee", "other_admin"])
def test_the_gates_parts_split_it_in_two_with_the_same_annotations(
    request, role, owner_company, location, other_location, coach, coachee, global_admin,
    location_admin, frozen
):
    """The report's totals and trend read the gate's parts; the pages read `restrict`."""
    user = request.getfixturevalue(role)
    rows = [
        factories.EngagementFactory(company=owner_company, location=location, coach=coach,
                                    coachee=coachee, progress=Progress.OFF_TRACK,
                                    off_track_since=dt.date(2026, 5, 1)),
        factories.EngagementFactory(company=owner_company, location=other_location, coach=coach),
        factories.EngagementFactory(company=owner_company, location=None),
        # An owner-company administrator coaching in their own company and elsewhere.
        factories.EngagementFactory(company=owner_company, location=location,
                                    coach=location_admin),
        factories.EngagementFactory(coach=global_admin),
        factories.EngagementFactory(coach=coach),
        factories.EngagementFactory(coachee=coachee),
        factories.EngagementFactory(),
    ]
    assert len(rows) == 8
    fields = ["pk", "can_manage", "sees_progress", "seen_progress",
              "seen_off_track_since"]
    administered, others = by_progress(user).parts(Engagement.objects.all())
    parts = [set(part.values_list(*fields)) for part in (administered, others) if part is not None]
    assert set.union(*parts) == set(Engagement.objects.restrict(user).values_list(*fields))
    assert sum(map(len, parts)) == len(set.union(*parts))  # disjoint
    if administered is not None:
        assert all(manage and sees for _, manage, sees, *_ in administered.values_list(*fields))


def test_chart_is_an_accessible_svg_with_its_numbers_as_a_table(
    client_for, global_admin, make_engagement, frozen
):
    engagement = make_engagement(Progress.OFF_TRACK, dt.date(2026, 5, 1))
    flip(engagement, dt.date(2026, 3, 2), Progress.ON_TRACK)
    flip(engagement, dt.date(2026, 5, 1), Progress.OFF_TRACK)
    content = client_for(global_admin).get(reverse("reports:report")).content.decode()
    assert 'role="img"' in content and "<title>" in content
    assert "On track</text>" in content and "Off track</text>" in content
    # Off track is told apart by shape (squares, dashed line), not by colour alone.
    assert "<rect" in content and "<circle" in content
    assert "<summary>The numbers</summary>" in content
    assert 'style="' not in content


def test_the_report_has_no_selection_column_without_bulk_actions(
    client_for, global_admin, make_engagement, frozen
):
    make_engagement(Progress.ON_TRACK)
    response = client_for(global_admin).get(reverse("reports:report"))
    assert "select" not in [column.name for column in response.context["table"].columns]
    assert b'form="bulk-form"' not in response.content


@pytest.mark.parametrize(("largest", "top"), [
    (0, 4), (4, 4), (6, 8), (9, 20), (96, 100), (101, 200), (164_095, 200_000),
])
def test_the_charts_axis_has_four_whole_steps_above_the_largest_count(largest, top):
    assert axis_top(largest) == top
    assert all(float(line["value"]).is_integer() for line in trend_chart(
        [history.WeekPoint(TODAY, TODAY, largest, 0)])["gridlines"])


def test_the_charts_values_never_print_over_each_other():
    # Off track and paused both near 0: their labels fell on the same spot ("9" over "0").
    weeks = [history.WeekPoint(TODAY, TODAY, 60 + n, off, paused)
             for n, (off, paused) in enumerate([(9, 0), (9, 0), (12, 0), (0, 0), (2, 1)])]
    chart = trend_chart(weeks)

    for week in range(len(weeks)):
        shown = [s.points[week].label_y for s in chart["series"]
                 if s.points[week].label_y is not None]
        assert all(abs(a - b) >= LABEL_GAP for n, a in enumerate(shown) for b in shown[n + 1:])
    on, off, _paused = chart["series"]
    # On and off track keep every value; a paused one moves, or is left to the table.
    assert all(p.label_y is not None for p in on.points + off.points)


def test_a_chart_without_pauses_shows_every_value():
    chart = trend_chart([history.WeekPoint(TODAY, TODAY, 5, 5), history.WeekPoint(
        TODAY, TODAY, 0, 0)])
    assert all(p.label_y is not None for s in chart["series"] for p in s.points)
