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
from django.db import models
from django.template.base import render_value_in_context
from django.template.context import Context
from django.utils import dateformat, formats
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django_tables2.utils import A, signature

TABLES = {}


class ColumnPreference:
    """The columns `user` sees in `table_class`, read from and written to their preferences."""

    def __init__(self, table_class, user):
        self.table_class = table_class
        self.user = user
        self.key = f"tables.{table_class.__name__}.columns"
        # Columns this viewer cannot use on this page (the list view says which): not offered
        # in the Columns control, whatever their stored choice says.
        self.unavailable = frozenset()

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
        selected = [name for name in self.selected() if name not in self.unavailable]
        positions = {name: index for index, name in enumerate(selected, start=1)}
        rows = [
            {"name": name, "header": header, "shown": name in positions,
             "position": positions.get(name, "")}
            for name, header in self.choosable if name not in self.unavailable
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


class CellPlan:
    """
    How one column's cells are rendered, worked out once per page instead of once per cell.

    django-tables2 renders a cell in steps that each redo per cell what is the same for the
    whole column: the `<td>`'s attributes are recomputed (three dictionaries merged, classes
    sorted), the render method's signature is inspected, and the template loops over every
    cell with several tags. On a page of 25 rows and 12 columns that was most of the page's
    Python time. Here the `<td ...>` opening and the render method's arguments are computed
    once, and so is what reading a value needs (the accessor, whether its field has choices);
    the value is read as django-tables2 reads it (`BoundRow._get_and_render_with`: the
    accessor, `get_FOO_display()` for choices, the column's empty values and default), so a
    table renders the same HTML either way. Columns whose `td` attributes are callables (they
    depend on the row), that link their cells or are many-to-many keep django-tables2's own
    path.
    """

    def __init__(self, bound_column):
        self.bound_column = bound_column
        column = bound_column.column
        merged = {**bound_column._table.attrs, **column.attrs}
        td_source = merged.get("td", merged.get("cell", {}))
        self.generic = (bool(bound_column.link) or isinstance(column, tables.ManyToManyColumn)
                        or any(callable(v) for v in td_source.values()))
        self.attrs_html = bound_column.attrs["td"].as_html()
        self.td = format_html('<td {} data-col="{}" data-label="{}">', self.attrs_html,
                              bound_column.name, bound_column.header)
        self.localize = column.localize
        arguments, catch_all = signature(bound_column.render)
        self.arguments = None if catch_all else arguments
        self.accessor = A(bound_column.accessor)
        path, _, self.remainder = self.accessor.rpartition(A.SEPARATOR)
        self.path = A(path) if path else None
        self.displays = {}  # (record class, penultimate class) -> get_FOO_display's name or ""
        self.empty_values = column.empty_values

    def value(self, record):
        """
        The cell's value as `BoundRow._get_and_render_with` reads it: a choice's label where
        the accessor ends on a model field with choices, else the accessor's value (None where
        it cannot be read). Whether a field has choices is looked up once per model.
        """
        penultimate = self.path.resolve(record, quiet=True) if self.path else record
        if isinstance(penultimate, models.Model):
            key = (type(record), type(penultimate))
            display = self.displays.get(key)
            if display is None:
                field = self.accessor.get_field(record)
                name = f"get_{self.remainder}_display"
                display = name if getattr(field, "choices", ()) and hasattr(penultimate,
                                                                            name) else ""
                self.displays[key] = display
            if display:
                return getattr(penultimate, display)()
        try:
            return self.accessor.resolve(record)
        except Exception:  # as django-tables2: a column that is not a field reads as empty
            return None

    def _render(self, row, bound_column, value=None):
        """`BoundRow._call_render` with the render method's arguments known in advance."""
        kwargs = {"value": value, "record": row.record, "column": bound_column.column,
                  "bound_column": bound_column, "bound_row": row, "table": row.table}
        if self.arguments is not None:
            if any(name not in kwargs for name in self.arguments):
                return None
            kwargs = {name: kwargs[name] for name in self.arguments}
        return bound_column.render(**kwargs)

    def html(self, row, context):
        """The cell's `<td>…</td>`, as Optify's table template writes it."""
        bound_column = self.bound_column
        if self.generic:
            cell = row.get_cell(bound_column.name)
            bound_column.current_value, bound_column.current_record = cell, row.record
            td = format_html('<td {} data-col="{}" data-label="{}">',
                             bound_column.attrs["td"].as_html(), bound_column.name,
                             bound_column.header)
        else:
            value = self.value(row.record)
            if value in self.empty_values:
                cell = bound_column.default
            else:
                cell = self._render(row, bound_column, value)
            td = self.td
        if self.localize is not None:
            cell = formats.localize(cell, use_l10n=self.localize)
        return f"{td}{render_value_in_context(cell, context)}</td>"


class BaseTable(tables.Table):
    """
    The base of every list's table. Subclasses declare their columns and, in `Meta`,
    `default_columns` and `fixed_columns`; the list view passes the constructor the columns
    its user chose (`ColumnPreference.table_kwargs`). Rendered by Optify's table template, whose
    pagination never counts (see `optify.lists.views.BaseListView`), and whose rows are
    written by `rows_html` (see `CellPlan`).
    """

    class Meta:
        template_name = "django_tables2/optify_table.html"
        default = "-"  # one mark for "nothing here" on every page
        default_columns = ()
        fixed_columns = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        TABLES[cls.__name__] = cls

    @cached_property
    def rows_html(self):
        """The page's rows, `<tr>…</tr>` each, rendered as the template would (`CellPlan`)."""
        plans = [CellPlan(bound_column) for bound_column in self.columns]
        context = Context(autoescape=True)
        out = []
        for row in self.paginated_rows:
            out.append(f"<tr {row.attrs.as_html()}>")
            out.extend(plan.html(row, context) for plan in plans)
            out.append("</tr>\n")
        return mark_safe("".join(out))
