"""
Only what a user can use (issue 19): no bulk actions, Select column or Launch buttons for
someone who manages nothing; "Launch from a template" only when there are templates; no
progress columns (nor in the Columns control) for someone who sees no progress.
"""

import datetime as dt

import pytest
from django.urls import reverse

from engagements.models import Engagement, Progress
from tests import factories

pytestmark = pytest.mark.usefixtures("first_of_april")
LIST = reverse("engagements:list")
PROGRESS_HEADERS = ("On/Off Track", "Off track since", "Days until off track")


@pytest.fixture
def off_track(engagement):
    Engagement.objects.filter(pk=engagement.pk).update(
        progress=Progress.OFF_TRACK, off_track_since=dt.date(2026, 3, 23))
    return engagement


def shown_columns(response):
    return [column.name for column in response.context["table"].columns]


def offered_columns(response):
    return [row["name"] for row in response.context["columns"].choices_for_form()]


def test_a_managing_administrator_gets_selection_bulk_actions_progress_and_launch(
        client_for, global_admin, off_track):
    response = client_for(global_admin).get(LIST)
    html = response.content.decode()
    assert {"select", "progress", "off_track_since"} <= set(shown_columns(response))
    assert 'id="bulk-form"' in html
    assert reverse("engagements:create") in html and "Launch from a template" in html
    assert "progress" in offered_columns(response)


def test_a_providers_administrator_manages_nothing_and_sees_no_progress(
        client_for, provider_admin, off_track):
    response = client_for(provider_admin).get(LIST)
    html = response.content.decode()
    assert [row.record.pk for row in response.context["table"].page.object_list] == [
        off_track.pk]
    columns = shown_columns(response)
    assert "select" not in columns and 'id="bulk-form"' not in html
    assert not set(columns) & {"progress", "progress_reason", "off_track_since",
                               "days_until_off_track"}
    for header in PROGRESS_HEADERS:
        assert f">{header}<" not in html, header
    assert "progress" not in offered_columns(response)
    # Coachly has no templates: nothing to launch from, so no Launch or New button.
    assert "Launch from a template" not in html and reverse("engagements:create") not in html


def test_a_coachee_sees_no_progress_columns(client_for, coachee, off_track):
    response = client_for(coachee).get(LIST)
    assert not set(shown_columns(response)) & {"progress", "off_track_since"}
    assert "select" not in shown_columns(response)


def test_a_coach_sees_the_progress_of_what_they_coach(client_for, coach, off_track):
    response = client_for(coach).get(LIST)
    assert "progress" in shown_columns(response) and "select" not in shown_columns(response)


def test_launch_from_a_template_only_once_there_are_templates(client_for, db):
    company = factories.CompanyFactory(name="Newco", slug="newco")
    admin = factories.AdminFactory(company=company)
    html = client_for(admin).get(LIST).content.decode()
    assert "Launch from a template" not in html
    # The empty state leads to creating one.
    assert reverse("templates_app:create") in html
    factories.EngagementTemplateFactory(company=company)
    html = client_for(admin).get(LIST).content.decode()
    assert "Launch from a template" in html


def test_a_providers_administrator_with_engagements_of_their_own_keeps_progress_columns(
        client_for, provider_admin, provider_company, off_track):
    """A page of rows they only see still shows progress if they see some elsewhere."""
    factories.EngagementFactory(company=provider_company, owner=provider_admin,
                                progress=Progress.ON_TRACK)
    response = client_for(provider_admin).get(LIST, {"q": "Cole"})
    assert "progress" in shown_columns(response)
