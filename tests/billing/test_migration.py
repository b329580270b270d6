"""Billing's table moved from engagements/ to reports/ (issue 13) with every stored day kept."""

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from reports.models import BillingDay
from tests import factories

BEFORE = [("engagements", "0004_off_track_since_order_index"), ("reports", "0001_saved_views")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()  # what is applied now
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def tables():
    with connection.cursor() as cursor:
        return set(connection.introspection.table_names(cursor))


@pytest.mark.django_db(transaction=True)
def test_the_stored_days_move_to_reports_with_the_table():
    company = factories.CompanyFactory()
    location = factories.LocationFactory(company=company)
    try:
        old_apps = migrate(BEFORE)
        assert "engagements_billingday" in tables() and "reports_billingday" not in tables()
        OldBillingDay = old_apps.get_model("engagements", "BillingDay")
        OldBillingDay.objects.bulk_create([
            OldBillingDay(company_id=company.pk, whole_company=True, day=dt.date(2026, 4, 14),
                          clients=7, coaches=3),
            OldBillingDay(company_id=company.pk, whole_company=False, location_id=location.pk,
                          day=dt.date(2026, 4, 14), clients=5, coaches=2),
        ])

        migrate(latest())

        assert "reports_billingday" in tables() and "engagements_billingday" not in tables()
        moved = {(row.whole_company, row.location_id, row.day, row.clients, row.coaches)
                 for row in BillingDay.objects.filter(company=company)}
        assert moved == {(True, None, dt.date(2026, 4, 14), 7, 3),
                         (False, location.pk, dt.date(2026, 4, 14), 5, 2)}
        # The constraints came along: a second company row for the day is refused.
        with pytest.raises(IntegrityError), transaction.atomic():
            BillingDay.objects.create(company=company, whole_company=True,
                                      day=dt.date(2026, 4, 14), clients=1, coaches=1)

        # And back: undoing the move gives engagements its table and the rows again.
        old_apps = migrate(BEFORE)
        assert old_apps.get_model("engagements", "BillingDay").objects.filter(
            company_id=company.pk).count() == 2
    finally:
        migrate(latest())
