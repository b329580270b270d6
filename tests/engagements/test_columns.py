import pytest
from django.urls import reverse

from engagements.tables import EngagementTable
from optify.lists.tables import ColumnPreference

LIST = reverse("engagements:list")
SAVE = reverse("engagements:table_columns", args=["EngagementTable"])


def headers(response):
    return [column.name for column in response.context["table"].columns]


def test_a_user_who_chose_nothing_sees_the_default_columns(client_for, global_admin,
                                                           engagement):
    shown = headers(client_for(global_admin).get(LIST))
    assert shown == ["select", *EngagementTable.Meta.default_columns, "actions"]


def test_saved_columns_are_applied_in_the_chosen_order(client_for, global_admin, engagement):
    client = client_for(global_admin)
    response = client.post(SAVE, {
        "columns": ["coachee", "progress", "owner"],
        "position_coachee": "2", "position_progress": "1", "position_owner": "3",
        "next": LIST + "?q=x",
    })
    assert response.status_code == 302 and response["Location"] == LIST + "?q=x"
    global_admin.refresh_from_db()
    assert global_admin.get_preference("tables.EngagementTable.columns") == [
        "progress", "coachee", "owner"]
    assert headers(client.get(LIST)) == ["select", "progress", "coachee", "owner", "actions"]


def test_reset_brings_back_the_defaults(client_for, global_admin, engagement):
    client = client_for(global_admin)
    client.post(SAVE, {"columns": ["coachee"]})
    client.post(SAVE, {"reset": "1"})
    global_admin.refresh_from_db()
    assert global_admin.get_preference("tables.EngagementTable.columns") is None
    assert headers(client.get(LIST))[1:-1] == list(EngagementTable.Meta.default_columns)


def test_unknown_columns_and_hostile_redirects_are_ignored(client_for, global_admin):
    client = client_for(global_admin)
    response = client.post(SAVE, {"columns": ["coachee", "password", "select"],
                                  "next": "https://evil.example/"})
    assert response["Location"] == LIST
    global_admin.refresh_from_db()
    assert global_admin.get_preference("tables.EngagementTable.columns") == ["coachee"]


def test_choosing_no_column_keeps_the_previous_choice(client_for, global_admin):
    client = client_for(global_admin)
    client.post(SAVE, {"columns": ["coachee"]})
    client.post(SAVE, {})
    global_admin.refresh_from_db()
    # Saving an empty choice clears it (the defaults show), never an empty table.
    assert ColumnPreference(EngagementTable, global_admin).selected() == list(
        EngagementTable.Meta.default_columns)


def test_columns_are_remembered_per_user(client_for, global_admin, location_admin, engagement):
    client_for(global_admin).post(SAVE, {"columns": ["coachee"]})
    assert headers(client_for(location_admin).get(LIST))[1:-1] == list(
        EngagementTable.Meta.default_columns)


@pytest.mark.parametrize("method", ["get", "post"])
def test_unknown_table_is_404_and_get_is_refused(client_for, global_admin, method):
    client = client_for(global_admin)
    url = reverse("engagements:table_columns", args=["Nope"])
    assert getattr(client, method)(url).status_code == (405 if method == "get" else 404)
