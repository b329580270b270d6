import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from accounts.models import User
from engagements.models import Engagement, Session
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("factory", [
    factories.CompanyFactory, factories.LocationFactory, factories.UserFactory,
    factories.AdminFactory, factories.EngagementTemplateFactory, factories.EngagementFactory,
    factories.SessionFactory, factories.DiscoveryCallFactory, factories.CoachSelectionFactory,
    factories.AuditEventFactory,
])
def test_every_factory_builds_a_valid_saved_row(factory):
    obj = factory()
    assert obj.pk is not None
    obj.full_clean(exclude=["password"]) if hasattr(obj, "full_clean") else None


def violates(**changes):
    engagement = factories.EngagementFactory()
    for field, value in changes.items():
        setattr(engagement, field, value)
    with pytest.raises(IntegrityError), transaction.atomic():
        engagement.save()


def test_ended_engagement_needs_an_end_date():
    violates(status=Engagement.Status.COMPLETED, ended_on=None)


def test_running_engagement_has_no_end_date():
    violates(ended_on=dt.date(2026, 4, 1))


def test_end_date_is_not_before_the_start():
    violates(status=Engagement.Status.COMPLETED, ended_on=dt.date(2026, 1, 1))


def test_only_ended_early_carries_a_reason():
    violates(end_reason=Engagement.EndReason.OTHER)


def test_ended_early_needs_a_reason():
    violates(status=Engagement.Status.ENDED_EARLY, ended_on=dt.date(2026, 4, 1), end_reason="")


def test_active_one_on_one_needs_a_coach():
    violates(coach=None)


def test_launched_engagement_has_a_start():
    violates(started_on=None)


def test_unknown_status_is_refused_by_the_database():
    violates(status="paused")


def test_off_track_since_only_when_off_track():
    violates(progress="on_track", off_track_since=dt.date(2026, 4, 1))


def test_threshold_must_be_positive():
    violates(tracking_threshold_days=0)


def test_cancelled_session_records_when():
    session = factories.SessionFactory()
    session.status = Session.Status.CANCELLED
    with pytest.raises(IntegrityError), transaction.atomic():
        session.save()


def test_email_is_unique_whatever_its_case():
    factories.UserFactory(email="sam@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="SAM@example.com", full_name="Other Sam")


def test_company_slug_is_unique():
    factories.CompanyFactory(slug="acme", name="Acme")
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.CompanyFactory._meta.model.objects.create(slug="acme", name="Acme 2")


@pytest.mark.parametrize("status,active", [
    (User.Status.ACTIVE, True), (User.Status.INVITED, True),
    (User.Status.INTERNAL_RECORD, False), (User.Status.INACTIVE, False),
])
def test_is_active_follows_status_in_the_database(status, active):
    user = factories.UserFactory(status=status)
    assert User.objects.filter(pk=user.pk, is_active=True).exists() is active


def test_template_snapshot_is_copied_not_linked():
    template = factories.EngagementTemplateFactory(tracking_threshold_days=21)
    engagement = factories.EngagementFactory(template=template, company=template.company)
    template.tracking_threshold_days = 7
    template.save()
    engagement.refresh_from_db()
    assert engagement.tracking_threshold_days == 21


def test_threshold_display_keeps_the_unit_entered():
    template = factories.EngagementTemplateFactory.build(
        tracking_threshold_days=21, tracking_threshold_unit="weeks")
    assert template.threshold_display == "3 weeks"
    template.tracking_threshold_days = None
    assert template.threshold_display == "Not tracked"
