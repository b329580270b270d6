"""Counting a day while an engagement ends: the stored day is never the one from before."""

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection

from engagements import actions
from reports import billing

NOW = dt.datetime(2026, 4, 10, 12, tzinfo=dt.UTC)
TODAY = dt.date(2026, 4, 10)


@pytest.mark.django_db(transaction=True)
def test_an_ending_during_a_count_is_not_lost(engagement, owner_company, global_admin,
                                              monkeypatch):
    billing.store_missing_days(owner_company, TODAY - dt.timedelta(days=1))
    counted = threading.Event()
    ending_started = threading.Event()
    real_counts_on = billing.counts_on

    def slow_counts_on(company, day):
        # The page has read today's engagements (still running) when the ending starts.
        result = real_counts_on(company, day)
        counted.set()
        ending_started.wait(timeout=10)
        threading.Event().wait(0.5)  # let the ending reach the billing lock
        return result

    monkeypatch.setattr(billing, "counts_on", slow_counts_on)
    errors = []

    def run(action):
        try:
            with time_machine.travel(NOW, tick=False):
                action()
        except Exception as error:  # reported below, with the thread's failure
            errors.append(error)
        finally:
            connection.close()

    def end():
        counted.wait(timeout=10)
        ending_started.set()
        actions.do_end_early(engagement.pk, by=global_admin, reason="client_request")

    threads = [threading.Thread(target=run, args=(lambda: billing.store_missing_days(
                   owner_company, TODAY),)),
               threading.Thread(target=run, args=(end,))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    monkeypatch.setattr(billing, "counts_on", real_counts_on)
    summary = billing.billing_summary(owner_company, TODAY)
    assert (summary.today_counts.clients, summary.today_counts.coaches) == (0, 0)
