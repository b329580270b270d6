"""
Ids no row can have — past bigint, negative, not a number — in the filters, the forms and the
bulk action: a form error, never a 500. SQLite's driver cannot bind an integer past 2**63 - 1
at all, so these are the inputs that broke the embedded default; test_on_sqlite.py runs this
file there too.
"""

import pytest
from django.urls import reverse

from tests.hardening.test_hostile_input import concrete_paths

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999999"
BAD_IDS = [HUGE, "-" + HUGE, str(2**63), "0", "1e3", "١٢"]
ID_PARAMS = ["coach", "template", "location", "pk", "coachee", "owner", "view",
             "admin_locations"]


@pytest.mark.parametrize("name", ["engagements:list", "reports:report"])
@pytest.mark.parametrize("param", ["coach", "template", "location"])
@pytest.mark.parametrize("value", BAD_IDS)
def test_a_filter_id_no_row_can_have_is_a_form_error(client_for, global_admin, engagement, name,
                                                     param, value):
    response = client_for(global_admin).get(reverse(name), {param: value})
    assert response.status_code == 200
    assert "is not a valid value" in response.content.decode()


@pytest.mark.parametrize("value", BAD_IDS)
def test_a_people_filter_id_no_row_can_have_is_a_form_error(client_for, global_admin, location,
                                                           value):
    response = client_for(global_admin).get(reverse("people:list"), {"location": value})
    assert response.status_code == 200
    assert "is not a valid value" in response.content.decode()


@pytest.mark.parametrize("value", [HUGE, str(2**63)])
def test_the_export_ignores_an_id_no_row_can_have(client_for, global_admin, engagement, value):
    response = client_for(global_admin).get(reverse("reports:export"),
                                            {"coach": value, "template": value})
    assert response.status_code == 200
    b"".join(response.streaming_content)


@pytest.mark.parametrize("value", [HUGE, str(2**63)])
def test_a_bulk_selection_of_ids_no_row_can_have_is_refused_with_a_message(
    client_for, global_admin, engagement, value
):
    client = client_for(global_admin)
    response = client.post(reverse("engagements:bulk_action"),
                           {"pk": [str(engagement.pk), value], "action": "end_early"},
                           follow=True)
    assert response.status_code == 200
    assert "select the engagements again" in response.content.decode()
    engagement.refresh_from_db()
    assert engagement.is_running


@pytest.mark.parametrize("value", [HUGE, "-" + HUGE, str(2**63), "²"])
def test_every_page_and_form_takes_ids_no_row_can_have_without_error(
    client_for, global_admin, engagement, value
):
    client = client_for(global_admin)
    client.raise_request_exception = False
    data = dict.fromkeys(ID_PARAMS, value) | {"action": "end_early"}
    for path in concrete_paths([engagement.pk, engagement.template_id, value]):
        for method in ("get", "post"):
            response = getattr(client, method)(path, data)
            assert response.status_code < 500, (method, path, response.status_code)
