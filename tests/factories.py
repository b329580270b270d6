"""factory-boy factories for every model: one place for the whole suite."""

import datetime as dt

import factory
from django.utils import timezone

from accounts.models import Company, Location, User
from engagements.models import (
    AuditEvent,
    CoachSelection,
    DiscoveryCall,
    Engagement,
    Goal,
    Message,
    Pause,
    Session,
)
from templates_app.models import EngagementKind, EngagementTemplate


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Company {n}")
    slug = factory.Sequence(lambda n: f"company-{n}")
    timezone = "UTC"
    plan = Company.Plan.STANDARD


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    company = factory.SubFactory(CompanyFactory, plan=Company.Plan.ENTERPRISE)
    name = factory.Sequence(lambda n: f"Location {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    company = factory.SubFactory(CompanyFactory)
    status = User.Status.ACTIVE
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def administered_locations(self, create, extracted, **kwargs):
        if create and extracted:
            self.administered_locations.set(extracted)


class AdminFactory(UserFactory):
    is_global_admin = True


class EngagementTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EngagementTemplate

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"Template {n}")
    kind = EngagementKind.ONE_ON_ONE
    tracking_threshold_days = 21
    offtrack_notifications_enabled = True


class EngagementFactory(factory.django.DjangoModelFactory):
    """An active engagement, launched from its template with the template's snapshot."""

    class Meta:
        model = Engagement

    company = factory.SubFactory(CompanyFactory)
    template = factory.SubFactory(
        EngagementTemplateFactory, company=factory.SelfAttribute("..company"),
        kind=factory.SelfAttribute("..kind"),
    )
    owner = factory.SubFactory(AdminFactory, company=factory.SelfAttribute("..company"))
    coachee = factory.SubFactory(UserFactory, company=factory.SelfAttribute("..company"))
    coach = factory.SubFactory(UserFactory, company=factory.SelfAttribute("..company"))
    kind = EngagementKind.ONE_ON_ONE
    status = Engagement.Status.ACTIVE
    launched_at = factory.LazyFunction(timezone.now)
    started_on = factory.LazyFunction(lambda: dt.date(2026, 3, 2))
    tracking_threshold_days = factory.SelfAttribute("template.tracking_threshold_days")
    offtrack_notifications_enabled = factory.SelfAttribute(
        "template.offtrack_notifications_enabled"
    )
    offtrack_reminder_every_days = factory.SelfAttribute("template.offtrack_reminder_every_days")
    early_warning_days = factory.SelfAttribute("template.early_warning_days")

    class Params:
        matching = factory.Trait(
            kind=EngagementKind.COACH_MATCHING, status=Engagement.Status.COACH_MATCHING,
            coach=None,
        )
        ended_early = factory.Trait(
            status=Engagement.Status.ENDED_EARLY, ended_on=dt.date(2026, 3, 5),
            end_reason=Engagement.EndReason.CLIENT_REQUEST,
        )
        completed = factory.Trait(status=Engagement.Status.COMPLETED, ended_on=dt.date(2026, 6, 1))


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session

    engagement = factory.SubFactory(EngagementFactory)
    starts_at = factory.LazyFunction(lambda: dt.datetime(2026, 3, 10, 15, tzinfo=dt.UTC))
    status = Session.Status.SCHEDULED


class DiscoveryCallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DiscoveryCall

    engagement = factory.SubFactory(EngagementFactory, matching=True)
    coach = factory.SubFactory(
        UserFactory, company=factory.SelfAttribute("..engagement.company")
    )
    starts_at = factory.LazyFunction(lambda: dt.datetime(2026, 3, 10, 15, tzinfo=dt.UTC))
    status = DiscoveryCall.Status.SCHEDULED


class CoachSelectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CoachSelection

    engagement = factory.SubFactory(EngagementFactory, matching=True)
    coach = factory.SubFactory(
        UserFactory, company=factory.SelfAttribute("..engagement.company")
    )
    selected_on = dt.date(2026, 3, 15)


class PauseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pause

    engagement = factory.SubFactory(EngagementFactory)
    starts_on = dt.date(2026, 3, 10)
    ends_on = dt.date(2026, 3, 16)
    reason = Pause.Reason.LEAVE
    status = Pause.Status.APPROVED


class AuditEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuditEvent

    engagement = factory.SubFactory(EngagementFactory)
    company = factory.SelfAttribute("engagement.company")
    action = AuditEvent.Action.LAUNCHED
    actor = factory.SelfAttribute("engagement.owner")
    actor_name = factory.LazyAttribute(lambda o: str(o.actor))


class GoalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Goal

    engagement = factory.SubFactory(EngagementFactory)
    title = factory.Sequence(lambda n: f"Goal {n}")
    created_by = factory.SelfAttribute("engagement.coachee")


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    engagement = factory.SubFactory(EngagementFactory)
    author = factory.SelfAttribute("engagement.coachee")
    author_name = factory.LazyAttribute(lambda o: str(o.author) if o.author else "")
    body = factory.Sequence(lambda n: f"Message {n}")
