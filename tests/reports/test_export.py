import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.urls import reverse

from engagements.models import Engagement, Progress
from engagements.views import with_list_annotations
from optify.lists.export import csv_stream, export_columns
from optify.lists.tables import ColumnPreference
from reports.tables import EngagementReportTable
from tests import factories

pytestmark = pytest.mark.django_db

ALL_COLUMNS = [name for name, _ in ColumnPreference(EngagementReportTable, None).choosable]


def parse(response):
    body = b"".join(response.streaming_content)
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def export(client, **params):
    return client.get(reverse("reports:export"), params)


def show_all_columns(user):
    ColumnPreference(EngagementReportTable, user).save(ALL_COLUMNS)


@pytest.fixture
def rows(make_engagement, frozen, other_location):
    return [
        make_engagement(Progress.OFF_TRACK, dt.date(2026, 5, 1),
                        coachee=factories.UserFactory(full_name="Zed, \"the\" Coachee")),
        make_engagement(Progress.ON_TRACK, next_event_on=dt.date(2026, 5, 9),
                        coachee=factories.UserFactory(full_name="Ana Ünicode")),
        make_engagement(Progress.NOT_TRACKED, location=None,
                        coachee=factories.UserFactory(full_name="Bo Nolocation")),
    ]


def test_every_column_a_user_can_choose_has_an_export_rule():
    assert set(ALL_COLUMNS) <= set(export_columns(EngagementReportTable))


def test_csv_has_the_table_rows_and_chosen_columns_in_order(client_for, global_admin, rows):
    ColumnPreference(EngagementReportTable, global_admin).save(
        ["progress", "coachee", "off_track_since", "location", "days_until_off_track"]
    )
    client = client_for(global_admin)
    page = client.get(reverse("reports:report"), {"sort": "coachee"})
    table = page.context["table"]
    shown = [c.name for c in table.columns if c.name not in ("select", "actions")]
    assert shown == ["progress", "coachee", "off_track_since", "location",
                     "days_until_off_track"]

    response = export(client, sort="coachee")
    assert response.streaming
    lines = parse(response)
    assert lines[0] == [str(table.columns[name].header) for name in shown]
    assert lines[0][0] == "On/Off Track"
    # Next session 2026-05-09 + 21 days = off track on 2026-05-30: 10 days from 2026-05-20.
    assert lines[1:] == [
        ["On Track", "Ana Ünicode", "-", "London", "10"],
        ["-", "Bo Nolocation", "-", "—", "-"],
        ["Off Track", 'Zed, "the" Coachee', "2026-05-01", "London", "-"],
    ]
    # The same rows, in the same order, as the page.
    assert [r[1] for r in lines[1:]] == [str(row.record.coachee) for row in table.page.object_list]


def test_csv_holds_exactly_the_filtered_rows(client_for, global_admin, rows):
    lines = parse(export(client_for(global_admin), progress="off_track"))
    assert len(lines) == 2 and 'Zed, "the" Coachee' in lines[1]


def test_a_coachs_export_holds_only_their_engagements(client_for, coach, rows, owner_company):
    factories.EngagementFactory(company=owner_company,
                                coachee=factories.UserFactory(full_name="Not Theirs"))
    lines = parse(export(client_for(coach)))
    names = {line[0] for line in lines[1:]}
    assert names == {'Zed, "the" Coachee', "Ana Ünicode", "Bo Nolocation"}


def test_a_provider_admins_export_shows_dashes_for_progress(client_for, provider_admin, rows):
    show_all_columns(provider_admin)
    lines = parse(export(client_for(provider_admin)))
    header = lines[0]
    assert len(lines) == 4
    for line in lines[1:]:
        cells = dict(zip(header, line, strict=True))
        assert cells["On/Off Track"] == "-"
        assert cells["Off track since"] == "-"
        assert cells["Days until off track"] == "-"


def test_the_file_is_named_for_the_company_and_the_day(client_for, global_admin, rows):
    response = export(client_for(global_admin))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="engagements-report-acme-2026-05-20.csv"'
    )


@pytest.mark.parametrize(("name", "expected"), [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
    ("+1 555", "'+1 555"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tTabbed", "'\tTabbed"),
    ("\rReturn", "'\rReturn"),
    ("-", "-"),
    ("Plain = fine", "Plain = fine"),
])
def test_cells_a_spreadsheet_would_run_as_formulas_are_escaped(
    client_for, global_admin, make_engagement, frozen, name, expected
):
    make_engagement(coachee=factories.UserFactory(full_name=name))
    ColumnPreference(EngagementReportTable, global_admin).save(["coachee", "progress"])
    for use_copy in (True, False):
        lines = parse_stream(global_admin, ["coachee", "progress"], use_copy)
        assert lines[1] == [expected, "On Track"]


def parse_stream(user, names, use_copy):
    queryset = with_list_annotations(Engagement.objects.restrict(user)).order_by("pk")
    body = b"".join(csv_stream(queryset, EngagementReportTable, names, names, use_copy=use_copy))
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_copy_and_python_paths_give_the_same_bytes(
    global_admin, provider_admin, make_engagement, frozen, owner_company
):
    tricky = ["Comma, name", 'Quote "q"', "Line\nbreak", "Ünï ©ødé ✓", "=1+1", "", " -x",
              "\\.", "Back\\slash", "-"]
    for i, name in enumerate(tricky):
        make_engagement(
            [Progress.ON_TRACK, Progress.OFF_TRACK, Progress.NOT_TRACKED][i % 3],
            dt.date(2026, 5, 1) if i % 3 == 1 else None,
            coachee=factories.UserFactory(full_name=name, email=f"t{i}@acme.test"),
            next_event_on=dt.date(2026, 6, 1) if i % 3 == 0 else None,
            last_activity_on=dt.date(2026, 5, i + 1) if i % 2 else None,
            location=None if i % 4 == 0 else factories.LocationFactory(
                company=owner_company, name=f"@Loc {i}"),
            status=Engagement.Status.ACTIVE,
        )
    factories.EngagementFactory(
        ended_early=True, company=owner_company,
        coachee=factories.UserFactory(full_name="Ended early"),
    )
    for user in (global_admin, provider_admin):
        queryset = with_list_annotations(Engagement.objects.restrict(user)).order_by(
            "coachee__full_name", "pk"
        )
        args = (queryset, EngagementReportTable, ALL_COLUMNS, ALL_COLUMNS)
        copy_bytes = b"".join(csv_stream(*args, use_copy=True))
        python_bytes = b"".join(csv_stream(*args, use_copy=False))
        assert copy_bytes == python_bytes
        assert copy_bytes.count(b"\n") > 10


def test_the_export_is_every_row_whatever_the_page_parameters(client_for, global_admin,
                                                               make_engagement, frozen):
    for _ in range(3):
        make_engagement(Progress.ON_TRACK)
    client = client_for(global_admin)
    for params in [{"per_page": -1}, {"per_page": 1}, {"page": "9" * 20}, {"page": 2}]:
        response = client.get(reverse("reports:export"), params)
        assert response.status_code == 200
        assert b"".join(response.streaming_content).decode().count("\n") == 4  # header + 3
