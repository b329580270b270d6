"""Dates are typed the way the pages show them ("30 Nov 2026"), or as ISO; never mm/dd."""

import datetime as dt

import pytest

from engagements.dates import DayField, DayInput


@pytest.mark.parametrize("typed", ["30 Nov 2026", "30 nov 2026", " 30 November 2026 ",
                                   "30 Nov, 2026", "2026-11-30"])
def test_a_day_is_read_as_shown_or_as_iso(typed):
    assert DayField().clean(typed) == dt.date(2026, 11, 30)


@pytest.mark.parametrize("typed", ["11/30/2026", "30/11/2026", "03/04/2026", "Nov 30",
                                   "2026-13-45", "tomorrow"])
def test_ambiguous_or_wrong_days_are_refused_with_an_example(typed):
    with pytest.raises(Exception) as error:
        DayField().clean(typed)
    assert "30 Nov 2026" in str(error.value)


def test_a_day_is_shown_back_as_the_pages_show_it():
    html = DayInput().render("day", dt.date(2026, 3, 9))
    assert 'type="text"' in html and 'value="9 Mar 2026"' in html
    assert 'placeholder="e.g. 30 Nov 2026"' in html


def test_an_iso_day_from_a_link_is_shown_the_pages_way_and_nonsense_as_typed():
    assert 'value="31 Mar 2026"' in DayInput().render("day", "2026-03-31")
    assert 'value="someday"' in DayInput().render("day", "someday")
