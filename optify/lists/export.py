"""
CSV exports of list pages: `CSVExportMixin` turns a `BaseListView` into its export — exactly
the filtered rows and the chosen columns, in the table's order and with its headers, streamed.

How a column is written is read from the table: its accessor, whether it is a DateColumn, its
`default` for empty cells, and the table's `export` mapping where that is not enough (people
by name, choices by label, computed days; see `ExportColumn`).

Both paths run the *same* inner query (the filtered, restricted, ordered queryset's raw column
values) and apply the same formatting rules:

- every cell is quoted, a quote inside doubled (RFC 4180, and OWASP's advice for exports);
- dates in ISO format (YYYY-MM-DD);
- an empty cell reads as the table shows it ("—", or "-" in progress columns); the
  Engagements tables' progress columns read the gate's `seen_*` annotations, so they show
  "-" wherever the viewer may not see progress;
- formula injection, as OWASP recommends: a text cell starting with =, +, -, @, tab or
  carriage return gets a leading single quote, so a spreadsheet reads it as text. A cell
  that is exactly "-" (the hidden / not-tracked mark) is left alone: it is not a formula,
  and "'-" would be noise. Only text cells can start so: dates, numbers and our own labels
  never do.

On PostgreSQL the rules are written in SQL and the file comes out of
`COPY (...) TO STDOUT WITH (FORMAT csv, FORCE_QUOTE *)` through psycopg 3, so Python only
passes buffers along; elsewhere (SQLite, the embedded default) a Python writer formats rows
from `.iterator()`. tests/reports/test_export.py runs both on PostgreSQL and compares bytes.
"""

import zoneinfo
from dataclasses import dataclass, field

from django.db import connections
from django.db.models import CharField, F, Value
from django.db.models.functions import Coalesce, NullIf
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.text import slugify
from django_tables2 import DateColumn

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HIDDEN = "-"
BUFFER_BYTES = 256 * 1024
CHUNK_ROWS = 5000


def person(path):
    """A user shown by name, or by email when the name is blank (as the table shows them)."""
    return Coalesce(NullIf(F(f"{path}__full_name"), Value("")), F(f"{path}__email"),
                    output_field=CharField())


@dataclass(frozen=True)
class ExportColumn:
    """
    How one table column is written to CSV. `value` is an ORM expression for the raw value
    (what the table's cell shows); `kind` picks the formatting rule: "text" (formula-escaped),
    "date" (ISO), "choice" (its label from `labels`), "days_until" (whole days from the
    row's company-local today to the date, never below 0, as the table shows) or "python"
    (the text `format(value)` returns, for a cell composed in Python: a file with such a
    column is written by the Python path); `empty` is what an empty value reads: the table
    column's `default`.
    """

    value: object
    kind: str = "text"
    labels: dict = field(default_factory=dict)
    empty: str = ""
    format: object = None


def export_columns(table_class):
    """
    One ExportColumn per column of `table_class`, read from the column itself: its accessor
    (the same annotation the cell shows, e.g. `seen_off_track_since`), date or text, and
    its `default` for empty cells; then what the table's `export` mapping says of it. Only
    columns a user can choose (not the row checkbox or menu) are exported.
    """
    fixed = set(getattr(table_class.Meta, "fixed_columns", ()))
    columns = {}
    for name, column in table_class.base_columns.items():
        if name in fixed:
            continue
        rule = {
            "value": F(str(column.accessor or name).replace(".", "__")),
            "kind": "date" if isinstance(column, DateColumn) else "text",
            "empty": str(table_class._meta.default if column.default is None
                         else column.default),
        }
        rule.update(getattr(table_class, "export", {}).get(name, {}))
        columns[name] = ExportColumn(**rule)
    return columns


def _raw_rows(queryset, columns):
    """The inner query both paths share: the raw values, then the row's company timezone."""
    annotations = {f"c{i}": column.value for i, column in enumerate(columns)}
    return queryset.prefetch_related(None).annotate(
        **annotations, row_tz=F("company__timezone")
    ).values_list(
        *annotations, "row_tz"
    )


# -- The Python path -------------------------------------------------------------------


def format_cell(column, value, now, tz):
    if value is None or value == "":
        return column.empty
    if column.kind == "date":
        return value.isoformat()
    if column.kind == "days_until":
        today = timezone.localtime(now, zoneinfo.ZoneInfo(tz)).date()
        return str(max((value - today).days, 0))
    if column.kind == "choice":
        return str(column.labels.get(value, value))
    if column.kind == "python":
        return column.format(value)
    text = str(value)
    if column.kind == "text" and text.startswith(FORMULA_STARTS) and text != HIDDEN:
        return "'" + text
    return text


def csv_line(cells):
    """Every cell quoted, quotes doubled, LF line ends: PostgreSQL's FORCE_QUOTE * output."""
    return ",".join('"' + cell.replace('"', '""') + '"' for cell in cells) + "\n"


def python_rows(queryset, columns, now):
    """The rows as CSV bytes, formatted in Python over a server-side cursor where there is one."""
    lines = []
    size = 0
    for row in _raw_rows(queryset, columns).iterator(chunk_size=CHUNK_ROWS):
        tz = row[-1]
        line = csv_line([format_cell(c, v, now, tz) for c, v in zip(columns, row, strict=False)])
        lines.append(line)
        size += len(line)
        if size >= BUFFER_BYTES:
            yield "".join(lines).encode()
            lines, size = [], 0
    if lines:
        yield "".join(lines).encode()


# -- The PostgreSQL COPY path -----------------------------------------------------------

_TEXT_SQL = (
    "CASE WHEN left({ref}, 1) IN ('=', '+', '-', '@', chr(9), chr(13)) AND {ref} <> '-' "
    "THEN chr(39) || {ref} ELSE {ref} END"
)


def _sql_cell(column, ref, now):
    """The SQL for one formatted cell of the raw value `ref`, and its parameters."""
    params = []
    if column.kind == "date":
        sql = f"to_char({ref}, 'YYYY-MM-DD')"
    elif column.kind == "days_until":
        sql = f"GREATEST({ref} - (%s::timestamptz AT TIME ZONE sub.row_tz)::date, 0)::text"
        params.append(now)
    elif column.kind == "choice":
        whens = []
        for value, label in column.labels.items():
            whens.append("WHEN %s THEN %s")
            params += [str(value), str(label)]  # a lazy label, in the export's language
        sql = f"CASE {ref} {' '.join(whens)} ELSE {ref}::text END"
    else:
        sql = _TEXT_SQL.format(ref=ref)
    # NULL and '' read as the column's empty mark, as in format_cell.
    return f"CASE WHEN {ref} IS NULL OR {ref}::text = '' THEN %s ELSE {sql} END", [
        column.empty, *params
    ]


def copy_statement(queryset, columns, now):
    """`COPY (...) TO STDOUT` of the formatted rows, and its parameters."""
    inner_sql, inner_params = _raw_rows(queryset, columns).query.sql_with_params()
    cells, params = [], []
    for i, column in enumerate(columns):
        sql, cell_params = _sql_cell(column, f"sub.c{i}", now)
        cells.append(sql)
        params += cell_params
    # The outer SELECT is a plain projection of the ordered subquery: PostgreSQL pulls it
    # up into one query and keeps the subquery's ORDER BY.
    statement = (
        f"COPY (SELECT {', '.join(cells) or 'NULL'} FROM ({inner_sql}) AS sub) "
        "TO STDOUT WITH (FORMAT csv, FORCE_QUOTE *)"
    )
    return statement, [*params, *inner_params]


def copy_rows(queryset, columns, now):
    """The rows as CSV bytes straight from PostgreSQL's COPY, in buffers of ~256 kB."""
    statement, params = copy_statement(queryset, columns, now)
    buffer = bytearray()
    # The queryset's own database: a replica's, when the export reads from one.
    with connections[queryset.db].cursor() as cursor, cursor.cursor.copy(statement,
                                                                          params) as copy:
        for block in copy:
            buffer += block
            if len(buffer) >= BUFFER_BYTES:
                yield bytes(buffer)
                buffer.clear()
    if buffer:
        yield bytes(buffer)


def csv_stream(queryset, table_class, names, headers, now=None, use_copy=None):
    """
    The whole file: a UTF-8 byte-order mark (so Excel reads UTF-8), the header row, then the
    rows of `queryset` (already filtered, restricted and ordered) for the columns `names` of
    `table_class`.
    `use_copy` defaults to PostgreSQL's COPY when the database is PostgreSQL.
    """
    now = now or timezone.now()
    if use_copy is None:
        use_copy = connections[queryset.db].vendor == "postgresql"
    registry = export_columns(table_class)
    columns = [registry[name] for name in names]
    yield ("\ufeff" + csv_line(headers)).encode()
    if any(column.kind == "python" for column in columns):
        use_copy = False
    rows = copy_rows if use_copy else python_rows
    yield from rows(queryset, columns, now)


class CSVExportMixin:
    """
    Put before a `BaseListView` subclass to make its CSV export: the same queryset (through
    the gate), filters, sorting and chosen columns, but every row, not a page, streamed from
    `iterator(chunk_size=...)` (or PostgreSQL's COPY). A filter the page names as not
    understood is ignored here too.
    """

    content_type = "text/csv; charset=utf-8"

    def get_filename(self):
        company = self.request.user.company
        slug = company.slug if company else "optify"
        today = company.local_today() if company else timezone.localdate()
        return f"{slugify(self.title)}-{slug}-{today.isoformat()}.csv"

    def get(self, request, *args, **kwargs):
        filterset = self.get_filterset(self.get_queryset())
        names = self.get_column_preference().selected()
        # Not paginated (no `request=`): the file is every row.
        table = self.table_class(filterset.qs, **self.get_table_kwargs(),
                                 order_by=request.GET.get("sort"))
        ordered = table.data.data
        if ordered.query.order_by:
            # A tie-breaker, so the file's order is stable whatever the column sorted on.
            ordered = ordered.order_by(*ordered.query.order_by, "pk")
        headers = [str(table.columns[name].header) for name in names]
        response = StreamingHttpResponse(
            csv_stream(ordered, self.table_class, names, headers), content_type=self.content_type,
        )
        response["Content-Disposition"] = f'attachment; filename="{self.get_filename()}"'
        response["Cache-Control"] = "no-store"
        return response
