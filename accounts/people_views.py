"""
The People pages: the company's people, inviting and adding them, their page, their roles,
the CSV import and the locations. Thin: reads start from accounts/people.py's gate and every
write is a function of accounts/actions.py (or accounts/imports.py).
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from accounts import actions, imports
from accounts.filters import PersonFilterSet
from accounts.models import AccountEvent, Location
from accounts.people import (
    invitation_expires_at,
    locations_for,
    may_administer_people,
    may_manage_locations,
    may_set_roles,
    people_for,
    roles_of,
    with_roles,
)
from accounts.people_forms import (
    ImportForm,
    LocationForm,
    PersonDetailsForm,
    PersonForm,
    RolesForm,
)
from accounts.tables import PersonTable
from engagements.models import Engagement
from optify.lists.views import BaseListView

NOT_ADMIN = gettext_lazy("The People pages are for your company's administrators.")


def admin_required(view):
    """Signed in (else to sign in) and an administrator of a company (else 403)."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not may_administer_people(request.user):
            raise PermissionDenied(NOT_ADMIN)
        return view(request, *args, **kwargs)

    return wrapped


class PeopleListView(BaseListView):
    """
    Every person of the company the viewer administers (accounts/people.py), filtered by
    role, status, location and a name-or-email search, on the shared list bases (LazyPaginator:
    no COUNT over 200,000 people per page), in name order from the user_company_name index.
    """

    template_name = "people/list.html"
    table_class = PersonTable
    filterset_class = PersonFilterSet
    title = gettext_lazy("People")
    noun = gettext_lazy("people")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not may_administer_people(request.user):
            raise PermissionDenied(NOT_ADMIN)
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return with_roles(people_for(self.request.user)).select_related("location")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["may_manage_locations"] = may_manage_locations(self.request.user)
        return context


people_list = PeopleListView.as_view()


def _refused(request, error, *target):
    messages.error(request, str(error))
    return redirect(*target)


@admin_required
def add_person(request):
    form = PersonForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        invite = "add_record" not in request.POST
        try:
            person = actions.add_person(by=request.user, invite=invite, **form.action_kwargs())
        except actions.PeopleActionRefused as error:
            form.add_error(None, str(error))
        else:
            if invite:
                messages.success(request, _("%(person)s is invited: an email with a link to set "
                                            "a password is on its way to %(email)s.")
                                 % {"person": person, "email": person.email})
            else:
                messages.success(request, _("%(person)s is added as an internal record. Invite "
                                            "them from their page when they should sign in.")
                                 % {"person": person})
            return redirect("people:detail", person.pk)
    status = 400 if form.is_bound else 200
    return render(request, "people/add.html", {"form": form}, status=status)


@admin_required
def person_detail(request, pk):
    person = actions.get_person(request.user, pk)
    engagements = Engagement.objects.restrict(request.user).filter(
        Q(coachee=person) | Q(coach=person))
    context = {
        "person": person,
        "roles": roles_of(person),
        "may_manage": actions.may_manage(request.user, person),
        "may_set_roles": may_set_roles(request.user) and person.pk != request.user.pk,
        "is_self": person.pk == request.user.pk,
        "invitation_expires_at": invitation_expires_at(person),
        "now": timezone.now(),
        "administered": person.administered_locations.order_by("name"),
        "engagements": engagements.select_related("coachee", "coach", "template")
                                  .order_by("-started_on", "-pk")[:20],
        "events": AccountEvent.objects.filter(person=person).order_by("-created_at", "-pk")[:20],
    }
    return render(request, "people/detail.html", context)


@admin_required
def edit_person(request, pk):
    person = actions.get_person(request.user, pk, "manage")
    form = PersonDetailsForm(request.POST or None, user=request.user, person=person)
    if request.method == "POST" and form.is_valid():
        email_before = person.email
        try:
            person = actions.change_details(person, by=request.user, **form.action_kwargs())
        except actions.PeopleActionRefused as error:
            form.add_error(None, str(error))
        else:
            message = _("Saved.")
            if person.email != email_before and person.status == person.Status.INVITED:
                message = _("Saved. A new invitation is on its way to %(email)s.") % {
                    "email": person.email}
            messages.success(request, message)
            return redirect("people:detail", person.pk)
    status = 400 if form.is_bound else 200
    return render(request, "people/edit.html", {"form": form, "person": person}, status=status)


@admin_required
def person_roles(request, pk):
    person = actions.get_person(request.user, pk)
    if not may_set_roles(request.user):
        raise PermissionDenied(actions.ROLES_NOT_ALLOWED)
    form = RolesForm(request.POST or None, user=request.user, person=person)
    if request.method == "POST" and form.is_valid():
        try:
            actions.set_roles(person, by=request.user,
                              is_global_admin=form.cleaned_data["is_global_admin"],
                              admin_locations=form.cleaned_data.get("admin_locations") or ())
        except actions.PeopleActionRefused as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("%(person)s’s roles are saved.") % {"person": person})
            return redirect("people:detail", person.pk)
    status = 400 if form.is_bound else 200
    return render(request, "people/roles.html", {"form": form, "person": person},
                  status=status)


def _person_action(request, pk, action, done):
    try:
        person = action(pk, by=request.user)
    except actions.PeopleActionRefused as error:
        return _refused(request, error, "people:detail", pk)
    messages.success(request, done(person))
    return redirect("people:detail", person.pk)


@require_POST
@admin_required
def invite_person(request, pk):
    return _person_action(
        request, pk, actions.invite,
        lambda person: _("An invitation is on its way to %(email)s.") % {"email": person.email})


@require_POST
@admin_required
def deactivate_person(request, pk):
    return _person_action(
        request, pk, actions.deactivate,
        lambda person: _("%(person)s is deactivated: they cannot sign in and are not emailed. "
                         "Their engagements keep their history.") % {"person": person})


@require_POST
@admin_required
def reactivate_person(request, pk):
    return _person_action(
        request, pk, actions.reactivate,
        lambda person: _("%(person)s is reactivated (%(status)s).") % {
            "person": person, "status": person.get_status_display().lower()})


# -- CSV import ----------------------------------------------------------------------------


@admin_required
def import_upload(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            pending = imports.parse_upload(by=request.user, data=upload.read(),
                                           file_name=upload.name)
        except actions.PeopleActionRefused as error:
            form.add_error("file", str(error))
        else:
            return redirect("people:import_preview", pending.pk)
    status = 400 if form.is_bound else 200
    return render(request, "people/import.html",
                  {"form": form, "locations": locations_for(request.user)}, status=status)


@admin_required
def import_preview(request, pk):
    pending = imports.get_pending(request.user, pk)
    if pending is None:
        raise Http404("No such import.")
    return render(request, "people/import_preview.html", {
        "pending": pending, "rows": pending.rows[:200], "more_rows": len(pending.rows) - 200,
    })


@require_POST
@admin_required
def import_confirm(request, pk):
    pending = imports.get_pending(request.user, pk)
    if pending is None:
        raise Http404("No such import.")
    try:
        added = imports.confirm_import(pending, by=request.user)
    except actions.PeopleActionRefused as error:
        return _refused(request, error, "people:import_preview", pk)
    messages.success(request, ngettext(
        "Imported %(count)d coachee as internal records. Invite them from their pages when "
        "they should sign in.",
        "Imported %(count)d coachees as internal records. Invite them from their pages when "
        "they should sign in.", added) % {"count": added})
    return redirect("people:list")


# -- locations -----------------------------------------------------------------------------


def _locations_required(request):
    if not may_manage_locations(request.user):
        raise PermissionDenied(actions.LOCATIONS_NOT_ALLOWED)


@admin_required
def locations(request):
    _locations_required(request)
    form = LocationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            location = actions.create_location(by=request.user, name=form.cleaned_data["name"])
        except actions.PeopleActionRefused as error:
            form.add_error("name", str(error))
        else:
            messages.success(request, _("Location “%(location)s” created.") % {
                "location": location})
            return redirect("people:locations")
    rows = Location.objects.filter(company_id=request.user.company_id).order_by(
        "archived_at", "name")
    status = 400 if form.is_bound else 200
    return render(request, "people/locations.html", {"form": form, "locations": rows},
                  status=status)


@admin_required
def edit_location(request, pk):
    location = actions.get_location(request.user, pk)
    form = LocationForm(request.POST or None, initial={"name": location.name})
    if request.method == "POST" and form.is_valid():
        try:
            actions.rename_location(location, by=request.user, name=form.cleaned_data["name"])
        except actions.PeopleActionRefused as error:
            form.add_error("name", str(error))
        else:
            messages.success(request, _("Location renamed."))
            return redirect("people:locations")
    status = 400 if form.is_bound else 200
    return render(request, "people/location_edit.html", {"form": form, "location": location},
                  status=status)


@require_POST
@admin_required
def archive_location(request, pk):
    try:
        location = actions.archive_location(pk, by=request.user)
    except actions.PeopleActionRefused as error:
        return _refused(request, error, "people:locations")
    messages.success(request, _("“%(location)s” is archived: no longer offered for new "
                                "people and engagements; its history stays.")
                     % {"location": location})
    return redirect("people:locations")


@require_POST
@admin_required
def restore_location(request, pk):
    try:
        location = actions.restore_location(pk, by=request.user)
    except actions.PeopleActionRefused as error:
        return _refused(request, error, "people:locations")
    messages.success(request, _("“%(location)s” is restored.") % {"location": location})
    return redirect("people:locations")
