"""
Who fits where in a company's engagements: the people a form or a picker may offer, and the
people an action accepts. One definition for both, so a picker never offers someone the
action would refuse, and never anyone of an unrelated tenant.
"""

from django.contrib.auth import get_user_model

from accounts.models import Location
from engagements.models import Engagement

User = get_user_model()
CAN_SIGN_IN = (User.Status.ACTIVE, User.Status.INVITED)


def coach_candidates(company):
    """
    Who may be chosen as a coach in `company`'s engagements: people who can sign in and who
    are either the company's coaches (invited or added as one, or coaching an engagement:
    `is_coach` says both) or already coach one of its engagements (a provider's coach, once
    introduced). Anyone else would be a coachee, an administrator, or a user of an unrelated
    tenant, which an administrator must never be able to browse.
    """
    own = User.objects.filter(company=company, is_coach=True).values("pk")
    # A provider's coaches coaching here: the engagements' stored provider_company says so.
    providers = Engagement.objects.filter(
        company=company, provider_company__isnull=False).values("coach_id")
    # One union of two small index scans: an OR of subqueries would make PostgreSQL probe a
    # subplan per person of the tenant (minutes at 200,000 people).
    return User.objects.filter(
        pk__in=own.union(providers), status__in=CAN_SIGN_IN).order_by("full_name", "email")


def coachee_candidates(company):
    """The company's people, internal records included; never a deactivated account."""
    return User.objects.filter(company=company).exclude(
        status=User.Status.INACTIVE).order_by("full_name", "email")


def company_admins(company):
    """Who may own an engagement: the company's global and location administrators."""
    global_admins = User.objects.filter(company=company, is_global_admin=True).values("pk")
    location_admins = User.administered_locations.through.objects.filter(
        location__company=company).values("user_id")
    # A union of ids, not an OR across a join made DISTINCT: that read the whole tenant.
    return User.objects.filter(
        pk__in=global_admins.union(location_admins), company=company, status__in=CAN_SIGN_IN,
    ).order_by("full_name", "email")


def locations_for(user, company):
    """
    The locations `user` may put an engagement in: all for a global administrator. Archived
    locations keep their engagements but take no new ones.
    """
    if user.is_global_admin:
        return Location.objects.active().filter(company=company)
    return user.administered_locations.active().filter(company=company)
