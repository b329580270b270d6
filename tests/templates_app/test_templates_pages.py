import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from engagements.models import AuditEvent, Engagement, Progress
from templates_app.models import EngagementTemplate
from tests import factories
from tracking.models import ProgressTransition

# 23:30 UTC on 31 March is already 1 April in London (BST): the company's day counts.
NOW = dt.datetime(2026, 3, 31, 23, 30, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def template(owner_company):
    return factories.EngagementTemplateFactory(company=owner_company, name="Leadership",
                                               tracking_threshold_days=21)


def test_list_shows_only_the_companys_templates(client_for, global_admin, template, other_admin):
    foreign = factories.EngagementTemplateFactory(company=other_admin.company, name="Foreign")
    html = client_for(global_admin).get(reverse("templates_app:list")).content.decode()
    assert "Leadership" in html and foreign.name not in html


def test_coaches_and_coachees_have_no_templates_page(client_for, coach, coachee):
    for viewer in (coach, coachee):
        assert client_for(viewer).get(reverse("templates_app:list")).status_code == 404


def test_create_with_a_threshold_in_weeks(client_for, global_admin):
    response = client_for(global_admin).post(reverse("templates_app:create"), {
        "name": "Three weeks", "kind": "one_on_one", "threshold": "3", "threshold_unit": "weeks",
        "offtrack_notifications_enabled": "on", "offtrack_reminder_every_days": "7",
    })
    assert response.status_code == 302
    created = EngagementTemplate.objects.get(name="Three weeks")
    assert created.company == global_admin.company
    assert created.tracking_threshold_days == 21 and created.threshold_display == "3 weeks"
    assert created.offtrack_notifications_enabled and created.offtrack_reminder_every_days == 7


def test_empty_threshold_turns_tracking_off(client_for, global_admin):
    client_for(global_admin).post(reverse("templates_app:create"), {
        "name": "Untracked", "kind": "on_demand", "threshold": "", "threshold_unit": "days"})
    assert EngagementTemplate.objects.get(name="Untracked").tracking_threshold_days is None


@pytest.mark.parametrize("data", [
    {"name": "Leadership", "kind": "one_on_one", "threshold": "3", "threshold_unit": "days"},
    {"name": "X", "kind": "weird", "threshold": "3", "threshold_unit": "days"},
    {"name": "X", "kind": "one_on_one", "threshold": "-2", "threshold_unit": "days"},
    {"name": "X", "kind": "one_on_one", "threshold": "600", "threshold_unit": "weeks"},
    {"name": "X", "kind": "one_on_one", "threshold": "abc", "threshold_unit": "fortnights"},
])
def test_bad_template_input_is_a_message(client_for, global_admin, template, data):
    response = client_for(global_admin).post(reverse("templates_app:create"), data)
    assert response.status_code == 400 and 'class="error"' in response.content.decode()


def test_editing_tracking_settings_is_audited_and_leaves_running_engagements_alone(
        client_for, global_admin, template, owner_company):
    running = factories.EngagementFactory(company=owner_company, template=template,
                                          owner=global_admin)
    response = client_for(global_admin).post(reverse("templates_app:edit", args=[template.pk]), {
        "name": "Leadership", "kind": "one_on_one", "threshold": "2", "threshold_unit": "weeks",
    })
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.tracking_threshold_days == 14 and not template.offtrack_notifications_enabled
    audit = AuditEvent.objects.get(action=AuditEvent.Action.TEMPLATE_TRACKING_CHANGED)
    assert audit.template == template and audit.changes["tracking_threshold_days"] == [21, 14]
    assert audit.changes["offtrack_notifications_enabled"] == [True, False]
    running.refresh_from_db()
    assert running.tracking_threshold_days == 21


def test_editing_only_the_name_records_no_tracking_change(client_for, global_admin, template):
    client_for(global_admin).post(reverse("templates_app:edit", args=[template.pk]), {
        "name": "Renamed", "kind": "one_on_one", "threshold": "21", "threshold_unit": "days",
        "offtrack_notifications_enabled": "on",
    })
    assert not AuditEvent.objects.exists()


def test_location_admin_may_launch_but_not_edit(client_for, location_admin, template):
    client = client_for(location_admin)
    assert client.get(reverse("templates_app:edit", args=[template.pk])).status_code == 404
    assert client.get(reverse("templates_app:launch", args=[template.pk])).status_code == 200


def test_other_company_cannot_reach_a_template(client_for, other_admin, template):
    client = client_for(other_admin)
    assert client.get(reverse("templates_app:edit", args=[template.pk])).status_code == 404
    assert client.get(reverse("templates_app:launch", args=[template.pk])).status_code == 404


def test_launch_copies_the_snapshot_starts_today_audits_and_evaluates(
        client_for, global_admin, template, coachee, coach, location, owner_company):
    # The provider's coach is a candidate once they coach one of the company's engagements.
    factories.EngagementFactory(company=owner_company, owner=global_admin, coach=coach)
    response = client_for(global_admin).post(reverse("templates_app:launch", args=[template.pk]), {
        "coachee": coachee.pk, "coach": coach.pk, "owner": global_admin.pk,
        "location": location.pk,
    })
    assert response.status_code == 302
    launched = Engagement.objects.get(template=template, coachee=coachee)
    assert launched.status == Engagement.Status.ACTIVE
    assert launched.started_on == dt.date(2026, 4, 1)  # London's day, not UTC's
    assert launched.tracking_threshold_days == 21 and launched.offtrack_notifications_enabled
    assert launched.progress == Progress.ON_TRACK
    assert launched.audit_events.get().action == AuditEvent.Action.LAUNCHED
    assert ProgressTransition.objects.get(engagement=launched).cause == "launch"


def test_coach_matching_template_launches_into_coach_matching(
        client_for, global_admin, owner_company, coachee):
    matching = factories.EngagementTemplateFactory(company=owner_company, kind="coach_matching")
    client_for(global_admin).post(reverse("templates_app:launch", args=[matching.pk]), {
        "coachee": coachee.pk, "owner": global_admin.pk})
    launched = Engagement.objects.get(template=matching)
    assert launched.status == Engagement.Status.COACH_MATCHING and launched.coach is None


def test_launch_dropdowns_refuse_people_of_other_companies(client_for, global_admin, template,
                                                           other_admin, coachee):
    response = client_for(global_admin).post(reverse("templates_app:launch", args=[template.pk]), {
        "coachee": other_admin.pk, "coach": other_admin.pk, "owner": other_admin.pk})
    assert response.status_code == 400
    assert not Engagement.objects.exists()


def test_location_admin_must_launch_into_their_location(client_for, location_admin, template,
                                                        coachee, other_location):
    coach = factories.UserFactory(company=location_admin.company)
    response = client_for(location_admin).post(
        reverse("templates_app:launch", args=[template.pk]),
        {"coachee": coachee.pk, "coach": coach.pk, "owner": location_admin.pk,
         "location": other_location.pk})
    assert response.status_code == 400
    assert not Engagement.objects.exists()


def test_the_list_says_who_gets_reminders_and_early_warnings_and_when(client_for, global_admin,
                                                                      template):
    template.offtrack_reminder_every_days, template.early_warning_days = 7, 3
    template.save(update_fields=["offtrack_reminder_every_days", "early_warning_days"])
    factories.EngagementTemplateFactory(company=template.company, name="Plain")
    html = client_for(global_admin).get(reverse("templates_app:list")).content.decode()
    assert "every 7 days" in html and "3 days before" in html
    assert html.count('data-label="Early warning">-</td>') == 1
    assert ("its coachee, coach and owner administrator get the off-track email again, in that "
            "morning's digest") in html
    assert "its coachee and coach get one heads-up that morning, with a link to book" in html


def test_the_template_form_and_list_speak_spanish(client_for, global_admin, template):
    template.early_warning_days = 1
    template.save(update_fields=["early_warning_days"])
    global_admin.language = "es"
    global_admin.save(update_fields=["language"])
    client = client_for(global_admin)
    form = client.get(reverse("templates_app:edit", args=[template.pk])).content.decode()
    assert "Avisar N días antes de que pase a Estancado" in form
    assert "Recordar cada N días mientras siga Estancado" in form
    assert "reciben un único aviso esa mañana" in form
    assert "Warn N days" not in form and "Remind every" not in form
    listed = client.get(reverse("templates_app:list")).content.decode()
    assert "1 día antes" in listed and "A quién se escribe, y cuándo" in listed
