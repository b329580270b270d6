"""
Dates typed the way Optify shows them ("30 Nov 2026"), not in the browser's own format.

A browser's <input type="date"> shows mm/dd/yyyy or dd/mm/yyyy by the machine's locale, next
to "30 Nov 2026" everywhere else on the page. These are plain text inputs that show a date as
the pages do, say so in their placeholder, and read "30 Nov 2026", "30 November 2026" and ISO
"2026-11-30" (what the URLs, the API and the tests use). Slashed dates are refused on
purpose: "03/04/2026" is 3 April to some and March 4 to others, and a wrong day silently
accepted is worse than a clear error.
"""

import datetime as dt

import django_filters
from django import forms
from django_filters.fields import DateRangeField, RangeField

DAY_DISPLAY_FORMAT = "%-d %b %Y"  # as the "j M Y" of the pages
DAY_INPUT_FORMATS = ["%d %b %Y", "%d %B %Y", "%d %b, %Y", "%d %B, %Y", "%Y-%m-%d"]
DAY_PLACEHOLDER = "e.g. 30 Nov 2026"
DAY_ERROR = "Enter a date like 30 Nov 2026 (or 2026-11-30)."


class DayInput(forms.DateInput):
    input_type = "text"

    def __init__(self, attrs=None):
        super().__init__(attrs={"placeholder": DAY_PLACEHOLDER, "autocomplete": "off",
                                "class": "date-input", "spellcheck": "false", **(attrs or {})},
                         format=DAY_DISPLAY_FORMAT)

    def format_value(self, value):
        # An ISO day in the URL (a link, a saved view) is shown the pages' way too; anything
        # else typed is shown back as typed, beside its error.
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value.strip())
            except ValueError:
                return value
        return super().format_value(value)


class DayField(forms.DateField):
    widget = DayInput
    input_formats = DAY_INPUT_FORMATS
    default_error_messages = {"invalid": DAY_ERROR}

    def to_python(self, value):
        # "30 nov 2026" as well as "30 Nov 2026": strptime's %b wants the month capitalised.
        return super().to_python(value.strip().title() if isinstance(value, str) else value)


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
