"""
Random and hostile query strings and form bodies, sent to every URL of the project as
several roles: nothing answers 500, and nothing of another tenant ever appears.
"""

import re
import string

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories

pytestmark = pytest.mark.django_db

MARKER = "Zyxtenant"  # appears only in the other tenant's data

HOSTILE = st.one_of(
    st.text(max_size=40),
    st.sampled_from([
        "", "0", "-1", "99999999999999999999999", "1e309", "NaN", "null", "[]", "{}",
        "' OR 1=1 --", "\"; DROP TABLE engagements_engagement; --", "=cmd|' /C calc'!A0",
        "+SUM(1,1)", "@SUM(1)", "<script>alert(1)</script>", "../../etc/passwd", "%00",
        "2026-02-30", "2026-13-01", "9999-12-31", "0000-00-00", "yesterday", "on_track",
        "off_track", "not_tracked", "hidden", "ended_early", "x" * 5000, "日本語", "🙂",
        "\r\n", "\t=1",
    ]),
    st.integers(min_value=-(2**63), max_value=2**63).map(str),
)
PARAM_NAMES = st.sampled_from([
    "q", "progress", "status", "kind", "template", "coach", "coach_name", "location", "page",
    "per_page", "sort", "include_completed", "off_track_since_after", "off_track_since_before",
    "off_track_mode", "started_after", "started_before", "columns", "view", "reason", "note",
    "pk", "action", "starts_at", "date", "time", "name", "threshold", "unit", "format",
]) | st.text(alphabet=string.ascii_letters + "_", min_size=1, max_size=12)
PARAMS = st.lists(st.tuples(PARAM_NAMES, HOSTILE), max_size=6)


def all_patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if str(entry.pattern).startswith("admin/"):
                continue  # Django's own admin: staff only, not ours to fuzz
            yield from all_patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def concrete_paths(ids):
    """Each URL pattern with its converters filled by ids of both tenants and junk."""
    paths = []
    for pattern in all_patterns():
        pattern = pattern.replace("^", "").replace("$", "")
        if "<" not in pattern:
            paths.append("/" + pattern)
            continue
        for value in ids:
            paths.append("/" + re.sub(r"<(?:\w+:)?\w+>", str(value), pattern))
    return sorted(set(paths))


@pytest.fixture
def world(roles, engagement, other_admin):
    """Our standing engagement, and one of another tenant whose people carry MARKER."""
    other = factories.EngagementFactory(
        company=other_admin.company, owner=other_admin,
        coachee=factories.UserFactory(company=other_admin.company,
                                      full_name=f"{MARKER} Coachee"),
        coach=factories.UserFactory(company=other_admin.company, full_name=f"{MARKER} Coach"),
        template=factories.EngagementTemplateFactory(company=other_admin.company,
                                                     name=f"{MARKER} Template"),
    )
    factories.SessionFactory(engagement=other)
    ids = [engagement.pk, other.pk, engagement.template_id, other.template_id, 0,
           2**31 + 7]
    return {"paths": concrete_paths(ids), "roles": roles}


ROLE_NAMES = ["global_admin", "location_admin", "coach", "provider_admin", "coachee",
              "anonymous"]


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_hostile_requests_never_error_nor_leak(world, client_for, data):
    role = data.draw(st.sampled_from(ROLE_NAMES), label="role")
    path = data.draw(st.sampled_from(world["paths"]), label="path")
    params = data.draw(PARAMS, label="params")
    method = data.draw(st.sampled_from(["get", "post"]), label="method")
    client = client_for(world["roles"][role])
    client.raise_request_exception = False
    send = getattr(client, method)
    response = send(path, dict(params) if method == "post" else params)
    assert response.status_code < 500, (role, method, path, params)
    if response.get("Content-Type", "").startswith(("text/", "application/json")):
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert MARKER.encode() not in body, (role, method, path, params)


def test_every_url_is_reached_by_the_fuzzer(world):
    # The fuzzer draws from this list; it must cover the app's pages, not be empty.
    assert any(p.startswith("/engagements/") for p in world["paths"])
    assert any(p.startswith("/reports/") for p in world["paths"])
