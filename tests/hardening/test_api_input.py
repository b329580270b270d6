"""
The API under hostile input, on both engines (test_on_sqlite.py runs this folder on SQLite
too): ids no row can have in the path, the query, the body and the cursor are JSON 400s or
404s, never a 500 (SQLite's driver cannot even bind an integer past 2**63 - 1).
"""

import pytest
from rest_framework.test import APIClient

from accounts.models import ApiToken

HUGE = "9" * 30
PATHS = [
    f"/api/v1/engagements/{HUGE}/", f"/api/v1/sessions/{HUGE}/",
    f"/api/v1/discovery-calls/{HUGE}/", f"/api/v1/templates/{HUGE}/",
    f"/api/v1/people/{HUGE}/", f"/api/v1/progress-history/{HUGE}/",
    "/api/v1/engagements/0/", "/api/v1/engagements/%C2%B2/", "/api/nothing",
]
QUERIES = [
    ("/api/v1/engagements/", {"coach": HUGE}), ("/api/v1/engagements/", {"location": "-5"}),
    ("/api/v1/engagements/", {"template": "1e3"}), ("/api/v1/sessions/", {"engagement": HUGE}),
    ("/api/v1/discovery-calls/", {"engagement": "x"}),
    ("/api/v1/progress-history/", {"engagement": HUGE, "since": "2026-02-30"}),
    ("/api/v1/engagements/", {"cursor": "cD05OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5"}),
    ("/api/v1/engagements/", {"page_size": HUGE}),
]
BODIES = [
    ("/api/v1/sessions/", {"engagement": int(HUGE), "starts_at": "2026-04-01T10:00Z"}),
    ("/api/v1/discovery-calls/", {"engagement": 1, "coach": int(HUGE),
                                  "starts_at": "2026-04-01T10:00Z"}),
    ("/api/v1/people/", {"email": "a@b.test", "full_name": "A", "location": int(HUGE)}),
    ("/api/v1/people/", {"email": "a@b.test", "full_name": "A",
                         "admin_locations": [int(HUGE)], "role": "location_administrator"}),
    (f"/api/v1/sessions/{HUGE}/move/", {"starts_at": "2026-04-01T10:00Z"}),
]


@pytest.fixture
def api(global_admin):
    client = APIClient()
    text = ApiToken.issue(user=global_admin, name="hostile", write_enabled=True)[1]
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {text}")
    return client


@pytest.mark.parametrize("path", PATHS)
def test_a_path_id_no_row_can_have_is_a_json_404(api, engagement, path):
    response = api.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize(("path", "params"), QUERIES)
def test_query_ids_no_row_can_have_are_json_errors(api, engagement, path, params):
    response = api.get(path, params)
    assert response.status_code in (400, 404), response.content
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize(("path", "body"), BODIES)
def test_body_ids_no_row_can_have_are_json_errors(api, engagement, path, body):
    response = api.post(path, body, format="json")
    assert response.status_code in (400, 404), response.content
    assert response["Content-Type"] == "application/json"
