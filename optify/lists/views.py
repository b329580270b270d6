"""
List pages: `BaseListView` (NetBox's generic `ObjectListView`, in miniature) and the view that
saves a user's choice of columns for any registered table.

A list page is a few declarative lines:

    class PersonListView(BaseListView):
        table_class = PersonTable
        filterset_class = PersonFilterSet
        title = "People"
        noun = "people"

        def get_queryset(self):
            return User.objects.restrict(self.request.user)

Filtering (a bound filterset, whose field names are the URL's parameters), sorting, the
page and its size (from a whitelist), per-user columns, the "1–25 of about 1,234" line and the
removable filter chips come from the base.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import EmptyPage
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView
from django_tables2 import RequestConfig
from django_tables2.paginators import LazyPaginator

from optify.links import safe_next
from optify.lists.summary import cached_count, filter_chips, page_summary
from optify.lists.tables import TABLES, ColumnPreference


class BaseListView(LoginRequiredMixin, TemplateView):
    """
    A filtered, sorted, paginated table with per-user columns.

    Subclasses set `table_class`, `filterset_class`, `title` and `noun` (what a row is, in
    the plural: "engagements"), and define `get_queryset()`, which must start from the gate
    (`Model.objects.restrict(user)`). `get_table_kwargs()` adds constructor arguments of
    their table; `get_excluded_columns()` hides columns this viewer may not use.

    Pagination never counts the rows: with 200,000 rows in a tenant a `COUNT(*)` per page costs
    more than the page itself, so `LazyPaginator` fetches `page_size + 1` rows to know whether
    there is a next page. How many there are in all is said apart (`get_row_count`).
    """

    template_name = "lists/list.html"
    table_class = None
    filterset_class = None
    paginator_class = LazyPaginator
    page_sizes = (25, 50, 100, 250)
    default_page_size = 25
    last_page = 1_000_000
    title = ""
    noun = _("rows")

    def get_queryset(self):
        raise NotImplementedError("A list view says which rows it lists, through the gate.")

    def get_filterset(self, queryset):
        # Always bound (an empty GET included) so that a filterset's defaults apply.
        return self.filterset_class(self.request.GET, queryset=queryset, request=self.request)

    def get_page_size(self):
        try:
            size = int(self.request.GET.get("per_page", self.default_page_size))
        except ValueError:
            return self.default_page_size
        return size if size in self.page_sizes else self.default_page_size

    def get_page_number(self):
        """The page asked for, or the first: a whole number that an OFFSET can hold."""
        page = self.request.GET.get("page", "")
        return int(page) if page.isdigit() and 1 <= int(page) <= self.last_page else 1

    def get_column_preference(self):
        return ColumnPreference(self.table_class, self.request.user)

    def get_excluded_columns(self):
        return ()

    def get_table_kwargs(self):
        return {}

    def get_table(self, queryset, columns):
        kwargs = columns.table_kwargs()
        kwargs["exclude"] = [*kwargs["exclude"], *self.get_excluded_columns()]
        # No `request=` here: django-tables2 would then paginate at once with Django's
        # counting paginator. RequestConfig configures the sorting; the page and its size are
        # ours to check, as RequestConfig would take any `per_page` from the URL (a million
        # rows, or more than PostgreSQL's LIMIT holds).
        table = self.table_class(queryset, **self.get_table_kwargs(), **kwargs)
        RequestConfig(self.request, paginate=False).configure(table)
        try:
            table.paginate(self.paginator_class, self.get_page_size(), self.get_page_number())
        except EmptyPage:  # past the last page: the first one
            table.paginate(self.paginator_class, self.get_page_size(), 1)
        return table

    def get_row_count(self, filterset):
        """How many rows match (a RowCount): bounded, estimated beyond, cached; see summary."""
        return cached_count(self.request, self.table_class.__name__, filterset.qs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filterset = self.get_filterset(self.get_queryset())
        columns = self.get_column_preference()
        table = self.get_table(filterset.qs, columns)
        context.update(
            title=self.title,
            noun=self.noun,
            summary=page_summary(table, lambda: self.get_row_count(filterset)),
            chips=filter_chips(self.request, filterset),
            filterset=filterset,
            filter_form=filterset.form,
            table=table,
            columns=columns,
            table_name=self.table_class.__name__,
            page_sizes=self.page_sizes,
            page_size=self.get_page_size(),
        )
        return context


@require_POST
@login_required
def table_columns(request, table):
    """Saves (or resets) the user's choice of columns for one registered table."""
    table_class = TABLES.get(table)
    if table_class is None:
        raise Http404("No such table.")
    preference = ColumnPreference(table_class, request.user)
    if "reset" in request.POST:
        preference.reset()
        messages.success(request, _("Columns reset to the defaults."))
    else:
        shown = request.POST.getlist("columns")

        def position(name):
            try:
                return int(request.POST.get(f"position_{name}", ""))
            except ValueError:
                return 10_000  # no or bad position: after the numbered ones
        order = {name: index for index, (name, _) in enumerate(preference.choosable)}
        shown.sort(key=lambda name: (position(name), order.get(name, 0)))
        if not preference.save(shown):
            messages.error(request, _("Choose at least one column."))
        else:
            messages.success(request, _("Columns saved."))
    return HttpResponseRedirect(safe_next(request, reverse("engagements:list")))
