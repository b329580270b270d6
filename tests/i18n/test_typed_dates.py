"""Dates and times are typed as the pages show them, in the user's language; never mm/dd."""

import datetime as dt

import pytest
from django.utils import translation

from engagements.dates import DayField, DayInput, TimeOfDayField, TimeOfDayInput

NOV_30 = dt.date(2026, 11, 30)


@pytest.mark.parametrize("typed, day", [
    ("30 Nov 2026", NOV_30), ("30 November 2026", NOV_30), ("2026-11-30", NOV_30),
    ("3 Aug 2026", dt.date(2026, 8, 3)), ("1 Sept 2026", dt.date(2026, 9, 1)),
])
def test_english_dates(typed, day):
    with translation.override("en"):
        assert DayField().clean(typed) == day


@pytest.mark.parametrize("typed, day", [
    ("30 Nov 2026", NOV_30), ("30 nov 2026", NOV_30), ("30 noviembre 2026", NOV_30),
    ("30 de noviembre de 2026", NOV_30), ("30 Dic 2026", dt.date(2026, 12, 30)),
    ("3 ago. 2026", dt.date(2026, 8, 3)), ("6 ENE 2027", dt.date(2027, 1, 6)),
    ("1 setiembre 2026", dt.date(2026, 9, 1)), ("2026-11-30", NOV_30),
    ("30 December 2026", dt.date(2026, 12, 30)),  # English month names are read everywhere
])
def test_spanish_dates(typed, day):
    with translation.override("es"):
        assert DayField().clean(typed) == day


@pytest.mark.parametrize("language, typed", [
    ("en", "30 dic 2026"),  # Spanish names only where Spanish is spoken
    ("es", "11/30/2026"), ("es", "30/11/2026"), ("es", "31 feb 2026"), ("es", "mañana"),
    ("es", "30 de 2026"), ("en", "30 Nov 99999"), ("en", "<script>alert(1)</script>"),
    ("en", "9" * 500), ("es", "\x00"),
])
def test_wrong_dates_get_a_clear_message_in_the_language(language, typed):
    with translation.override(language), pytest.raises(Exception) as error:
        DayField().clean(typed)
    expected = {"en": "Enter a date like 30 Nov 2026 (or 2026-11-30).",
                "es": "Escribe una fecha como 30 Nov 2026 (o 2026-11-30)."}[language]
    assert expected in str(error.value)


def test_a_day_is_shown_and_hinted_in_the_language():
    with translation.override("es"):
        html = DayInput().render("day", dt.date(2026, 12, 30))
    assert 'value="30 Dic 2026"' in html and 'placeholder="p. ej., 30 Nov 2026"' in html
    with translation.override("en"):
        html = DayInput().render("day", dt.date(2026, 12, 30))
    assert 'value="30 Dec 2026"' in html and 'placeholder="e.g. 30 Nov 2026"' in html


@pytest.mark.parametrize("typed, time", [
    ("14:30", dt.time(14, 30)), ("9:05", dt.time(9, 5)), ("09.05", dt.time(9, 5)),
    ("14h30", dt.time(14, 30)), ("2:30 pm", dt.time(14, 30)), ("12 am", dt.time(0, 0)),
    ("12:15 p.m.", dt.time(12, 15)), ("10:00:00", dt.time(10, 0)),
])
def test_times_on_the_pages_24_hour_clock(typed, time):
    for language in ("en", "es"):
        with translation.override(language):
            assert TimeOfDayField().clean(typed) == time


@pytest.mark.parametrize("typed", ["25:00", "14", "13 pm", "14:60", "noon", "1430"])
def test_wrong_times_are_refused_clearly(typed):
    with translation.override("es"), pytest.raises(Exception) as error:
        TimeOfDayField().clean(typed)
    assert "Escribe una hora como 14:30 (reloj de 24 horas)." in str(error.value)


def test_a_time_is_shown_as_the_pages_show_it():
    html = TimeOfDayInput().render("time", dt.time(9, 5, 33))
    assert 'type="text"' in html and 'value="09:05"' in html
