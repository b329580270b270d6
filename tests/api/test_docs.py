"""The schema and its interactive docs: OpenAPI 3.1, served from here, reaching no other host."""

import re

from django.contrib.staticfiles import finders


def test_the_schema_is_openapi_3_1_in_json(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.1")
    assert "/api/v1/engagements/" in schema["paths"]
    assert schema["components"]["securitySchemes"]["bearerToken"]["scheme"] == "bearer"


def test_swagger_ui_loads_everything_from_this_host(client):
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    # Every script, stylesheet and icon is a path on this host; no inline script (the CSP).
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls and all(url.startswith("/") for url in urls), urls
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    script = client.get(re.search(r'src="([^"]*\?script[^"]*)"', html).group(1).replace(
        "&amp;", "&"))
    assert script.status_code == 200
    assert not re.search(rb"https?://(?!localhost|testserver)", script.content)
    for url in urls:
        if url.startswith("/static/"):
            assert finders.find(url.removeprefix("/static/")), url


def test_each_progress_field_names_every_value_it_may_have(client):
    """An engagement's `progress` is one of three (or null); the history's are all four."""
    schemas = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()[
        "components"]["schemas"]
    history = schemas["ProgressTransition"]["properties"]["from_status"]["allOf"][0]["$ref"]
    assert schemas[history.rsplit("/", 1)[1]]["enum"] == ["on_track", "off_track", "paused",
                                                          "not_tracked"]
    shown = schemas["Engagement"]["properties"]["progress"]["oneOf"][0]["$ref"]
    assert schemas[shown.rsplit("/", 1)[1]]["enum"] == ["on_track", "off_track", "paused"]
