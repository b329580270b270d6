"""
Every role against every report URL, around the standing engagement (Acme, London, coached
by Coachly's coach): who gets the page, whether the engagement is among the rows, and
whether its progress shows. Until the suite-wide matrix (tests/test_tenancy_matrix.py)
lists these URLs, this file is the report's.
"""

import datetime as dt

import pytest
from django.urls import reverse

from engagements.models import Progress
from reports.models import SavedView

pytestmark = pytest.mark.django_db

# role: (status, sees the row, sees its progress)
EXPECTED = {
    "global_admin": (200, True, True),
    "location_admin": (200, True, True),
    "other_location_admin": (200, False, False),
    "coach": (200, True, True),
    "provider_admin": (200, True, False),
    "coachee": (403, False, False),
    "other_admin": (200, False, False),
    "anonymous": (302, False, False),
}


@pytest.fixture
def off_track(engagement):
    engagement.progress = Progress.OFF_TRACK
    engagement.off_track_since = dt.date(2026, 5, 1)
    engagement.save()
    return engagement


@pytest.mark.parametrize("role", EXPECTED)
def test_report_and_export_by_role(client_for, roles, off_track, role):
    status, sees_row, sees_progress = EXPECTED[role]
    client = client_for(roles[role])
    page = client.get(reverse("reports:report"))
    export = client.get(reverse("reports:export"), {"progress": "off_track"})
    assert page.status_code == status
    assert export.status_code == status
    if status != 200:
        return
    rows = [row.record.pk for row in page.context["table"].page.object_list]
    assert (off_track.pk in rows) is sees_row
    body = b"".join(export.streaming_content).decode("utf-8-sig")
    # Filtering by progress cannot find a row whose progress is hidden.
    assert ("Cole Coachee" in body) is sees_progress
    assert (page.context["totals"]["off_track"] == 1) is sees_progress


@pytest.mark.parametrize("role", [r for r in EXPECTED if r != "global_admin"])
def test_a_saved_view_is_its_owners_alone(client_for, roles, global_admin, engagement, role):
    saved = SavedView.objects.create(owner=global_admin, company=global_admin.company,
                                     name="Mine", query="progress=off_track")
    client = client_for(roles[role])
    expected = {"anonymous": 302, "coachee": 403}.get(role, 404)
    assert client.get(reverse("reports:saved_view", args=[saved.pk])).status_code == expected
    response = client.post(reverse("reports:delete_saved_view", args=[saved.pk]))
    assert response.status_code == (302 if role == "anonymous" else 404)
    assert SavedView.objects.filter(pk=saved.pk).exists()
