"""
Billing lives in reports/ (issue 13): the addresses users bookmarked still answer, engagements/
does not know about it, and every write path that changes what is counted keeps the stored
days true through engagements' signals.
"""

import ast
import datetime as dt
import pathlib
import re

import pytest
import time_machine
from django.urls import reverse

from engagements import actions
from engagements.models import Engagement
from engagements.signals import (
    engagement_people_changed,
    engagement_start_moved,
    engagements_status_changed,
)
from reports import billing
from reports.models import BillingDay
from tests import factories
from tests.billing.counts import recounted_on, stored_on
from tests.billing.writes import save_in_admin

NOW = dt.datetime(2026, 4, 15, 12, tzinfo=dt.UTC)
TODAY = dt.date(2026, 4, 15)
ROOT = pathlib.Path(__file__).resolve().parents[2]


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("role", ["global_admin", "location_admin", "coach", "coachee",
                                  "other_admin", "anonymous"])
@pytest.mark.parametrize("old, name", [("/engagements/billing/", "reports:billing"),
                                       ("/engagements/billing.csv", "reports:billing_csv")])
def test_the_bookmarked_addresses_answer_as_the_pages_do(old, name, role, roles, client_for,
                                                         engagement):
    client = client_for(roles[role])
    bookmarked, current = client.get(old), client.get(reverse(name))
    assert bookmarked.status_code == current.status_code
    if current.status_code == 200:
        assert bookmarked.get("Content-Type") == current.get("Content-Type")
        assert bookmarked.get("Content-Disposition") == current.get("Content-Disposition")
        if name.endswith("csv"):
            assert bookmarked.content == current.content
        else:
            assert counts_shown(bookmarked) == counts_shown(current)
            assert counts_shown(current)[0][1] == ("1" if role == "global_admin" else "0")
    elif current.status_code == 302:
        assert bookmarked["Location"].split("?")[0] == current["Location"].split("?")[0]


def counts_shown(response):
    return re.findall(r'id="(billing-[a-z-]+)">(\d+)<', response.content.decode())


def _imported_modules(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def test_engagements_never_imports_reports():
    offenders = [
        f"{path.relative_to(ROOT)}: {module}"
        for path in sorted((ROOT / "engagements").rglob("*.py"))
        for module in _imported_modules(path)
        if module == "reports" or module.startswith("reports.")
    ]
    assert offenders == []


def test_engagements_has_no_billing_left():
    assert [path.name for path in (ROOT / "engagements").rglob("*billing*.py")
            if path.parent.name != "migrations"] == []
    assert "from_db" not in vars(Engagement)  # no hook that only billing needed


@pytest.fixture
def signals_sent():
    """Every engagements signal sent during the test, as (signal name, arguments)."""
    sent = []
    connected = []
    for name, signal in (("status_changed", engagements_status_changed),
                         ("start_moved", engagement_start_moved),
                         ("people_changed", engagement_people_changed)):
        def record(sender, name=name, **kwargs):
            kwargs.pop("signal", None)
            sent.append((name, kwargs))
        signal.connect(record, sender=Engagement, weak=False)
        connected.append((signal, record))
    yield sent
    for signal, record in connected:
        signal.disconnect(record, sender=Engagement)


@time_machine.travel(NOW, tick=False)
def test_ending_sends_one_status_change_for_all_the_ended(owner_company, global_admin,
                                                          signals_sent):
    engagements = [factories.EngagementFactory(company=owner_company) for _ in range(3)]
    billing.store_missing_days(owner_company, TODAY)

    actions.do_mark_many_complete([e.pk for e in engagements], by=global_admin)

    assert [(name, sorted(e.pk for e in kwargs["engagements"]), kwargs["day"], kwargs["delta"])
            for name, kwargs in signals_sent] == [
        ("status_changed", sorted(e.pk for e in engagements), TODAY, -1)]
    assert stored_on(owner_company, TODAY) == recounted_on(owner_company, TODAY) == {}


@time_machine.travel(NOW, tick=False)
def test_a_launch_with_a_start_in_the_past_recounts_from_it(owner_company, global_admin):
    billing.store_missing_days(owner_company, TODAY)
    engagement = factories.EngagementFactory(company=owner_company,
                                             started_on=dt.date(2026, 3, 2))

    engagements_status_changed.send(Engagement, engagements=[engagement], day=TODAY, delta=+1)

    assert not BillingDay.objects.filter(company=owner_company,
                                         day__gte=dt.date(2026, 3, 2)).exists()
    assert BillingDay.objects.filter(company=owner_company, day__lt=dt.date(2026, 3, 2)).exists()
    summary = billing.billing_summary(owner_company, TODAY)
    assert (summary.today_counts.clients, summary.today_counts.coaches) == (1, 1)


@time_machine.travel(NOW, tick=False)
def test_an_admin_edit_of_the_coach_recounts_from_the_start(owner_company, location):
    engagement = factories.EngagementFactory(company=owner_company, location=location,
                                             started_on=dt.date(2026, 3, 2))
    billing.store_missing_days(owner_company, TODAY)
    before = stored_on(owner_company, TODAY)

    save_in_admin(engagement, coach=factories.UserFactory(company=owner_company, is_coach=True).pk)

    assert not BillingDay.objects.filter(company=owner_company,
                                         day__gte=dt.date(2026, 3, 2)).exists()
    billing.store_missing_days(owner_company, TODAY)
    assert stored_on(owner_company, TODAY) == recounted_on(owner_company, TODAY) == before
