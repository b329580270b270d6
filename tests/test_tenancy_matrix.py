"""
Every URL of the project × every role: the answer and whether progress shows. Generated from
the URL configuration, so a URL without an entry in tests/tenancy_matrix.py fails here.
"""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from engagements.models import Engagement, Progress
from tests import factories
from tests.tenancy_matrix import MATRIX, ROLES

# Django's own admin has its own permission system (is_staff) and is not tenant data.
IGNORED_NAMESPACES = ("admin",)


def url_names(patterns=None, namespace=None):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace
            if inner in IGNORED_NAMESPACES:
                continue
            name = f"{namespace}:{inner}" if namespace and inner else (inner or namespace)
            yield from url_names(pattern.url_patterns, name)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


def test_every_url_has_an_entry_in_the_matrix():
    names = set(url_names())
    entries = {key.split()[0] for key in MATRIX}  # "name POST": a second entry for a name
    missing = sorted(names - entries)
    assert not missing, f"add these URLs to tests/tenancy_matrix.py: {missing}"
    stale = sorted(entries - names)
    assert not stale, f"entries for URLs that no longer exist: {stale}"


@pytest.fixture
def ctx(engagement, roles):
    Engagement.objects.filter(pk=engagement.pk).update(
        progress=Progress.OFF_TRACK, off_track_since=dt.date(2026, 3, 23))
    template = engagement.template
    return SimpleNamespace(engagement=engagement, template=template, roles=roles)


CASES = [(name, initials) for name in sorted(MATRIX) for initials in ROLES]


@pytest.mark.parametrize(("name", "initials"), CASES)
def test_tenancy(client_for, ctx, name, initials):
    entry = MATRIX[name]
    url = reverse(name.split()[0], args=entry.args(ctx) if entry.args else [])
    client = client_for(ctx.roles[ROLES[initials]])
    data = entry.data(ctx) if callable(entry.data) else entry.data
    response = getattr(client, entry.method)(url, data)
    assert response.status_code == entry.codes[initials], (
        f"{initials} {entry.method.upper()} {url}")
    if entry.progress is not None and response.status_code == 200:
        body = b"".join(response.streaming_content) if response.streaming else response.content
        shown = b"23 Mar 2026" in body or b"2026-03-23" in body
        assert shown is (initials in entry.progress), f"progress shown to {initials}: {shown}"


def test_a_guessed_engagement_of_another_company_is_404_everywhere(client_for, other_admin,
                                                                    engagement):
    """The same URLs, with an engagement that exists but belongs to someone else."""
    client = client_for(other_admin)
    for name in ("engagements:detail", "engagements:end_early", "engagements:mark_complete"):
        assert client.get(reverse(name, args=[engagement.pk])).status_code == 404, name
    for name in ("engagements:schedule_session", "engagements:schedule_call",
                 "engagements:select_coach"):
        assert client.post(reverse(name, args=[engagement.pk])).status_code == 404, name
    foreign = factories.EngagementTemplateFactory(company=engagement.company)
    for name in ("templates_app:edit", "templates_app:launch"):
        assert client.get(reverse(name, args=[foreign.pk])).status_code == 404, name
