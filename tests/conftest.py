"""
Standing fixtures for the roles of DESIGN.md, around one engagement of the "owner" company
(Acme, enterprise, two locations) coached by a coach of a provider company (Coachly).
"""

import pytest

from accounts.models import Company, User
from tests import factories


@pytest.fixture(autouse=True)
def _embedded_side_effects(settings, tmp_path):
    # Tests never write under the project's var/, and use anymail's test backend for mail.
    settings.MAILERS = {"default": {"BACKEND": "anymail.backends.test.EmailBackend"}}
    settings.AXES_ENABLED = False
    settings.SITE_URL = "https://optify.test"
    # Factories create three users per engagement: PBKDF2's deliberate slowness (~0.3 s a
    # hash) would dominate the suite's run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def owner_company(db):
    return factories.CompanyFactory(
        name="Acme", slug="acme", plan=Company.Plan.ENTERPRISE, timezone="Europe/London"
    )


@pytest.fixture
def provider_company(db):
    return factories.CompanyFactory(name="Coachly", slug="coachly", timezone="America/New_York")


@pytest.fixture
def other_company(db):
    return factories.CompanyFactory(name="Globex", slug="globex")


@pytest.fixture
def location(owner_company):
    return factories.LocationFactory(company=owner_company, name="London")


@pytest.fixture
def other_location(owner_company):
    return factories.LocationFactory(company=owner_company, name="Leeds")


@pytest.fixture
def global_admin(owner_company):
    return factories.AdminFactory(
        company=owner_company, email="admin@acme.test", full_name="Ada Admin"
    )


@pytest.fixture
def location_admin(owner_company, location):
    """Administers London, where the standing engagement is."""
    return factories.UserFactory(
        company=owner_company, email="london@acme.test", full_name="Lou London",
        administered_locations=[location],
    )


@pytest.fixture
def other_location_admin(owner_company, other_location):
    """Administers Leeds: the standing engagement is out of scope."""
    return factories.UserFactory(
        company=owner_company, email="leeds@acme.test", full_name="Lee Leeds",
        administered_locations=[other_location],
    )


@pytest.fixture
def coach(provider_company):
    return factories.UserFactory(
        company=provider_company, email="coach@coachly.test", full_name="Cora Coach"
    )


@pytest.fixture
def provider_admin(provider_company):
    return factories.AdminFactory(
        company=provider_company, email="admin@coachly.test", full_name="Pat Provider"
    )


@pytest.fixture
def coachee(owner_company):
    return factories.UserFactory(
        company=owner_company, email="coachee@acme.test", full_name="Cole Coachee"
    )


@pytest.fixture
def other_admin(other_company):
    return factories.AdminFactory(
        company=other_company, email="admin@globex.test", full_name="Otto Other"
    )


@pytest.fixture
def engagement(owner_company, location, global_admin, coachee, coach):
    return factories.EngagementFactory(
        company=owner_company, location=location, owner=global_admin, coachee=coachee,
        coach=coach,
    )


@pytest.fixture
def roles(global_admin, location_admin, other_location_admin, coach, provider_admin, coachee,
          other_admin):
    """Every role by name; None is the anonymous visitor."""
    return {
        "global_admin": global_admin,
        "location_admin": location_admin,
        "other_location_admin": other_location_admin,
        "coach": coach,
        "provider_admin": provider_admin,
        "coachee": coachee,
        "other_admin": other_admin,
        "anonymous": None,
    }


@pytest.fixture
def client_for(client):
    """client_for(user) -> a test client signed in as `user` (or anonymous for None)."""

    def make(user):
        client.logout()
        if user is not None:
            client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return make


__all__ = ["User"]
