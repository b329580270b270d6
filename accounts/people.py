"""
Whose people an administrator sees and manages: the one gate of the People pages, the CSV
import and accounts/actions.py, as `Engagement.objects.restrict` is for engagements.

- A global administrator: every user of their company, whatever their status (invited ones,
  internal records, deactivated ones and those in no engagement included).
- A location administrator (Enterprise plan): the company's people of their locations — by
  home location (`User.location`), or as the coachee or coach of an engagement there. They
  manage those who administer nothing; administrators are only shown to them.
- Anyone else: nobody. Other companies' users never, whoever asks; a guessed id answers 404.
"""

import datetime as dt

from django.conf import settings
from django.db.models import OuterRef, Q, Subquery, TextChoices
from django.db.models.lookups import IsNull
from django.utils.translation import gettext_lazy as _

from accounts.models import Location, User
from engagements.models import Engagement


class Role(TextChoices):
    ADMINISTRATOR = "administrator", _("Administrator")
    LOCATION_ADMINISTRATOR = "location_administrator", _("Location administrator")
    COACH = "coach", _("Coach")
    COACHEE = "coachee", _("Coachee")


def may_administer_people(user):
    return bool(user.is_authenticated and user.is_active and user.company_id
                and user.is_company_admin)


def may_manage_locations(user):
    """Locations are the Enterprise plan's; their global administrators create and archive them."""
    return bool(may_administer_people(user) and user.is_global_admin
                and user.company.is_enterprise)


def may_set_roles(user):
    return may_administer_people(user) and user.is_global_admin


def _any(queryset):
    """
    "At least one row", for conditions on each person read. A correlated LIMIT 1 subquery
    rather than EXISTS: inside an OR, PostgreSQL turns EXISTS into a hashed subplan built from
    the whole table (every engagement of every tenant, ~120 ms per 100,000) because it plans
    for the tenant's row estimate, not for the page's 26 rows; a LIMIT 1 subquery stays one
    index probe per person read, and the page stops reading after its rows.
    """
    return IsNull(Subquery(queryset.order_by().values("pk")[:1]), False)


def _coaching(**extra):
    return _any(Engagement.objects.filter(coach=OuterRef("pk"), **extra))


def _coached(**extra):
    return _any(Engagement.objects.filter(coachee=OuterRef("pk"), **extra))


def _administering_locations():
    return _any(User.administered_locations.through.objects.filter(user_id=OuterRef("pk")))


def in_locations(location_ids):
    """
    People of these locations: living there, or coachee or coach of an engagement there.

    `pk IN (engagements there)`, not a per-person probe: PostgreSQL hashes the locations'
    engagements once (their number, not the tenant's) and checks each person read against
    the hash, so a page reads people in name order and stops after its rows, and counting a
    location administrator's 10,000 people costs one pass over the tenant's people, not three
    index probes for each of them (seconds at 200,000).
    """
    location_ids = list(location_ids)
    there = Engagement.objects.filter(location_id__in=location_ids).order_by()
    return (Q(location_id__in=location_ids) | Q(pk__in=there.values("coachee_id"))
            | Q(pk__in=there.exclude(coach=None).values("coach_id")))


def administers_something():
    return Q(is_global_admin=True) | _administering_locations()


def people_for(user, action="view"):
    """
    The people `user` may see ("view") or change ("manage") on the People pages. Starts every
    read and write of people; what it leaves out answers 404 (403 for "manage" on someone
    only seen, see actions.get_person).
    """
    if not may_administer_people(user):
        return User.objects.none()
    people = User.objects.filter(company_id=user.company_id)
    if user.is_global_admin:
        return people
    # A list of ids (read once per request), not a subquery: each arm of the OR is then an
    # index probe per person read in name order, and the page stops after its rows.
    people = people.filter(in_locations(user.administered_location_ids))
    if action == "manage":
        people = people.exclude(administers_something())
    return people


def locations_for(user, *, include_archived=False):
    """Locations `user` may choose for a person (pickers: archived ones are left out)."""
    if not may_administer_people(user):
        return Location.objects.none()
    locations = Location.objects.filter(company_id=user.company_id)
    if not include_archived:
        locations = locations.active()
    if not user.is_global_admin:
        locations = locations.filter(pk__in=user.administered_location_ids)
    return locations.order_by("name")


def role_condition(role):
    """The rows of one role, for the People page's Role filter."""
    if role == Role.ADMINISTRATOR:
        return Q(is_global_admin=True)
    if role == Role.LOCATION_ADMINISTRATOR:
        return Q(is_global_admin=False) & _administering_locations()
    if role == Role.COACH:
        return Q(is_coach=True) | _coaching()
    # Coachees: the people of an engagement as its coachee, and everyone invited, added or
    # imported who is neither a coach nor an administrator (an internal record always is).
    return _coached() | (Q(is_coach=False, is_global_admin=False)
                         & ~_administering_locations() & ~_coaching())


def with_roles(queryset):
    """Annotates what the Role column shows: three index probes per row shown (see _any)."""
    return queryset.annotate(coaches_any=_coaching(), coached_in_any=_coached(),
                             administers_locations=_administering_locations())


def roles_of(person):
    """The roles of one person (annotated by with_roles, or asked one by one)."""
    def flag(name, fallback):
        value = getattr(person, name, None)
        return fallback() if value is None else value

    roles = []
    if person.is_global_admin:
        roles.append(Role.ADMINISTRATOR)
    elif flag("administers_locations", lambda: person.administered_locations.exists()):
        roles.append(Role.LOCATION_ADMINISTRATOR)
    coaching = flag("coaches_any", lambda: Engagement.objects.filter(coach=person).exists())
    if person.is_coach or coaching:
        roles.append(Role.COACH)
    coached = flag("coached_in_any", lambda: Engagement.objects.filter(coachee=person).exists())
    if coached or not roles:
        roles.append(Role.COACHEE)
    return roles


def invitation_expires_at(person):
    """When the link of `person`'s latest invitation stops working (accounts/invitations.py)."""
    if person.status != User.Status.INVITED or not person.invited_at:
        return None
    return person.invited_at + dt.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)
