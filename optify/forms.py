"""
Form fields and filters every app's forms and filtersets share.

Ids from a URL or a form body are checked before they reach a query. Primary keys are
`BigAutoField`s: PostgreSQL's bigint and SQLite's INTEGER both end at 2**63 - 1. A larger
number names no row, but SQLite's driver cannot even bind it (OverflowError: a 500 on the
embedded default) and Django's `__in` lookup does not guard against it as `exact` does. So
an id that cannot name a row is an invalid choice, said on the form like any other.
"""

import django_filters
from django import forms
from django.core.exceptions import ValidationError

MAX_ID = 2**63 - 1


def parse_id(value):
    """`value` as a row id (a whole number from 1 to MAX_ID), or None if it cannot be one."""
    text = str(value).strip()
    # ASCII digits only: str.isdigit() also accepts "²" and "١", which int() refuses or reads.
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ID)):
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None


class IdRangeMixin:
    """For model choice fields keyed by pk: refuse ids no row can have before any query."""

    def _check_values(self, value):
        if not self.to_field_name:
            for pk in value if isinstance(value, (list, tuple, set, frozenset)) else ():
                if pk != getattr(self, "null_value", object()) and parse_id(pk) is None:
                    raise ValidationError(self.error_messages["invalid_pk_value"],
                                          code="invalid_pk_value", params={"pk": pk})
        return super()._check_values(value)


class ListedChoiceIterator(django_filters.fields.ModelChoiceIterator):
    """
    The choices read by one plain query, kept with the queryset. Django's iterator reads them
    with `queryset.iterator()`, which on PostgreSQL is a server-side cursor: DECLARE … WITH
    HOLD, FETCH and CLOSE, three round trips and a result materialised at commit, for the
    dozen templates or locations of a filter panel.
    """

    def __iter__(self):
        field = self.field
        if field.empty_label is not None:
            yield ("", field.empty_label)
        if field.null_label is not None:
            yield (field.null_value, field.null_label)
        for obj in self.queryset:
            yield self.choice(obj)


class ModelIdsField(IdRangeMixin, django_filters.fields.ModelMultipleChoiceField):
    iterator = ListedChoiceIterator

    def clean(self, value):
        if not self.required and not value:
            # Nothing chosen: an empty list, not Django's `queryset.none()`, which every
            # "was anything chosen?" (the filter's own, the chips', the report's) compiled into
            # SQL before finding it empty — three filter panels' querysets on every page.
            return []
        return super().clean(value)


class ModelIdsFilter(django_filters.ModelMultipleChoiceFilter):
    """`ModelMultipleChoiceFilter` whose ids are checked: `?coach=99999999999999999999999` is
    a form error, never a query."""

    field_class = ModelIdsField


class ModelIdsChoiceField(IdRangeMixin, forms.ModelMultipleChoiceField):
    """The same check for a plain form's choice of several rows."""
