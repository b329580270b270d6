"""
What a list says above its table: how many rows match ("1–25 of 1,234 engagements") and the
active filters as removable chips.

How many, without a COUNT that grows with the tenant on every page. Decided so:

1. On the last page the total is known for free: the rows before it plus the rows on it
   (LazyPaginator fetched one more than a page and found none).
2. Otherwise a bounded count: `COUNT(*)` over at most EXACT_UP_TO + 1 rows (a LIMIT in a
   subquery), so the cost has a ceiling whatever the tenant's size. Up to EXACT_UP_TO the
   count is exact.
3. Beyond it, PostgreSQL's own estimate for the filtered query (EXPLAIN's row estimate, the
   statistics it plans with), rounded and shown as "about 200,000"; SQLite has none, so the
   page says "more than 10,000".

Counts are cached per user, list and filters for COUNT_SECONDS, so paging through a list, or
changing its page size or sort, counts once: a total may be up to that old, which is why a
large one says "about" anyway.
"""

import hashlib
import json
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connections
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

EXACT_UP_TO = 10_000
COUNT_SECONDS = 60
# Parameters that change how a list is shown, not which rows it has.
NOT_FILTERS = frozenset({"page", "per_page", "sort"})


@dataclass(frozen=True)
class RowCount:
    """How many rows match: `value` rows, exactly or (`exact` false) about or at least."""

    value: int
    exact: bool = True
    at_least: bool = False

    def __str__(self):
        number = number_format(self.value, force_grouping=True)
        if self.exact:
            return number
        return (_("more than %(number)s") if self.at_least else _("about %(number)s")) % {
            "number": number}


def _rounded(value):
    """Two significant figures: an estimate should not look precise."""
    if value < 100:
        return value
    magnitude = 10 ** (len(str(value)) - 2)
    return round(value / magnitude) * magnitude


def estimate(queryset):
    """The planner's row estimate for `queryset`, or None where the database has none."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    plan = json.loads(queryset.order_by().explain(format="json"))
    return int(plan[0]["Plan"]["Plan Rows"])


def count_rows(queryset):
    """`queryset`'s number of rows: exact up to EXACT_UP_TO, else estimated (see above)."""
    bounded = queryset.order_by().values("pk")[: EXACT_UP_TO + 1].count()
    if bounded <= EXACT_UP_TO:
        return RowCount(bounded)
    estimated = estimate(queryset)
    if estimated is None or estimated <= EXACT_UP_TO:
        # The planner knows less than we do: we counted more than EXACT_UP_TO.
        return RowCount(EXACT_UP_TO, exact=False, at_least=True)
    return RowCount(_rounded(estimated), exact=False)


def cache_key(request, list_name):
    filters = sorted((key, value) for key, values in request.GET.lists()
                     if key not in NOT_FILTERS for value in values)
    digest = hashlib.sha256(json.dumps([list_name, filters]).encode()).hexdigest()[:32]
    return f"lists.count.{request.user.pk}.{digest}"


def cached_count(request, list_name, queryset):
    """count_rows(queryset), remembered for COUNT_SECONDS per user, list and filters."""
    key = cache_key(request, list_name)
    count = cache.get(key)
    if count is None:
        count = count_rows(queryset)
        cache.set(key, count, COUNT_SECONDS)
    return count


@dataclass(frozen=True)
class PageSummary:
    """Rows `first` to `last` of `count` (a RowCount), for "1–25 of 1,234 engagements"."""

    first: int
    last: int
    count: RowCount

    def __str__(self):
        first, last = (number_format(n, force_grouping=True) for n in (self.first, self.last))
        return _("%(first)s–%(last)s of %(count)s") % {
            "first": first, "last": last, "count": self.count}


def page_summary(table, count):
    """
    The PageSummary of the page `table` shows, or None when it is empty. `count()` is asked
    only when the page does not tell: on the last page, the total is the last row's position.
    """
    page = getattr(table, "page", None)
    if page is None or not len(page.object_list):
        return None
    first = (page.number - 1) * table.paginator.per_page + 1
    last = first + len(page.object_list) - 1
    if not page.has_next():
        return PageSummary(first, last, RowCount(last))
    total = count()
    if total.exact and total.value <= last:  # counted before rows were added: at least these
        total = RowCount(last, exact=False, at_least=True)
    return PageSummary(first, last, total)


@dataclass(frozen=True)
class Chip:
    """One active filter, said in words, and the URL of the list without it."""

    label: str
    value: str
    remove_url: str


def _words(field, value):
    if hasattr(value, "start") and hasattr(value, "stop"):  # a date range
        start = date_format(value.start, "j M Y") if value.start else "…"
        stop = date_format(value.stop, "j M Y") if value.stop else "…"
        return f"{start} – {stop}"
    if value is True:
        return ""
    if hasattr(value, "pk"):  # a chosen object: the form fetched it already
        return str(value)
    choices = dict(getattr(field, "choices", ()) or ())
    return str(choices.get(value, value))


def _without(request, names, value=None):
    query = request.GET.copy()
    query.pop("page", None)
    for name in names:
        if value is None:
            query.pop(name, None)
        else:
            query.setlist(name, [v for v in query.getlist(name) if v != value])
    encoded = query.urlencode()
    return request.path + (f"?{encoded}" if encoded else "")


def filter_chips(request, filterset):
    """
    The filters the URL sets and the form understood, one chip per chosen value, each linking
    to the same list without it. Filters named in the filterset's `not_chips` (ways of reading
    another filter) are left out.
    """
    form = filterset.form
    form.is_valid()  # as `filterset.qs` did: what is not understood is left out
    skip = getattr(filterset, "not_chips", frozenset())
    chips = []
    for name, field in form.fields.items():
        if name in skip or name in form.errors:
            continue
        widget = field.widget
        names = ([widget.suffixed(name, suffix) for suffix in widget.suffixes]
                 if hasattr(widget, "suffixes") else [name])
        if not any(request.GET.get(param) for param in names):
            continue
        value = form.cleaned_data.get(name)
        label = str(field.label or name)
        if isinstance(value, list | tuple) or hasattr(value, "model"):  # chosen values
            for item in value:
                raw = str(getattr(item, "pk", item))
                chips.append(Chip(label, _words(field, item), _without(request, names, raw)))
        elif value not in (None, "", False) and not (
                hasattr(value, "start") and value.start is None and value.stop is None):
            chips.append(Chip(label, _words(field, value), _without(request, names)))
    return chips
