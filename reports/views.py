"""
The Engagements Report: the Engagements page's list view with the report's filters, totals
and trend above the table, a streamed CSV export of exactly what is filtered and shown, and
saved views.

Who may open it: administrators (global: their company; location: their locations; an
administrator of a coaching provider sees their coaches' rows, progress "-") and coaches.
Anyone else signed in — a coachee who coaches nobody — gets 403: the page exists for every
company, so there is nothing to hide by answering 404, and the rows themselves are always
restricted by `Engagement.objects.restrict(user)`. A saved view that is not the user's
own answers 404.
"""

import urllib.parse

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.http import require_POST

from engagements.views import EngagementListView
from optify.forms import parse_id
from optify.lists.export import CSVExportMixin
from optify.lists.summary import RowCount
from optify.lists.tables import ColumnPreference
from reports import history
from reports.charts import trend_chart
from reports.filters import ReportFilterSet
from reports.forms import SavedViewForm
from reports.models import SavedView
from reports.tables import EngagementReportTable, SavedViewColumns

# Query parameters that are not filters: they never go into a saved view.
NOT_FILTERS = {"page", "view", "per_page"}


def may_use_reports(user):
    return user.is_authenticated and (
        user.is_company_admin or user.coach_engagements.exists()
    )


def may_save_views(user):
    return user.is_authenticated and user.company_id and user.is_company_admin


class ReportAccessMixin:
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not may_use_reports(request.user):
            raise PermissionDenied(_("The report is for administrators and coaches."))
        return super().dispatch(request, *args, **kwargs)


class ReportMixin(ReportAccessMixin):
    """What the page and the export share: the filters, the saved view, the columns."""

    table_class = EngagementReportTable
    filterset_class = ReportFilterSet
    bulk_actions = False

    def get_saved_view(self):
        if not hasattr(self, "_saved_view"):
            pk = parse_id(self.request.GET.get("view", ""))
            self._saved_view = (
                get_object_or_404(SavedView.objects.owned_by(self.request.user), pk=pk)
                if pk is not None else None
            )
        return self._saved_view

    def get_column_preference(self):
        saved = self.get_saved_view()
        if saved is not None:
            return SavedViewColumns(self.table_class, self.request.user, saved)
        return super().get_column_preference()

    def company_today(self):
        company = self.request.user.company
        return company.local_today() if company else timezone.localdate()

    def can_bulk(self):
        return False  # the report reads; ending engagements is the Engagements page's


class ReportView(ReportMixin, EngagementListView):
    template_name = "reports/report.html"
    title = gettext_lazy("Engagements Report")

    def history_summary(self, filterset):
        # As on the Engagements page, a filter that is not understood is named on the page
        # and ignored; totals and table read the same rows, the chart those and the ones
        # that have ended since (history.summary).
        if not hasattr(self, "_history_summary"):
            self._history_summary = history.summary(filterset, self.request.user,
                                                    self.company_today())
        return self._history_summary

    def get_row_count(self, filterset):
        # The totals count every filtered row, exactly, in their own statement: no second count.
        return RowCount(self.history_summary(filterset)[0]["total"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        totals, weeks = self.history_summary(context["filterset"])
        query = urllib.parse.urlencode(
            [(k, v) for k, values in self.request.GET.lists() if k not in NOT_FILTERS
             for v in values]
        )
        saved_view = self.get_saved_view()
        context.update(
            totals=totals,
            chart=trend_chart(weeks),
            export_url=reverse("reports:export") + "?" + self.request.GET.urlencode(),
            saved_views=SavedView.objects.owned_by(self.request.user),
            saved_view=saved_view,
            save_form=SavedViewForm(initial={"name": saved_view.name if saved_view else ""}),
            may_save_views=may_save_views(self.request.user),
            filter_query=query,
        )
        return context


class ReportExportView(CSVExportMixin, ReportMixin, EngagementListView):
    """The report's CSV: the rows the page shows for the same query string, every page."""

    title = gettext_lazy("Engagements Report")


class SavedViewCreateView(LoginRequiredMixin, ReportAccessMixin, View):
    """Saves the current filters and columns under a name; the same name overwrites."""

    def post(self, request):
        if not may_save_views(request.user):
            raise PermissionDenied(_("Only administrators save report views."))
        form = SavedViewForm(request.POST)
        if not form.is_valid():
            for field, errors in form.errors.items():
                label = form.fields[field].label if field in form.fields else ""
                for error in errors:
                    messages.error(request, _("The view was not saved: %(field)s: %(error)s")
                                   % {"field": label or field, "error": error})
            return HttpResponseRedirect(_report_url(request.POST.get("query", "")))
        query = _clean_query(form.cleaned_data["query"])
        columns = _columns_from(request, form.cleaned_data["view"])
        try:
            with transaction.atomic():
                saved, _created = SavedView.objects.update_or_create(
                    owner=request.user, company_id=request.user.company_id,
                    name=form.cleaned_data["name"],
                    defaults={"query": query, "columns": columns},
                )
        except IntegrityError:  # two saves of one name at once: the other one won
            saved = SavedView.objects.owned_by(request.user).get(name=form.cleaned_data["name"])
        messages.success(request, _("Saved the view “%(name)s”.") % {"name": saved.name})
        return HttpResponseRedirect(saved_view_url(saved))


def _columns_from(request, view_pk):
    """The columns being looked at: the opened saved view's, else the user's own choice."""
    if view_pk:
        source = SavedView.objects.owned_by(request.user).filter(pk=view_pk).first()
        if source is not None:
            return SavedViewColumns(EngagementReportTable, request.user, source).selected()
    return ColumnPreference(EngagementReportTable, request.user).selected()


def _clean_query(query):
    pairs = urllib.parse.parse_qsl(query.lstrip("?"), keep_blank_values=False)
    return urllib.parse.urlencode([(k, v) for k, v in pairs if k not in NOT_FILTERS])


def _report_url(query):
    query = _clean_query(query)
    return reverse("reports:report") + (f"?{query}" if query else "")


def saved_view_url(saved):
    query = f"{saved.query}&view={saved.pk}" if saved.query else f"view={saved.pk}"
    return reverse("reports:report") + "?" + query


class SavedViewOpenView(LoginRequiredMixin, ReportAccessMixin, View):
    def get(self, request, pk):
        saved = get_object_or_404(SavedView.objects.owned_by(request.user), pk=pk)
        return HttpResponseRedirect(saved_view_url(saved))


@require_POST
@login_required
def delete_saved_view(request, pk):
    saved = get_object_or_404(SavedView.objects.owned_by(request.user), pk=pk)
    saved.delete()
    messages.success(request, f"Deleted the view “{saved.name}”.")
    return HttpResponseRedirect(reverse("reports:report"))
