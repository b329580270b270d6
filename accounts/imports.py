"""
Importing coachees from a CSV file, in two steps: `parse_upload` reads and checks every row and
stores the result as a pending PeopleImport (nothing else is written); `confirm_import` adds
the good rows, once, when the administrator confirms.

- Columns, by header (any case and order): `email` (required), `name` (or `full name`, or
  `first name` + `last name`), `location` (optional for global administrators; a location
  administrator's rows must name one of their locations).
- Per-row errors: a bad email, a missing name, a duplicate of an earlier line, an unknown (or
  archived, or not theirs) location, an email in use by someone Optify cannot add here.
- Idempotent: a row whose person is already one of the company's people is reported as such
  and skipped, so the same file imported twice adds nobody the second time.
- Imported coachees are internal records (no sign-in, never nudged) until invited.
- Fast: a fixed number of queries per 1,000 rows (bulk lookups and `bulk_create`), so 5,000
  rows import in well under a second of database time.
"""

import csv
import io
import secrets

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actions import NOT_ALLOWED, PeopleActionRefused
from accounts.models import AccountEvent, PeopleImport, User
from accounts.people import locations_for, may_administer_people

MAX_ROWS = 10_000
MAX_BYTES = 5 * 1024 * 1024
BATCH = 1000

HEADERS = {
    "email": "email", "e-mail": "email", "email address": "email", "e-mail address": "email",
    "name": "full_name", "full name": "full_name", "full_name": "full_name",
    "first name": "first_name", "first_name": "first_name", "given name": "first_name",
    "last name": "last_name", "last_name": "last_name", "surname": "last_name",
    "family name": "last_name", "location": "location",
}


class ImportRefused(PeopleActionRefused):
    """The file as a whole cannot be read; the message says why."""


def _decode(data):
    if len(data) > MAX_BYTES:
        raise ImportRefused(_("The file is larger than 5 MB. Split it into smaller files."))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError as error:
            raise ImportRefused(_("Save the file as “CSV UTF-8” and upload it again.")) from error


def read_rows(data):
    """[(line number, {email, full_name, location})] from the file's bytes."""
    text = _decode(data)
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as error:
        raise ImportRefused(_("The file is empty.")) from error
    columns = [HEADERS.get(name.strip().lower()) for name in header]
    if "email" not in columns:
        raise ImportRefused(_("The first line must name the columns, with at least “email” "
                            "(and “name”, “location”)."))
    rows = []
    try:
        for values in reader:
            if not any(value.strip() for value in values):
                continue
            if len(rows) >= MAX_ROWS:
                raise ImportRefused(_("At most %(count)s people per file. Split it.") % {
                    "count": f"{MAX_ROWS:,}"})
            row = {}
            for column, value in zip(columns, values, strict=False):
                if column:
                    row[column] = value.strip()
            if not row.get("full_name"):
                row["full_name"] = " ".join(
                    part for part in (row.get("first_name"), row.get("last_name")) if part)
            rows.append((reader.line_num, {"email": row.get("email", ""),
                                           "full_name": row["full_name"][:200],
                                           "location": row.get("location", "")}))
    except csv.Error as error:
        raise ImportRefused(_("Line %(line)s cannot be read: %(error)s.") % {
            "line": reader.line_num, "error": error}) from error
    return rows


def _unusable_password():
    # What make_password(None) stores, with one call for the randomness instead of 40
    # (secrets.choice per character): an eighth of a 5,000-row import's time.
    return UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30)


def _existing(emails):
    """{lowercased email: company id} of the users who have these emails."""
    found = {}
    emails = sorted(emails)
    for start in range(0, len(emails), BATCH):
        # Lower(email): the unique index user_email_unique_ci answers it.
        found.update(User.objects.annotate(email_lower=Lower("email"))
                     .filter(email_lower__in=emails[start:start + BATCH])
                     .values_list("email_lower", "company_id"))
    return found


def parse_upload(*, by, data, file_name=""):
    """Read and check an uploaded CSV; returns a pending PeopleImport (only that is written)."""
    if not may_administer_people(by):
        raise PermissionDenied(NOT_ALLOWED)
    rows = read_rows(data)
    locations = {location.name.strip().lower(): location for location in locations_for(by)}
    existing = _existing({row["email"].lower() for _, row in rows if row["email"]})
    seen = {}
    good, errors, already = [], [], []
    for line, row in rows:
        email = row["email"].lower()
        problems = []
        try:
            validate_email(email)
        except ValidationError:
            problems.append(_("Not a valid email address.") if email else _("Email missing."))
            email = ""
        if not row["full_name"]:
            problems.append(_("Name missing."))
        location = None
        if row["location"]:
            location = locations.get(row["location"].lower())
            if location is None:
                problems.append(_("Unknown location “%(location)s”.") % {
                    "location": row["location"]})
        elif not by.is_global_admin:
            problems.append(_("Location missing: name one of your locations."))
        if email and email in seen:
            problems.append(_("Duplicate: the same email as line %(line)s.") % {
                "line": seen[email]})
        elif email:
            seen[email] = line
            if email in existing and existing[email] != by.company_id:
                problems.append(_("This email address is already in use."))
        if problems:
            errors.append({"line": line, "email": row["email"], "full_name": row["full_name"],
                           "errors": problems})
        elif existing.get(email) == by.company_id:
            already.append({"line": line, "email": email, "full_name": row["full_name"]})
        else:
            good.append({"line": line, "email": email, "full_name": row["full_name"],
                         "location_id": location.pk if location else None,
                         "location": location.name if location else ""})
    return PeopleImport.objects.create(
        company=by.company, created_by=by, file_name=file_name[:255], rows=good,
        errors=errors, existing=already,
    )


def get_pending(by, pk):
    """`by`'s own import (anyone else's answers 404 through the caller)."""
    if not may_administer_people(by):
        raise PermissionDenied(NOT_ALLOWED)
    return PeopleImport.objects.filter(pk=pk, created_by=by, company_id=by.company_id).first()


def confirm_import(pending, *, by, now=None):
    """
    Add the import's good rows as internal-record coachees, once: the pending → confirmed
    UPDATE decides who confirms (a double click adds nobody twice), and rows whose email
    someone added since the preview are skipped. Returns the number of people added.
    """
    now = now or timezone.now()
    with transaction.atomic():
        won = PeopleImport.objects.filter(
            pk=pending.pk, created_by=by, status=PeopleImport.Status.PENDING,
        ).update(status=PeopleImport.Status.CONFIRMED, confirmed_at=now)
        if not won:
            raise PeopleActionRefused(_("This file has already been imported."))
        # Still theirs to choose: a location archived since the preview is left out.
        allowed = set(locations_for(by).values_list("pk", flat=True))
        taken = _existing({row["email"] for row in pending.rows})
        people = [
            User(email=row["email"], full_name=row["full_name"], company_id=by.company_id,
                 status=User.Status.INTERNAL_RECORD, password=_unusable_password(),
                 location_id=row["location_id"] if row["location_id"] in allowed else None,
                 date_joined=now)
            for row in pending.rows if row["email"] not in taken
        ]
        try:
            with transaction.atomic():
                User.objects.bulk_create(people, batch_size=BATCH)
        except IntegrityError as error:  # the same email added by someone at this moment
            raise PeopleActionRefused(_("Someone added some of these people meanwhile: upload "
                                      "the file again to see who is left.")) from error
        # One audit event for the file, not one per person: the PeopleImport keeps who and
        # what, and 5,000 more rows would double the import's time.
        AccountEvent.record(AccountEvent.Action.IMPORTED, actor=by, company=by.company,
                            file=pending.file_name, added=len(people), import_id=pending.pk)
        PeopleImport.objects.filter(pk=pending.pk).update(added=len(people))
    pending.refresh_from_db()
    return len(people)
