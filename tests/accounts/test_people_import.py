"""Importing coachees from CSV: preview, per-row errors, confirmation, idempotence, size."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import imports
from accounts.models import AccountEvent, PeopleImport, User

GOOD = (
    "Email,Name,Location\n"
    "ana@acme.test,Ana López,London\n"
    "Ben@Acme.test,Ben Brown,leeds\n"
    "cy@acme.test,Cy Clark,\n"
)


def upload(client, text, name="people.csv"):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return client.post(reverse("people:import"),
                       {"file": SimpleUploadedFile(name, data, content_type="text/csv")})


def test_a_good_file_is_previewed_then_imported_on_confirmation(client_for, global_admin,
                                                               location, other_location):
    client = client_for(global_admin)
    response = upload(client, GOOD)
    pending = PeopleImport.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("people:import_preview", args=[pending.pk])
    # Nothing written but the pending import.
    assert not User.objects.filter(email__in=["ana@acme.test", "ben@acme.test"]).exists()
    preview = client.get(response.url)
    assert b"Ana L\xc3\xb3pez" in preview.content and b"Import 3 coachees" in preview.content

    response = client.post(reverse("people:import_confirm", args=[pending.pk]))
    assert response.status_code == 302
    added = {u.email: u for u in User.objects.filter(email__in=["ana@acme.test",
                                                                "ben@acme.test",
                                                                "cy@acme.test"])}
    assert set(added) == {"ana@acme.test", "ben@acme.test", "cy@acme.test"}
    assert added["ana@acme.test"].location == location
    assert added["ben@acme.test"].location == other_location  # names match in any case
    assert added["cy@acme.test"].location is None
    for person in added.values():
        assert person.status == User.Status.INTERNAL_RECORD
        assert person.company == global_admin.company
        assert not person.has_usable_password()
    event = AccountEvent.objects.get(action="imported")
    assert event.changes["added"] == 3 and event.changes["file"] == "people.csv"


def test_bad_rows_are_reported_per_row_and_left_out(client_for, global_admin, location,
                                                   coachee, other_admin):
    text = (
        "email;full name;location\n"
        "not-an-email;Nora Bad;London\n"
        "ok@acme.test;;London\n"
        "dup@acme.test;Dee One;London\n"
        "DUP@acme.test;Dee Two;London\n"
        "far@acme.test;Fay Far;Atlantis\n"
        "admin@globex.test;Otto;London\n"
        "coachee@acme.test;Cole Coachee;London\n"
    )
    client = client_for(global_admin)
    upload(client, text)
    pending = PeopleImport.objects.get()
    errors = {row["line"]: " ".join(row["errors"]) for row in pending.errors}
    assert errors == {
        2: "Not a valid email address.",
        3: "Name missing.",
        5: "Duplicate: the same email as line 4.",
        6: "Unknown location “Atlantis”.",
        7: "This email address is already in use.",
    }
    assert [row["email"] for row in pending.rows] == ["dup@acme.test"]
    assert [row["email"] for row in pending.existing] == ["coachee@acme.test"]
    page = client.get(reverse("people:import_preview", args=[pending.pk]))
    assert b"Unknown location" in page.content and b"Duplicate" in page.content
    client.post(reverse("people:import_confirm", args=[pending.pk]))
    assert User.objects.filter(email="dup@acme.test").count() == 1
    assert not User.objects.filter(email="far@acme.test").exists()


def test_the_same_file_twice_adds_nobody_the_second_time(client_for, global_admin, location,
                                                        other_location):
    client = client_for(global_admin)
    upload(client, GOOD)
    first = PeopleImport.objects.get()
    client.post(reverse("people:import_confirm", args=[first.pk]))
    count = User.objects.count()
    upload(client, GOOD)
    second = PeopleImport.objects.exclude(pk=first.pk).get()
    assert second.rows == [] and len(second.existing) == 3
    assert b"Nobody to add" in client.get(
        reverse("people:import_preview", args=[second.pk])).content
    client.post(reverse("people:import_confirm", args=[second.pk]))
    assert User.objects.count() == count


def test_confirming_twice_imports_once(client_for, global_admin, location, other_location):
    client = client_for(global_admin)
    upload(client, GOOD)
    pending = PeopleImport.objects.get()
    client.post(reverse("people:import_confirm", args=[pending.pk]))
    response = client.post(reverse("people:import_confirm", args=[pending.pk]), follow=True)
    assert b"already been imported" in response.content
    assert User.objects.filter(email__endswith="@acme.test",
                               status=User.Status.INTERNAL_RECORD).count() == 3


def test_an_unreadable_file_is_a_form_error(client_for, global_admin):
    client = client_for(global_admin)
    for text, message in ((b"", b"empty"), (b"name,location\nA,B\n", b"email"),
                          (b"\xff\xfe\x00\x00garbage", b"")):
        response = upload(client, text)
        assert response.status_code == 400
        assert message in response.content
    assert not PeopleImport.objects.exists()


def test_a_location_admin_imports_into_their_locations_only(client_for, location_admin,
                                                           location):
    text = "email,name,location\nl1@acme.test,L One,London\nl2@acme.test,L Two,Leeds\n" \
           "l3@acme.test,L Three,\n"
    client = client_for(location_admin)
    upload(client, text)
    pending = PeopleImport.objects.get()
    assert [row["email"] for row in pending.rows] == ["l1@acme.test"]
    assert {row["line"] for row in pending.errors} == {3, 4}


def test_an_import_is_its_administrators_own(client_for, global_admin, other_admin, location,
                                             other_location):
    upload(client_for(global_admin), GOOD)
    pending = PeopleImport.objects.get()
    client = client_for(other_admin)
    assert client.get(reverse("people:import_preview", args=[pending.pk])).status_code == 404
    assert client.post(reverse("people:import_confirm", args=[pending.pk])).status_code == 404
    assert not User.objects.filter(email="ana@acme.test").exists()


def test_five_thousand_rows_in_a_bounded_number_of_queries(global_admin, location):
    lines = ["email,name,location"] + [
        f"person{n}@bulk.test,Person {n},{'London' if n % 2 else ''}" for n in range(5000)]
    data = ("\n".join(lines) + "\n").encode()
    with CaptureQueriesContext(connection) as parsing:
        pending = imports.parse_upload(by=global_admin, data=data, file_name="big.csv")
    with CaptureQueriesContext(connection) as confirming:
        added = imports.confirm_import(pending, by=global_admin)
    assert added == 5000
    assert User.objects.filter(email__endswith="@bulk.test").count() == 5000
    # Parsing: the locations, the existing emails (5 batches of 1,000), the pending import.
    assert len(parsing) <= 10, [q["sql"][:80] for q in parsing.captured_queries]
    # Confirming: the won UPDATE, locations, existing emails (5), people (5 batches of
    # 1,000), the audit event, the count, the re-read, and savepoints.
    assert len(confirming) <= 20, [q["sql"][:80] for q in confirming.captured_queries]
    # Again: nobody is added.
    again = imports.parse_upload(by=global_admin, data=data, file_name="big.csv")
    assert again.rows == [] and len(again.existing) == 5000
