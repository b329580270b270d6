"""
Dates and times typed the way Optify shows them ("30 Nov 2026", "14:30"), in the user's
language, not in the browser's own format.

A browser's <input type="date"> shows mm/dd/yyyy or dd/mm/yyyy by the machine's locale, next
to "30 Nov 2026" everywhere else on the page, and <input type="time"> a 12-hour clock next to
the pages' 24-hour times. These are plain text inputs that show a value as the pages do, say
so in their placeholder, and read back what the active language shows: "30 Nov 2026" and
"30 November 2026" in English, "30 dic 2026", "30 diciembre 2026" and "30 de diciembre de
2026" in Spanish (English month names are read in every language, so a link or a habit still
works), and ISO "2026-11-30" (what the URLs, the API and the tests use). Slashed dates are
refused on purpose: "03/04/2026" is 3 April to some and March 4 to others, and a wrong day
silently accepted is worse than a clear error. No JavaScript and no dependency: the parser is
a few lines here, and a date picker would bring back the browser's or a library's format.
"""

import datetime as dt
import re
import unicodedata

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.dates import MONTHS, MONTHS_3
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django_filters.fields import DateRangeField, RangeField

DAY_FORMAT = "j M Y"  # the pages' |date:"j M Y"
EXAMPLE_DAY = dt.date(2026, 11, 30)
EXAMPLE_TIME = dt.time(14, 30)
DAY_ERROR = _("Enter a date like %(example)s (or %(iso)s).")
TIME_ERROR = _("Enter a time like %(example)s (24-hour clock).")

# Spellings people type that the month tables do not hold.
MONTH_ALIASES = {"sept": 9, "set": 9, "setiembre": 9}
DAY_PATTERN = re.compile(
    r"^(?P<day>\d{1,2})\.?\s*(?:de\s+)?(?P<month>[^\W\d_]+)\.?,?\s*(?:de\s+|del\s+)?(?P<year>\d{4})$")
TIME_PATTERN = re.compile(
    r"^(?P<hour>\d{1,2})(?:[:.h](?P<minute>\d{2})(?::\d{2}(?:\.\d+)?)?)?"
    r"\s*(?P<half>a\.?\s?m\.?|p\.?\s?m\.?)?$")


def _plain(word):
    """Lower case without accents: "Sept." and "sept", "Mär" and "mar" compare alike."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip(".")


def month_names():
    """{month name or abbreviation: number} in the active language, and in English."""
    names = dict(MONTH_ALIASES)
    for language in dict.fromkeys(["en", translation.get_language() or "en"]):
        with translation.override(language):
            for number in range(1, 13):
                names[_plain(str(MONTHS[number]))] = number
                names[_plain(str(MONTHS_3[number]))] = number
    return names


def parse_day(text):
    """The date `text` says, as shown ("30 Nov 2026", "30 de noviembre de 2026") or ISO."""
    text = " ".join(str(text).split())
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    match = DAY_PATTERN.match(text.lower())
    if match is None:
        return None
    month = month_names().get(_plain(match["month"]))
    if month is None:
        return None
    try:
        return dt.date(int(match["year"]), month, int(match["day"]))
    except ValueError:  # 31 Feb
        return None


def parse_time(text):
    """The time of day `text` says: "14:30", "9.05", "14h30", and "2:30 pm" on a 12-hour clock."""
    match = TIME_PATTERN.match(" ".join(str(text).split()).lower())
    if match is None:
        return None
    hour, minute = int(match["hour"]), int(match["minute"] or 0)
    if match["half"]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if match["half"].startswith("p") else 0)
    elif match["minute"] is None:
        return None  # "14" alone: an hour or a day? Ask for the minutes.
    try:
        return dt.time(hour, minute)
    except ValueError:
        return None


def show_day(day):
    return date_format(day, DAY_FORMAT)


class DayInput(forms.DateInput):
    input_type = "text"

    def __init__(self, attrs=None):
        super().__init__(attrs={"autocomplete": "off", "class": "date-input",
                                "spellcheck": "false", **(attrs or {})})

    def get_context(self, name, value, attrs):
        # The placeholder in the language of the page being drawn, not of the first one.
        attrs = {"placeholder": _("e.g. %(example)s") % {"example": show_day(EXAMPLE_DAY)},
                 **(attrs or {})}
        return super().get_context(name, value, attrs)

    def format_value(self, value):
        # An ISO day in the URL (a link, a saved view) is shown the pages' way too; anything
        # else typed is shown back as typed, beside its error.
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value.strip())
            except ValueError:
                return value
        if isinstance(value, dt.date):
            return show_day(value)
        return super().format_value(value)


class DayField(forms.DateField):
    widget = DayInput

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        day = parse_day(value)
        if day is None:
            raise ValidationError(
                DAY_ERROR % {"example": show_day(EXAMPLE_DAY), "iso": EXAMPLE_DAY.isoformat()},
                code="invalid")
        return day


class TimeOfDayInput(forms.TimeInput):
    """A time as the pages show it (14:30, a 24-hour clock), typed as text."""

    input_type = "text"

    def __init__(self, attrs=None):
        super().__init__(attrs={"autocomplete": "off", "class": "time-input",
                                "spellcheck": "false", "inputmode": "text", **(attrs or {})},
                         format="%H:%M")

    def get_context(self, name, value, attrs):
        attrs = {"placeholder": _("e.g. %(example)s") % {"example": "14:30"}, **(attrs or {})}
        return super().get_context(name, value, attrs)


class TimeOfDayField(forms.TimeField):
    widget = TimeOfDayInput

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, dt.time):
            return value
        time = parse_time(value)
        if time is None:
            raise ValidationError(TIME_ERROR % {"example": EXAMPLE_TIME.strftime("%H:%M")},
                                  code="invalid")
        return time


class DayRangeWidget(django_filters.widgets.DateRangeWidget):
    """Two DayInputs, "From" and "To", each with its own label (templates/widgets/)."""

    template_name = "widgets/day_range.html"

    def __init__(self, attrs=None):
        super(django_filters.widgets.RangeWidget, self).__init__(
            (DayInput(attrs), DayInput(attrs)), attrs)


class DayRangeField(DateRangeField):
    widget = DayRangeWidget

    def __init__(self, *args, **kwargs):
        # DateRangeField's own __init__ would make two plain DateFields.
        RangeField.__init__(self, (DayField(), DayField()), *args, **kwargs)


class DayRangeFilter(django_filters.DateFromToRangeFilter):
    field_class = DayRangeField
