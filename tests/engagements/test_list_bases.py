"""
The shared list bases (optify/lists/): a new list page and its CSV export are a few
declarative lines — here a list of engagement templates — and get per-user columns, the
page-size whitelist, the count line, filter chips and a streamed export from the bases.
"""

import csv
import io

import django_filters
import django_tables2 as tables
import pytest
from django.test import RequestFactory

from optify.lists.export import CSVExportMixin
from optify.lists.tables import TABLES, BaseTable, ColumnPreference
from optify.lists.views import BaseListView
from templates_app.models import EngagementKind, EngagementTemplate
from tests import factories


class TemplateTable(BaseTable):
    name = tables.Column()
    kind = tables.Column()
    tracking_threshold_days = tables.Column(verbose_name="Threshold", default="—")

    class Meta(BaseTable.Meta):
        model = EngagementTemplate
        fields = ()
        default_columns = ("name", "kind")

    export = {"kind": {"kind": "choice", "labels": dict(EngagementKind.choices)}}


class TemplateFilterSet(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=EngagementKind.choices, label="Kind")

    class Meta:
        model = EngagementTemplate
        fields = ["kind"]


class TemplateListView(BaseListView):
    table_class = TemplateTable
    filterset_class = TemplateFilterSet
    title = "Templates"
    noun = "templates"

    def get_queryset(self):
        return EngagementTemplate.objects.filter(company_id=self.request.user.company_id)


class TemplateExportView(CSVExportMixin, TemplateListView):
    pass


@pytest.fixture
def templates(owner_company):
    return [factories.EngagementTemplateFactory(company=owner_company, name=f"T{i:02}",
                                                kind=EngagementKind.ON_DEMAND if i % 2 else
                                                EngagementKind.ONE_ON_ONE)
            for i in range(30)]


def get(view, user, **params):
    request = RequestFactory().get("/templates-list/", params)
    request.user = user
    return view.as_view()(request)


def test_a_list_page_is_a_few_declarative_lines(global_admin, templates):
    assert TABLES["TemplateTable"] is TemplateTable
    response = get(TemplateListView, global_admin, per_page="1000000", kind="on_demand")
    context = response.context_data
    assert context["page_size"] == 25  # not on offer: the default
    assert [column.name for column in context["table"].columns] == ["name", "kind"]
    assert str(context["summary"]) == "1–15 of 15"
    assert [(chip.label, chip.value) for chip in context["chips"]] == [("Kind", "On-demand")]
    response.render()
    assert "1–15 of 15 templates" in response.content.decode()


def test_its_columns_follow_the_users_choice(global_admin, templates):
    ColumnPreference(TemplateTable, global_admin).save(["tracking_threshold_days", "name"])
    context = get(TemplateListView, global_admin).context_data
    assert [column.name for column in context["table"].columns] == [
        "tracking_threshold_days", "name"]
    assert str(context["summary"]) == "1–25 of 30"


def test_its_export_streams_every_filtered_row_in_the_chosen_columns(global_admin, templates):
    response = get(TemplateExportView, global_admin, kind="one_on_one", sort="name")
    assert response["Content-Disposition"].startswith('attachment; filename="templates-acme-')
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(body)))
    assert lines[0] == ["Name", "Kind"]
    assert lines[1:] == [[f"T{i:02}", "1:1"] for i in range(0, 30, 2)]
