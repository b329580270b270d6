"""Billing counts: active clients and coaches today and the most in each of the last 12 months."""

import csv
import datetime as dt
import io
import sqlite3

import pytest
import time_machine
from django.urls import reverse

from engagements import actions
from engagements.models import Engagement
from reports import billing
from tests import factories

NOW = dt.datetime(2026, 4, 15, 12, tzinfo=dt.UTC)
TODAY = dt.date(2026, 4, 15)


@pytest.fixture
def people(owner_company):
    def person(name):
        return factories.UserFactory(company=owner_company, full_name=name)
    return {name: person(name) for name in ("Ann", "Ben", "Xavier", "Yvonne")}


@pytest.fixture
def history(owner_company, location, other_location, global_admin, people, other_admin):
    def make(coachee, coach, started_on, place, **kwargs):
        return factories.EngagementFactory(
            company=owner_company, owner=global_admin, coachee=people[coachee],
            coach=people[coach], started_on=started_on, location=place, **kwargs)

    return {
        # Counts 10..31 January; its end day, 1 February, is no longer billed.
        "ann_jan": make("Ann", "Xavier", dt.date(2026, 1, 10), location,
                        status=Engagement.Status.COMPLETED, ended_on=dt.date(2026, 2, 1)),
        # From 31 January: on that day Ann and Ben are both clients of Xavier.
        "ben_london": make("Ben", "Xavier", dt.date(2026, 1, 31), location),
        # Ben again, in Leeds with Yvonne: one more coach, not one more client.
        "ben_leeds": make("Ben", "Yvonne", dt.date(2026, 3, 1), other_location),
        # Counts 1 May 2025 only (ended 2 May); it started before the window.
        "old": make("Ann", "Yvonne", dt.date(2025, 3, 1), other_location,
                    status=Engagement.Status.ENDED_EARLY, ended_on=dt.date(2025, 5, 2),
                    end_reason="client_request"),
        # Never launched, and another company's: never counted.
        "draft": make("Ann", "Yvonne", None, location, status=Engagement.Status.DRAFT,
                      launched_at=None),
        "foreign": factories.EngagementFactory(company=other_admin.company,
                                               started_on=dt.date(2026, 1, 1)),
    }


def monthly(summary):
    return {month.strftime("%Y-%m"): (c.clients, c.coaches) for month, c in summary.month_rows()}


def test_the_last_twelve_months_end_with_the_current_one():
    months = billing.last_months(dt.date(2026, 2, 28))
    assert months[0] == dt.date(2025, 3, 1) and months[-1] == dt.date(2026, 2, 1)
    assert len(months) == 12


@time_machine.travel(NOW, tick=False)
def test_monthly_counts_are_the_most_on_any_day_of_the_month(history, owner_company):
    summary = billing.billing_summary(owner_company, TODAY)

    counts = monthly(summary)
    assert counts["2025-05"] == (1, 1)  # 1 May only
    assert counts["2025-06"] == (0, 0)
    assert counts["2025-12"] == (0, 0)
    assert counts["2026-01"] == (2, 1)  # 31 January: Ann and Ben, both with Xavier
    assert counts["2026-02"] == (1, 1)  # Ann's engagement ended on the 1st
    assert counts["2026-03"] == (1, 2)  # Ben with Xavier and with Yvonne
    assert counts["2026-04"] == (1, 2)
    assert list(counts)[0] == "2025-05" and list(counts)[-1] == "2026-04"
    assert (summary.today_counts.clients, summary.today_counts.coaches) == (1, 2)


@time_machine.travel(NOW, tick=False)
def test_enterprise_companies_get_the_counts_per_location(history, owner_company):
    summary = billing.billing_summary(owner_company, TODAY)

    rows = {label: (today, months) for label, today, months in summary.location_rows()}
    assert list(rows) == ["Leeds", "London"]
    leeds_today, leeds = rows["Leeds"]
    london_today, london = rows["London"]
    assert (london_today.clients, london_today.coaches) == (1, 1)
    assert [(c.clients, c.coaches) for c in london][-4:] == [(2, 1), (1, 1), (1, 1), (1, 1)]
    assert [(c.clients, c.coaches) for c in leeds][-4:] == [(0, 0), (0, 0), (1, 1), (1, 1)]
    assert (leeds[0].clients, leeds[0].coaches) == (1, 1)  # May 2025, the old engagement


def test_standard_companies_have_no_location_breakdown(provider_company):
    factories.EngagementFactory(company=provider_company, started_on=dt.date(2026, 4, 1))
    summary = billing.billing_summary(provider_company, TODAY)
    assert summary.locations == []
    assert monthly(summary)["2026-04"] == (1, 1)


@time_machine.travel(NOW, tick=False)
def test_ending_an_engagement_changes_the_counts(history, owner_company, global_admin,
                                                 client_for):
    client = client_for(global_admin)
    before = client.get(reverse("reports:billing")).content.decode()
    assert 'id="billing-coaches-today">2<' in before

    actions.do_end_early(history["ben_leeds"], by=global_admin, reason="coach_unavailable")

    after = client.get(reverse("reports:billing")).content.decode()
    assert 'id="billing-clients-today">1<' in after
    assert 'id="billing-coaches-today">1<' in after
    summary = billing.billing_summary(owner_company, TODAY)
    # Ended today: it still counted on 1..14 April, so April's most is unchanged.
    assert monthly(summary)["2026-04"] == (1, 2)
    with time_machine.travel(dt.datetime(2026, 5, 2, 12, tzinfo=dt.UTC), tick=False):
        may = billing.billing_summary(owner_company, dt.date(2026, 5, 2))
    assert monthly(may)["2026-05"] == (1, 1)


@time_machine.travel(NOW, tick=False)
def test_the_page_reads_stored_days_in_a_fixed_number_of_queries(
        history, global_admin, client_for, django_assert_max_num_queries):
    client = client_for(global_admin)
    client.get(reverse("reports:billing"))  # the first visit computes and stores the days
    # session, user, company; savepoint, the company lock, the last stored day, release; the
    # months' maxima; today's counts; the locations; the layout's navigation.
    with django_assert_max_num_queries(12):
        response = client.get(reverse("reports:billing"))
    assert response.status_code == 200
    assert "April 2026" in response.content.decode()


@time_machine.travel(NOW, tick=False)
def test_the_csv_export_has_every_scope_and_period(history, global_admin, client_for):
    response = client_for(global_admin).get(reverse("reports:billing_csv"))

    assert response["Content-Type"].startswith("text/csv")
    assert "optify-billing-acme-2026-04-15.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["scope", "period", "active_clients", "active_coaches"]
    assert ["Acme", "today (2026-04-15)", "1", "2"] in rows
    assert ["Acme", "2026-01", "2", "1"] in rows
    assert ["Location: London", "2026-01", "2", "1"] in rows
    assert ["Location: Leeds", "2025-05", "1", "1"] in rows
    assert len(rows) == 1 + 3 * 13  # the company and two locations, today and 12 months
    assert "Globex" not in response.content.decode()


@pytest.mark.parametrize("role, status", [
    ("global_admin", 200), ("location_admin", 403), ("other_location_admin", 403),
    ("coach", 403), ("coachee", 403),
])
@pytest.mark.parametrize("url_name", ["reports:billing", "reports:billing_csv"])
def test_only_global_administrators_see_billing(role, status, url_name, roles, client_for):
    assert client_for(roles[role]).get(reverse(url_name)).status_code == status


@time_machine.travel(NOW, tick=False)
def test_other_companies_global_admins_see_only_their_own_counts(history, other_admin,
                                                                 client_for):
    response = client_for(other_admin).get(reverse("reports:billing"))
    content = response.content.decode()
    assert 'id="billing-clients-today">1<' in content  # Globex's own engagement only
    assert "London" not in content


def test_the_sqlite_fallback_counts_the_same_days():
    """The embedded default runs the same statement on SQLite (MAX/MIN for GREATEST/LEAST)."""
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE engagements_engagement (id, company_id, location_id, coachee_id, "
               "coach_id, status, started_on, ended_on)")
    db.execute("CREATE TABLE engagements_coachselection (engagement_id, selected_on)")
    db.executemany("INSERT INTO engagements_engagement VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
        (1, 1, 10, 1, 7, "completed", "2026-01-10", "2026-02-01"),
        (2, 1, 10, 2, 7, "active", "2026-01-31", None),
        (3, 1, 11, 2, 8, "active", "2026-03-01", None),
        (4, 1, 11, 1, 8, "ended_early", "2025-03-01", "2025-05-02"),
        (5, 1, 10, 1, 8, "draft", None, None),
        (6, 2, None, 5, 6, "active", "2026-01-01", None),
        # Coach matching from 1 April, coach 9 selected on the 10th.
        (7, 1, 10, 3, 9, "active", "2026-04-01", None),
    ])
    db.execute("INSERT INTO engagements_coachselection VALUES (7, '2026-04-10')")
    # What Django's SQLite backend does to the query's placeholders and date parameters.
    sql = billing.levels_sql("sqlite").replace("%s", "?")
    params = [p.isoformat() if isinstance(p, dt.date) else p
              for p in billing.levels_params(1, dt.date(2025, 5, 1), TODAY)]
    series = {}
    for _, who, day, active in db.execute(sql, params).fetchall():
        series.setdefault(who, []).append((day, active))

    assert series["clients"] == [
        ("2025-05-01", 1), ("2025-05-02", 0), ("2026-01-10", 1), ("2026-01-31", 2),
        ("2026-02-01", 1), ("2026-04-01", 2), ("2026-04-16", 0)]  # the run ends on the 15th
    assert series["coaches"] == [
        ("2025-05-01", 1), ("2025-05-02", 0), ("2026-01-10", 1), ("2026-03-01", 2),
        ("2026-04-10", 3), ("2026-04-16", 0)]
