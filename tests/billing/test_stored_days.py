"""
The Billing page's stored days (reports/billing.py): computed once, the same whichever
way they are computed, and dropped from the right day whenever engagements change.
"""

import datetime as dt
import io
import random

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from engagements import actions
from engagements.models import CoachSelection, Engagement
from reports import billing
from reports.models import BillingDay
from reports.tasks import store_billing_days
from tests import factories
from tests.billing.counts import recounted_on, stored_on
from tests.billing.writes import launch_today, save_in_admin

NOW = dt.datetime(2026, 4, 15, 12, tzinfo=dt.UTC)
TODAY = dt.date(2026, 4, 15)


def stored(company, **filters):
    return BillingDay.objects.filter(company=company, whole_company=True, **filters)


def monthly(company, today=TODAY):
    summary = billing.billing_summary(company, today)
    return {month.strftime("%Y-%m"): (c.clients, c.coaches) for month, c in summary.month_rows()}


@pytest.fixture
def mixed_history(owner_company, location, other_location):
    """Thirty people in forty engagements: overlaps, gaps, two locations, none, coach matching."""
    rng = random.Random(6)
    people = [factories.UserFactory(company=owner_company) for _ in range(12)]
    coaches = [factories.UserFactory(company=owner_company) for _ in range(4)]
    for _ in range(40):
        started = dt.date(2025, 12, 1) + dt.timedelta(days=rng.randint(0, 130))
        ended = started + dt.timedelta(days=rng.randint(0, 60)) if rng.random() < 0.5 else None
        if ended and ended > TODAY:
            ended = None
        engagement = factories.EngagementFactory(
            company=owner_company, coachee=rng.choice(people), coach=rng.choice(coaches),
            location=rng.choice([location, other_location, None]), started_on=started,
            ended_on=ended,
            status=Engagement.Status.COMPLETED if ended else Engagement.Status.ACTIVE)
        if rng.random() < 0.2:
            CoachSelection.objects.create(
                engagement=engagement, coach=engagement.coach, selected_by=engagement.owner,
                selected_on=started + dt.timedelta(days=rng.randint(0, 20)))
    factories.EngagementFactory(company=owner_company, status=Engagement.Status.DRAFT,
                                started_on=None, launched_at=None)


def test_sweeping_and_counting_day_by_day_give_the_same_counts(mixed_history, owner_company):
    first, last = dt.date(2025, 12, 1), TODAY
    swept = billing.swept_counts(owner_company, first, last)
    day = first
    while day <= last:
        counted = billing.counts_on(owner_company, day)
        assert {s: c for s, c in swept[day].items() if c} == {s: c for s, c in counted.items()
                                                              if c}, day
        day += dt.timedelta(days=1)
    assert any(swept[day] for day in swept)  # the history is not empty


@time_machine.travel(NOW, tick=False)
def test_days_are_computed_once_and_each_new_day_adds_one(mixed_history, owner_company):
    first = billing.last_months(TODAY)[0]
    assert billing.store_missing_days(owner_company, TODAY) == (TODAY - first).days + 1
    assert stored(owner_company).count() == (TODAY - first).days + 1
    assert billing.store_missing_days(owner_company, TODAY) == 0

    tomorrow = TODAY + dt.timedelta(days=1)
    assert billing.store_missing_days(owner_company, tomorrow) == 1
    assert stored(owner_company, day=tomorrow).exists()


@time_machine.travel(NOW, tick=False)
def test_stored_and_freshly_computed_summaries_agree(mixed_history, owner_company):
    billing.billing_summary(owner_company, dt.date(2026, 3, 20))  # stores up to 20 March
    # The rest is counted day by day... or swept, as the gap is longer than a few days.
    warm = billing.billing_summary(owner_company, TODAY)
    BillingDay.objects.all().delete()
    cold = billing.billing_summary(owner_company, TODAY)
    assert warm == cold


@time_machine.travel(NOW, tick=False)
def test_ending_today_keeps_the_past_days_and_changes_today(history_engagement, owner_company,
                                                            global_admin):
    billing.billing_summary(owner_company, TODAY)
    past_days = stored(owner_company, day__lt=TODAY).count()

    actions.do_mark_complete(history_engagement, by=global_admin)

    assert stored(owner_company, day__lt=TODAY).count() == past_days
    today_row = stored(owner_company).get(day=TODAY)  # moved by the ending
    assert (today_row.clients, today_row.coaches) == (0, 0)
    summary = billing.billing_summary(owner_company, TODAY)
    assert (summary.today_counts.clients, summary.today_counts.coaches) == (0, 0)
    assert monthly(owner_company)["2026-04"] == (1, 1)  # it counted on 1..14 April


@pytest.fixture
def history_engagement(owner_company, location):
    return factories.EngagementFactory(company=owner_company, location=location,
                                       started_on=dt.date(2026, 3, 2))


@time_machine.travel(NOW, tick=False)
def test_a_back_dated_start_recounts_the_months_it_reaches(history_engagement, owner_company):
    assert monthly(owner_company)["2026-02"] == (0, 0)

    save_in_admin(history_engagement, started_on=dt.date(2026, 2, 10))

    assert not stored(owner_company, day__gte=dt.date(2026, 2, 10)).exists()
    assert stored(owner_company, day__lt=dt.date(2026, 2, 10)).exists()
    assert monthly(owner_company)["2026-02"] == (1, 1)


@time_machine.travel(NOW, tick=False)
def test_a_start_moved_later_uncounts_the_days_in_between(history_engagement, owner_company):
    assert monthly(owner_company)["2026-03"] == (1, 1)

    engagement = Engagement.objects.get(pk=history_engagement.pk)  # as the admin site loads it
    save_in_admin(engagement, started_on=dt.date(2026, 4, 2))

    assert not stored(owner_company, day__gte=dt.date(2026, 3, 2)).exists()
    assert monthly(owner_company)["2026-03"] == (0, 0)
    assert monthly(owner_company)["2026-04"] == (1, 1)
    BillingDay.objects.all().delete()
    assert monthly(owner_company)["2026-03"] == (0, 0)  # as computed from nothing


@time_machine.travel(NOW, tick=False)
def test_launching_today_counts_from_today_and_keeps_the_past(history_engagement,
                                                               owner_company, global_admin):
    billing.billing_summary(owner_company, TODAY)
    past_days = stored(owner_company, day__lt=TODAY).count()

    launch_today(global_admin)

    assert stored(owner_company, day__lt=TODAY).count() == past_days
    summary = billing.billing_summary(owner_company, TODAY)
    assert (summary.today_counts.clients, summary.today_counts.coaches) == (2, 2)


@time_machine.travel(NOW, tick=False)
def test_a_selected_coach_counts_from_the_selection_day(owner_company, global_admin):
    engagement = factories.EngagementFactory(company=owner_company, matching=True,
                                             started_on=dt.date(2026, 2, 2))
    assert monthly(owner_company)["2026-03"] == (1, 0)
    coach = factories.UserFactory(company=owner_company, is_coach=True)

    client = Client()
    client.force_login(global_admin)
    response = client.post(reverse("engagements:select_coach", args=[engagement.pk]),
                           {"coach": coach.pk})
    assert response.status_code == 302
    assert CoachSelection.objects.get(engagement=engagement).selected_on == TODAY

    counts = monthly(owner_company)
    assert counts["2026-03"] == (1, 0)  # the past is not rewritten
    assert counts["2026-04"] == (1, 1)
    BillingDay.objects.all().delete()
    assert monthly(owner_company) == counts  # and recomputing it gives the same


@time_machine.travel(NOW, tick=False)
def test_deleting_an_engagement_recounts_from_its_start(history_engagement, owner_company):
    assert monthly(owner_company)["2026-03"] == (1, 1)
    history_engagement.delete()
    assert monthly(owner_company)["2026-03"] == (0, 0)


@time_machine.travel(NOW, tick=False)
def test_the_command_stores_the_missing_days_ahead_of_a_visit(history_engagement, owner_company,
                                                              other_company):
    out = io.StringIO()
    call_command("store_billing_days", stdout=out)
    first = billing.last_months(TODAY)[0]
    assert stored(owner_company).count() == (TODAY - first).days + 1
    assert f"company=acme stored={(TODAY - first).days + 1}" in out.getvalue()
    assert stored(other_company).exists()

    out = io.StringIO()
    call_command("store_billing_days", "--company", "acme", stdout=out)
    assert "company=acme stored=0" in out.getvalue()


def fresh_today(company):
    return recounted_on(company, TODAY)


def stored_today(company):
    return stored_on(company, TODAY)


@time_machine.travel(NOW, tick=False)
def test_ending_and_launching_today_move_todays_counts_as_a_recount_would(
        mixed_history, owner_company, global_admin, location):
    billing.store_missing_days(owner_company, TODAY)
    running = list(Engagement.objects.filter(company=owner_company, status="active")
                   .order_by("pk").values_list("pk", flat=True))
    assert stored_today(owner_company) == fresh_today(owner_company)

    actions.do_end_many_early(running[::3], by=global_admin, reason="client_request")
    assert stored(owner_company, day=TODAY).exists()  # moved, not dropped
    assert stored_today(owner_company) == fresh_today(owner_company)

    actions.do_mark_complete(running[1], by=global_admin)
    assert stored_today(owner_company) == fresh_today(owner_company)

    someone = Engagement.objects.get(pk=running[2])
    launch_today(global_admin, coachee=someone.coachee, coach=someone.coach, location=location)
    launch_today(global_admin, location=None)
    assert stored(owner_company, day=TODAY).exists()
    assert stored_today(owner_company) == fresh_today(owner_company)


@time_machine.travel(NOW, tick=False)
def test_stored_counts_that_cannot_move_are_recounted(history_engagement, owner_company,
                                                      global_admin):
    billing.store_missing_days(owner_company, TODAY)
    BillingDay.objects.filter(company=owner_company, day=TODAY).update(clients=0, coaches=0)

    actions.do_mark_complete(history_engagement, by=global_admin)

    assert not stored(owner_company, day=TODAY).exists()
    summary = billing.billing_summary(owner_company, TODAY)
    assert (summary.today_counts.clients, summary.today_counts.coaches) == (0, 0)


@time_machine.travel(NOW, tick=False)
def test_beat_stores_each_companys_days_once(history_engagement, owner_company,
                                             other_company):
    first = billing.last_months(TODAY)[0]
    assert store_billing_days() >= (TODAY - first).days + 1
    assert stored(owner_company).count() == (TODAY - first).days + 1
    assert stored(other_company).exists()
    assert store_billing_days() == 0  # nothing missing: an hourly run costs a query a company
