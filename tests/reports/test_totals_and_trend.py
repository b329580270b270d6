import datetime as dt

import pytest
from django.urls import reverse

from engagements.models import Engagement, Progress
from reports.history import week_ends, weekly_trend
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


def test_totals_count_the_filtered_rows_in_one_query(
    client_for, global_admin, make_engagement, frozen, django_assert_max_num_queries
):
    for progress in [Progress.ON_TRACK] * 3 + [Progress.OFF_TRACK] * 2 + [Progress.NOT_TRACKED]:
        make_engagement(progress, dt.date(2026, 5, 1) if progress == Progress.OFF_TRACK else None)
    make_engagement(Progress.NOT_TRACKED, status=Engagement.Status.COMPLETED,
                    ended_on=dt.date(2026, 5, 1))
    client = client_for(global_admin)
    # session, user, company (today), the list's count for its hint, the page's rows, the
    # totals and trend (one), saved views, and the three filter dropdowns (templates,
    # coaches, locations): 10, whatever the number of rows.
    with django_assert_max_num_queries(10):
        response = client.get(reverse("reports:report"), {"per_page": 25})
    totals = response.context["totals"]
    assert totals == {"total": 6, "on_track": 3, "off_track": 2, "not_tracked": 1, "hidden": 0}
    rows = list(response.context["table"].page.object_list)
    assert len(rows) == totals["total"]
    assert sum(r.record.visible_progress == Progress.OFF_TRACK for r in rows) == 2
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
    factories.EngagementFactory()  # another company's history stays out
    queryset = Engagement.objects.visible_to(global_admin)

    weeks = {w.day: (w.on_track, w.off_track) for w in weekly_trend(queryset, TODAY)}
    # Narrowing the history read to the viewer's companies changes nothing, for the owner
    # company's administrator and for the coach (of another company) alike.
    assert weekly_trend(queryset, TODAY, viewer=global_admin) == weekly_trend(queryset, TODAY)
    coached = Engagement.objects.visible_to(coach)
    assert weekly_trend(coached, TODAY, viewer=coach) == weekly_trend(coached, TODAY)
    assert weekly_trend(coached, TODAY, viewer=coach)[-1].off_track == 1

    assert weeks[dt.date(2026, 3, 8)] == (1, 0)
    assert weeks[dt.date(2026, 3, 29)] == (1, 0)
    assert weeks[dt.date(2026, 4, 5)] == (0, 1)
    assert weeks[dt.date(2026, 4, 12)] == (1, 1)
    assert weeks[dt.date(2026, 4, 19)] == (1, 1)  # a turns on track on Monday the 20th
    assert weeks[dt.date(2026, 4, 26)] == (2, 0)
    assert weeks[dt.date(2026, 5, 17)] == (2, 0)
    assert weeks[TODAY] == (1, 1)


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
