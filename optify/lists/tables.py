"""
Tables for list pages: `BaseTable`, the per-user choice of columns, and the columns every list
shows (dates, people). NetBox's `BaseTable.configure` and `UserConfig`, in miniature.

A table declares every column it can show; `Meta.default_columns` are what a user who chose
nothing sees, and `Meta.fixed_columns` (a row checkbox, the action menu) are always shown and
never offered in the "Columns" control. A user's choice — which columns and in which order —
is stored in `user.preferences` under `tables.<TableName>.columns`.

Every subclass of `BaseTable` is registered by its class name, so the one view that saves
choices (`optify.lists.views.table_columns`) knows them by name without trusting arbitrary
input.
"""

import django_tables2 as tables
from django.utils import dateformat

TABLES = {}


class ColumnPreference:
    """The columns `user` sees in `table_class`, read from and written to their preferences."""

    def __init__(self, table_class, user):
        self.table_class = table_class
        self.user = user
        self.key = f"tables.{table_class.__name__}.columns"

    @property
    def fixed(self):
        return tuple(getattr(self.table_class.Meta, "fixed_columns", ()))

    @property
    def choosable(self):
        """(name, header) of every column the user may show or hide, in the table's order."""
        columns = self.table_class.base_columns
        return [
            (name, str(column.verbose_name or name).strip() or name)
            for name, column in columns.items()
            if name not in self.fixed
        ]

    @property
    def default(self):
        return list(self.table_class.Meta.default_columns)

    @property
    def is_default(self):
        return self._stored() is None

    def _stored(self):
        if not getattr(self.user, "is_authenticated", False):
            return None
        value = self.user.get_preference(self.key)
        return value if isinstance(value, list) else None

    def selected(self):
        """The chosen columns in order; unknown names (a column since removed) are dropped."""
        known = {name for name, _ in self.choosable}
        stored = self._stored()
        chosen = [name for name in (stored or []) if name in known]
        return chosen or [name for name in self.default if name in known]

    def save(self, names):
        known = {name for name, _ in self.choosable}
        names = list(dict.fromkeys(name for name in names if name in known))
        self.user.set_preference(self.key, names or None)
        return names

    def reset(self):
        self.user.set_preference(self.key, None)

    def table_kwargs(self):
        """`sequence` and `exclude` for the table's constructor: only chosen columns, in order."""
        selected = self.selected()
        leading = [name for name in self.fixed if name != "actions"]
        trailing = [name for name in self.fixed if name == "actions"]
        hidden = [name for name, _ in self.choosable if name not in selected]
        return {"sequence": [*leading, *selected, *trailing], "exclude": hidden}

    def choices_for_form(self):
        """Every choosable column with whether it is shown and its position, for the control."""
        selected = self.selected()
        positions = {name: index for index, name in enumerate(selected, start=1)}
        rows = [
            {"name": name, "header": header, "shown": name in positions,
             "position": positions.get(name, "")}
            for name, header in self.choosable
        ]
        return sorted(rows, key=lambda row: (not row["shown"], row["position"] or 0))


class DateColumn(tables.DateColumn):
    """django-tables2's DateColumn, formatted directly instead of through a template per cell."""

    empty_values = (None, "")  # shown as the column's default (TemplateColumn renders them)

    def __init__(self, *args, format="j M Y", **kwargs):
        self.date_format = format
        super().__init__(*args, format=format, **kwargs)

    def render(self, value):
        return dateformat.format(value, self.date_format)


def person_name(user):
    return user.full_name or user.email


class PersonColumn(tables.Column):
    """A user, by name, or by email when the name is blank."""

    def render(self, value):
        return person_name(value)


class BaseTable(tables.Table):
    """
    The base of every list's table. Subclasses declare their columns and, in `Meta`,
    `default_columns` and `fixed_columns`; the list view passes the constructor the columns
    its user chose (`ColumnPreference.table_kwargs`). Rendered by Optify's table template, whose
    pagination never counts (see `optify.lists.views.BaseListView`).
    """

    class Meta:
        template_name = "django_tables2/optify_table.html"
        default = "-"  # one mark for "nothing here" on every page
        default_columns = ()
        fixed_columns = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        TABLES[cls.__name__] = cls
