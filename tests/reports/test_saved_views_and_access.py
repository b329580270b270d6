import pytest
from django.urls import reverse

from optify.lists.tables import ColumnPreference
from reports.models import SavedView
from reports.tables import EngagementReportTable
from tests import factories

pytestmark = pytest.mark.django_db


def save(client, name, query="", view=None):
    data = {"name": name, "query": query}
    if view:
        data["view"] = view
    return client.post(reverse("reports:save_view"), data)


def test_an_administrator_saves_filters_and_columns_and_reopens_them(
    client_for, global_admin, engagement
):
    ColumnPreference(EngagementReportTable, global_admin).save(["coachee", "progress"])
    client = client_for(global_admin)
    response = save(client, "Off track", "progress=off_track&page=3&sort=coachee")
    saved = SavedView.objects.get()
    assert (saved.owner, saved.company, saved.name) == (global_admin, global_admin.company,
                                                         "Off track")
    assert saved.query == "progress=off_track&sort=coachee"
    assert saved.columns == ["coachee", "progress"]
    assert response.url == f"/reports/?progress=off_track&sort=coachee&view={saved.pk}"

    # The user changes their columns; the saved view keeps its own.
    ColumnPreference(EngagementReportTable, global_admin).save(["template"])
    page = client.get(response.url)
    assert page.context["filter_form"].cleaned_data["progress"] == ["off_track"]
    shown = [c.name for c in page.context["table"].columns if c.name not in ("select", "actions")]
    assert shown == ["coachee", "progress"]
    export = client.get(reverse("reports:export") + "?" + response.url.split("?")[1])
    header = b"".join(export.streaming_content).decode("utf-8-sig").splitlines()[0]
    assert header == '"Coachee","On/Off Track"'

    assert client.get(reverse("reports:saved_view", args=[saved.pk])).url == response.url


def test_saving_under_the_same_name_replaces_the_view(client_for, global_admin):
    client = client_for(global_admin)
    save(client, "Mine", "progress=on_track")
    save(client, "Mine", "progress=off_track")
    assert list(SavedView.objects.values_list("name", "query")) == [
        ("Mine", "progress=off_track")
    ]


@pytest.mark.parametrize(("name", "query"), [("   ", ""), ("Long", "q=" + "x" * 3000),
                                             ("x" * 101, "")])
def test_a_view_that_cannot_be_saved_says_why(client_for, global_admin, name, query):
    client = client_for(global_admin)
    response = save(client, name, query)
    assert response.status_code == 302
    assert not SavedView.objects.exists()
    page = client.get(response.url)
    assert b"The view was not saved" in page.content


def test_saved_views_belong_to_their_owner_alone(
    client_for, global_admin, location_admin, other_admin
):
    saved = SavedView.objects.create(owner=global_admin, company=global_admin.company,
                                     name="Private", query="progress=off_track")
    for intruder in (location_admin, other_admin):
        client = client_for(intruder)
        assert client.get(reverse("reports:saved_view", args=[saved.pk])).status_code == 404
        assert client.get(reverse("reports:report"), {"view": saved.pk}).status_code == 404
        assert client.get(reverse("reports:export"), {"view": saved.pk}).status_code == 404
        response = client.post(reverse("reports:delete_saved_view", args=[saved.pk]))
        assert response.status_code == 404
        assert b"Private" not in client.get(reverse("reports:report")).content
    assert SavedView.objects.filter(pk=saved.pk).exists()

    client = client_for(global_admin)
    assert b"Private" in client.get(reverse("reports:report")).content
    client.post(reverse("reports:delete_saved_view", args=[saved.pk]))
    assert not SavedView.objects.exists()


def test_a_view_saved_in_another_company_does_not_follow_its_owner(client_for, global_admin,
                                                                   other_company):
    SavedView.objects.create(owner=global_admin, company=other_company, name="Old job")
    assert not SavedView.objects.owned_by(global_admin).exists()


def test_coaches_use_the_report_but_do_not_save_views(client_for, coach, engagement):
    client = client_for(coach)
    assert client.get(reverse("reports:report")).status_code == 200
    assert save(client, "Mine").status_code == 403
    assert not SavedView.objects.exists()


@pytest.mark.parametrize("url", ["reports:report", "reports:export"])
def test_a_coachee_gets_403_and_an_anonymous_visitor_the_sign_in_page(
    client_for, coachee, engagement, url
):
    assert client_for(coachee).get(reverse(url)).status_code == 403
    response = client_for(None).get(reverse(url))
    assert response.status_code == 302 and reverse("accounts:login") in response.url


def test_another_companys_administrator_sees_none_of_the_rows(client_for, other_admin,
                                                             engagement):
    client = client_for(other_admin)
    response = client.get(reverse("reports:report"))
    assert response.context["totals"]["total"] == 0
    body = b"".join(client.get(reverse("reports:export")).streaming_content)
    assert body.count(b"\n") == 1  # the header alone


def test_a_location_admin_reports_on_their_locations_only(
    client_for, location_admin, engagement, owner_company, other_location
):
    factories.EngagementFactory(company=owner_company, location=other_location)
    response = client_for(location_admin).get(reverse("reports:report"))
    assert response.context["totals"]["total"] == 1
