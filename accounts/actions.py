"""
Every change to a company's people and locations: one function per change, as
engagements' actions are. Each one checks the permission (accounts/people.py: out of scope is
404, seen but not manageable is 403), validates, saves in one transaction with the person's
row locked, records an AccountEvent, and then sends what follows (an invitation), outside
that transaction.
The People pages and the CSV import call these. Not yet the Django admin: staff there still
edit users directly (its "Send an invitation email" calls accounts/invitations.py), as staff
may belong to no company and these functions act as one of its administrators.

Refusals a person can fix (a taken email, an archived location) raise `PeopleActionRefused`
with a message for them.
"""

from django.core.exceptions import PermissionDenied
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.invitations import send_invitation
from accounts.models import AccountEvent, Location, User
from accounts.people import (
    Role,
    locations_for,
    may_administer_people,
    may_manage_locations,
    may_set_roles,
    people_for,
)

NOT_ALLOWED = gettext_lazy("Only your company's administrators can change this person.")
ROLES_NOT_ALLOWED = gettext_lazy("Only global administrators decide who administers what.")
LOCATIONS_NOT_ALLOWED = gettext_lazy("Locations are part of the Enterprise plan; its global "
                                     "administrators create, rename and archive them.")


class PeopleActionRefused(Exception):
    """The change cannot be made; the message says why, for the person who tried."""


def get_person(by, pk, action="view", *, for_update=False):
    """
    The person for a page or an action: 404 when `by` may not see them, 403 when they only
    see them (a location administrator looking at an administrator).
    """
    people = people_for(by, "view")
    if for_update:
        people = people.select_for_update()
    person = people.filter(pk=pk).first() if str(pk).isdigit() else None
    if person is None:
        raise Http404("No such person.")
    if action == "manage" and not people_for(by, "manage").filter(pk=person.pk).exists():
        raise PermissionDenied(NOT_ALLOWED)
    return person


def may_manage(by, person):
    return people_for(by, "manage").filter(pk=person.pk).exists()


def _pk(obj):
    return getattr(obj, "pk", obj)


def normalise_email(email):
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except Exception as error:  # ValidationError: say it in our words
        raise PeopleActionRefused(_("Enter a valid email address.")) from error
    return email


def email_taken(email, exclude_pk=None):
    # Emails are unique across Optify (sign-in is by email), so another company's person
    # blocks it too; the message says only that it is in use, never whose it is.
    return User.objects.filter(email__iexact=email).exclude(pk=exclude_pk).exists()


def _check_location(by, location, *, required=False):
    if location is None:
        if required:
            raise PeopleActionRefused(_("Choose one of your locations."))
        return None
    if not locations_for(by).filter(pk=_pk(location)).exists():
        raise PeopleActionRefused(_("Choose a location of your company that is not archived."))
    return location


def _check_roles(by, role, admin_locations):
    """Who may give which role: location administrators add coachees and coaches only."""
    if role in (Role.ADMINISTRATOR, Role.LOCATION_ADMINISTRATOR) and not may_set_roles(by):
        raise PermissionDenied(ROLES_NOT_ALLOWED)
    if role == Role.LOCATION_ADMINISTRATOR:
        if not by.company.is_enterprise:
            raise PeopleActionRefused(_("Location administrators are part of the Enterprise plan."))
        if not admin_locations:
            raise PeopleActionRefused(_("Choose the locations they administer."))
        for location in admin_locations:
            _check_location(by, location)


def add_person(*, by, email, full_name, role=Role.COACHEE, location=None,
               admin_locations=(), invite=True):
    """
    Add a person to `by`'s company: invited by email at once (`invite`), or a coachee as an
    internal record, who cannot sign in and is never nudged until invited later. Returns the
    new user.
    """
    if not may_administer_people(by):
        raise PermissionDenied(NOT_ALLOWED)
    role = Role(role)
    email = normalise_email(email)
    full_name = (full_name or "").strip()
    if not full_name:
        raise PeopleActionRefused(_("Enter their name."))
    if not invite and role != Role.COACHEE:
        raise PeopleActionRefused(_("Only coachees can be added without an invitation."))
    _check_roles(by, role, list(admin_locations))
    # A location administrator's people are those of their locations: theirs must say which.
    _check_location(by, location, required=not by.is_global_admin)
    if email_taken(email):
        raise PeopleActionRefused(_("This email address is already in use."))
    try:
        with transaction.atomic():
            person = User.objects.create_user(
                email, full_name=full_name, company=by.company,
                status=User.Status.INVITED if invite else User.Status.INTERNAL_RECORD,
                is_coach=role == Role.COACH, is_global_admin=role == Role.ADMINISTRATOR,
                location=location,
            )
            if role == Role.LOCATION_ADMINISTRATOR:
                person.administered_locations.set(admin_locations)
            AccountEvent.record(
                AccountEvent.Action.INVITED if invite else AccountEvent.Action.ADDED,
                actor=by, company=by.company, person=person, email=email,
                full_name=full_name, role=str(role.label),
                home_location=str(location) if location else "",
            )
    except IntegrityError as error:  # the same email added at the same moment
        raise PeopleActionRefused(_("This email address is already in use.")) from error
    if invite:
        send_invitation(person, invited_by=by)
    return person


def invite(person, *, by):
    """
    Send the invitation: for the first time to an internal record (who becomes invited), or
    again to an invited person whose link was lost or has expired (a new link; the old one
    keeps working until it expires or a password is set).
    """
    with transaction.atomic():
        person = get_person(by, _pk(person), "manage", for_update=True)
        if person.status == User.Status.ACTIVE:
            raise PeopleActionRefused(
                _("%(person)s has already accepted their invitation.") % {"person": person})
        if person.status == User.Status.INACTIVE:
            raise PeopleActionRefused(
                _("%(person)s is deactivated: reactivate them first.") % {"person": person})
        first = person.status == User.Status.INTERNAL_RECORD
        AccountEvent.record(
            AccountEvent.Action.INVITED if first else AccountEvent.Action.INVITATION_RESENT,
            actor=by, company=by.company, person=person, email=person.email,
        )
    send_invitation(person, invited_by=by)
    return person


def deactivate(person, *, by):
    """
    A deactivated person cannot sign in (their open sessions end: Django's backend refuses
    inactive users on every request) and is never nudged; their engagements keep their
    history. Nothing else about them changes, so reactivating restores them as they were.
    """
    with transaction.atomic():
        person = get_person(by, _pk(person), "manage", for_update=True)
        if person.pk == by.pk:
            raise PeopleActionRefused(_("You cannot deactivate yourself."))
        if person.status == User.Status.INACTIVE:
            raise PeopleActionRefused(_("%(person)s is already deactivated.") % {"person": person})
        before = person.status
        User.objects.filter(pk=person.pk).update(status=User.Status.INACTIVE)
        AccountEvent.record(AccountEvent.Action.DEACTIVATED, actor=by, company=by.company,
                            person=person, status_before=before)
    person.refresh_from_db()
    return person


def reactivate(person, *, by):
    """
    Back to what they were: active if they had set a password, invited if an invitation was
    sent (a new one may be needed: see `invite`), else an internal record.
    """
    with transaction.atomic():
        person = get_person(by, _pk(person), "manage", for_update=True)
        if person.status != User.Status.INACTIVE:
            raise PeopleActionRefused(_("%(person)s is not deactivated.") % {"person": person})
        if person.has_usable_password():
            status = User.Status.ACTIVE
        elif person.invited_at:
            status = User.Status.INVITED
        else:
            status = User.Status.INTERNAL_RECORD
        User.objects.filter(pk=person.pk).update(status=status)
        AccountEvent.record(AccountEvent.Action.REACTIVATED, actor=by, company=by.company,
                            person=person, status=status)
    person.refresh_from_db()
    return person


def change_details(person, *, by, full_name, email, location=None, is_coach=None):
    """
    Name, email, home location and the coach flag. An invited person whose email changes is
    invited again at the new address (the old link named the old address and stops working).
    """
    full_name = (full_name or "").strip()
    if not full_name:
        raise PeopleActionRefused(_("Enter their name."))
    email = normalise_email(email)
    with transaction.atomic():
        person = get_person(by, _pk(person), "manage", for_update=True)
        if _pk(location) != person.location_id:
            _check_location(by, location, required=not by.is_global_admin)
        if email_taken(email, exclude_pk=person.pk):
            raise PeopleActionRefused(_("This email address is already in use."))

        def described():
            return {"full_name": person.full_name, "email": person.email,
                    "home_location": str(person.location) if person.location_id else "",
                    "coach": person.is_coach}

        before = described()
        person.full_name, person.email = full_name, email
        person.location = location if location is None or isinstance(location, Location) \
            else Location.objects.get(pk=location)
        if is_coach is not None:
            person.is_coach = bool(is_coach)
        after = described()
        changes = {key: [before[key], after[key]] for key in before if before[key] != after[key]}
        if not changes:
            return person
        person.save(update_fields=["full_name", "email", "location", "is_coach"])
        AccountEvent.record(AccountEvent.Action.DETAILS_CHANGED, actor=by, company=by.company,
                            person=person, **changes)
    if "email" in changes and person.status == User.Status.INVITED:
        send_invitation(person, invited_by=by)
    return person


def set_roles(person, *, by, is_global_admin, admin_locations=()):
    """
    Make `person` a global administrator, a location administrator of chosen locations
    (Enterprise plan), or neither. Global administrators only, and never about themselves:
    the last word on a company's administration should not be lost by a slip.
    """
    if not may_set_roles(by):
        if may_administer_people(by):
            get_person(by, _pk(person))  # 404 first for people they do not see
        raise PermissionDenied(ROLES_NOT_ALLOWED)
    admin_locations = list(admin_locations)
    if admin_locations and not by.company.is_enterprise:
        raise PeopleActionRefused(_("Location administrators are part of the Enterprise plan."))
    for location in admin_locations:
        _check_location(by, location)
    with transaction.atomic():
        person = get_person(by, _pk(person), "manage", for_update=True)
        if person.pk == by.pk:
            raise PeopleActionRefused(_("You cannot change your own roles; ask another "
                                      "global administrator."))
        if person.status == User.Status.INTERNAL_RECORD and (is_global_admin or admin_locations):
            raise PeopleActionRefused(_("Invite them first: an internal record cannot sign in."))
        before = {"global_administrator": person.is_global_admin,
                  "locations": sorted(str(loc) for loc in person.administered_locations.all())}
        # Archived locations they already administer stay theirs: the picker does not offer
        # them, so leaving them out is not a choice the administrator made.
        kept = list(person.administered_locations.filter(archived_at__isnull=False))
        person.is_global_admin = bool(is_global_admin)
        person.save(update_fields=["is_global_admin"])
        person.administered_locations.set([*admin_locations, *kept])
        after = {"global_administrator": person.is_global_admin,
                 "locations": sorted(str(loc) for loc in person.administered_locations.all())}
        if before != after:
            AccountEvent.record(AccountEvent.Action.ROLES_CHANGED, actor=by,
                                company=by.company, person=person, before=before, after=after)
    return person


# -- locations -----------------------------------------------------------------------------


def _check_may_manage_locations(by):
    if not may_manage_locations(by):
        raise PermissionDenied(LOCATIONS_NOT_ALLOWED)


def get_location(by, pk, *, for_update=False):
    _check_may_manage_locations(by)
    locations = Location.objects.filter(company_id=by.company_id)
    if for_update:
        locations = locations.select_for_update()
    location = locations.filter(pk=pk).first() if str(pk).isdigit() else None
    if location is None:
        raise Http404("No such location.")
    return location


def _clean_location_name(by, name, exclude_pk=None):
    name = (name or "").strip()
    if not name:
        raise PeopleActionRefused(_("Enter the location's name."))
    clash = Location.objects.filter(company_id=by.company_id, name__iexact=name)
    if clash.exclude(pk=exclude_pk).exists():
        raise PeopleActionRefused(_("Your company already has a location with this name."))
    return name


def create_location(*, by, name):
    _check_may_manage_locations(by)
    name = _clean_location_name(by, name)
    try:
        with transaction.atomic():
            location = Location.objects.create(company=by.company, name=name)
            AccountEvent.record(AccountEvent.Action.LOCATION_CREATED, actor=by,
                                company=by.company, location=location, name=name)
    except IntegrityError as error:
        raise PeopleActionRefused(_("Your company already has a location with this name.")) \
            from error
    return location


def rename_location(location, *, by, name):
    with transaction.atomic():
        location = get_location(by, _pk(location), for_update=True)
        name = _clean_location_name(by, name, exclude_pk=location.pk)
        if name == location.name:
            return location
        before, location.name = location.name, name
        location.save(update_fields=["name"])
        AccountEvent.record(AccountEvent.Action.LOCATION_RENAMED, actor=by, company=by.company,
                            location=location, name=[before, name])
    return location


def archive_location(location, *, by, now=None):
    """
    Archived locations leave every picker (new engagements, people, imports, administrators)
    and keep everything that points at them: engagements, people, billing days, history.
    """
    with transaction.atomic():
        location = get_location(by, _pk(location), for_update=True)
        if location.is_archived:
            raise PeopleActionRefused(
                _("%(location)s is already archived.") % {"location": location})
        location.archived_at = now or timezone.now()
        location.save(update_fields=["archived_at"])
        AccountEvent.record(AccountEvent.Action.LOCATION_ARCHIVED, actor=by,
                            company=by.company, location=location, name=location.name)
    return location


def restore_location(location, *, by):
    with transaction.atomic():
        location = get_location(by, _pk(location), for_update=True)
        if not location.is_archived:
            raise PeopleActionRefused(_("%(location)s is not archived.") % {"location": location})
        location.archived_at = None
        location.save(update_fields=["archived_at"])
        AccountEvent.record(AccountEvent.Action.LOCATION_RESTORED, actor=by,
                            company=by.company, location=location, name=location.name)
    return location

