"""
Per-user column choices for django-tables2 tables, NetBox's UserConfig in miniature.

A table declares every column it can show; `Meta.default_columns` are what a user who chose
nothing sees, and `Meta.fixed_columns` (a row checkbox, the action menu) are always shown and
never offered in the "Columns" control. A user's choice — which columns and in which order —
is stored in `user.preferences` under `tables.<TableName>.columns`.

Tables that take part register themselves with `@register_table`, so the one view that saves
choices (`engagements:table_columns`) knows them by name without trusting arbitrary input.
"""

TABLES = {}


def register_table(table_class):
    TABLES[table_class.__name__] = table_class
    return table_class


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
