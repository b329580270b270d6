"""
One write path: nothing but engagements/actions.py writes engagements, sessions, discovery
calls, coach selections, pauses, goals or messages — checked by reading the source — and
the Django admin's edits go through the actions (an edit there is re-evaluated at once).
"""

import ast
import datetime as dt
import pathlib
import re

import pytest
import time_machine
from django.urls import reverse

from accounts.models import User
from engagements.models import AuditEvent, Engagement, Progress, Session
from tests import factories

ROOT = pathlib.Path(__file__).resolve().parents[2]
SKIPPED_DIRS = {".venv", "tests", "bench", "migrations", "node_modules", "var", "staticfiles"}
WRITES = {"save", "update", "create", "bulk_create", "bulk_update", "delete", "get_or_create",
          "update_or_create"}
# A model, or a related manager that holds them (engagement.sessions, company.engagements).
MODELS = re.compile(r"\b(Engagement|Session|DiscoveryCall|CoachSelection|Pause|Goal|Message)\b"
                    r"|\.(sessions|discovery_calls|engagements|coach_engagements"
                    r"|coachee_engagements|owned_engagements|coach_selection|pauses|goals"
                    r"|messages)\b")
# Names that hold one of them, by this code base's habits. ("message" is also an email's name
# in notifications/: a Message is found by its model's name or `.messages` instead.)
NAMES = re.compile(r"^(engagements?|sessions?|calls?|discovery_calls?|(coach_)?selection"
                   r"|pauses?|goals?)$")

# The writes that are not changes of an engagement, each for a reason.
ALLOWED = {
    # The evaluation stores what it computed (progress and its dates): tracking's own output,
    # called by every action at once and by the daily job.
    "tracking/evaluation.py",
    # `provider_company` follows a coach who moves company: a copy of the coach's company.
    "engagements/signals.py",
    # The demo's back-dated history (engagements launched and ended months ago, a provider's
    # coaches before anyone chose them), loaded like a fixture and then evaluated day by day.
    "engagements/management/commands/seed_demo.py",
}


def _root_name(node):
    while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _scopes(tree):
    yield tree
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node


def direct_writes(source):
    """(line, code) of each call that looks like a write of one of the four models."""
    tree = ast.parse(source)
    found = {}
    for scope in _scopes(tree):
        body = ast.Module(body=scope.body, type_ignores=[])
        held = set()  # names assigned a queryset or object of the models in this scope
        for node in ast.walk(body):
            if isinstance(node, ast.Assign) and MODELS.search(ast.unparse(node.value)) \
                    and not isinstance(node.value, (ast.Dict, ast.List, ast.Tuple)):
                held |= {n.id for t in node.targets for n in ast.walk(t)
                         if isinstance(n, ast.Name)}
        for node in ast.walk(body):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in WRITES):
                continue
            receiver = node.func.value
            name = _root_name(receiver)
            if MODELS.search(ast.unparse(receiver)) or (name and (NAMES.match(name)
                                                                  or name in held)):
                found[node.lineno] = ast.unparse(node)[:120]
    return sorted(found.items())


def project_sources():
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if SKIPPED_DIRS & set(relative.parts):
            continue
        yield relative.as_posix(), path


def test_the_scan_finds_the_writes_it_is_for():
    source = '''
def view(request, engagement):
    Engagement.objects.filter(pk=1).update(status="active")
    engagement.sessions.create(starts_at=now)
    session.save()
    rows = DiscoveryCall.objects.filter(engagement=engagement)
    rows.delete()
    CoachSelection.objects.bulk_create([])
    context = {"sessions": engagement.sessions.all()}
    context.update(title="x")
    Goal.objects.create(title="x")
    goal.save()
    engagement.messages.create(body="x")
    Message.objects.filter(pk=1).delete()
    messages.success(request, "Saved.")
'''
    assert [line for line, _ in direct_writes(source)] == [3, 4, 5, 7, 8, 11, 12, 13, 14]


def test_only_the_actions_write_engagements_and_their_events():
    offenders = [
        f"{name}:{line}: {code}"
        for name, path in project_sources()
        if name != "engagements/actions.py" and name not in ALLOWED
        for line, code in direct_writes(path.read_text())
    ]
    assert not offenders, "write through engagements/actions.py:\n" + "\n".join(offenders)


# ---------------------------------------------------------------------------------------------
# The Django admin


NOW = dt.datetime(2026, 4, 1, 12, tzinfo=dt.UTC)


@pytest.fixture
def staff(db):
    return User.objects.create_superuser("staff@optify.test", "pw", full_name="Sid Staff")


def _admin_client(client, staff):
    client.force_login(staff, backend="django.contrib.auth.backends.ModelBackend")
    return client


def _session_form(session, **changes):
    local = session.starts_at
    data = {"starts_at_0": f"{local:%Y-%m-%d}", "starts_at_1": f"{local:%H:%M:%S}",
            "status": session.status, "cancel_reason": session.cancel_reason}
    data.update(changes)
    return data


@time_machine.travel(NOW, tick=False)
def test_moving_a_session_in_the_admin_re_evaluates_the_engagement_at_once(
        client, staff, engagement, coach):
    from engagements import actions

    session = actions.do_schedule_session(engagement, by=coach,
                                          starts_at=dt.datetime(2026, 4, 8, 9, tzinfo=dt.UTC))
    engagement.refresh_from_db()
    assert engagement.progress == Progress.ON_TRACK

    # 25 days ago, as a new user tried it: 7 March + 21 days = Off Track since 28 March.
    response = _admin_client(client, staff).post(
        reverse("admin:engagements_session_change", args=[session.pk]),
        _session_form(session, starts_at_0="2026-03-07", starts_at_1="09:00:00"))
    assert response.status_code == 302, response.content.decode()[:2000]
    engagement.refresh_from_db()
    assert engagement.progress == Progress.OFF_TRACK
    assert engagement.off_track_since == dt.date(2026, 3, 28)
    moved = AuditEvent.objects.get(action=AuditEvent.Action.SESSION_MOVED)
    assert moved.actor == staff


@time_machine.travel(NOW, tick=False)
def test_a_status_changed_in_the_admin_goes_through_its_action(client, staff, engagement):
    past = factories.SessionFactory(engagement=engagement,
                                    starts_at=dt.datetime(2026, 3, 30, 9, tzinfo=dt.UTC))
    future = factories.SessionFactory(engagement=engagement,
                                      starts_at=dt.datetime(2026, 4, 20, 9, tzinfo=dt.UTC))
    admin = _admin_client(client, staff)
    admin.post(reverse("admin:engagements_session_change", args=[past.pk]),
               _session_form(past, status="completed"))
    admin.post(reverse("admin:engagements_session_change", args=[future.pk]),
               _session_form(future, status="cancelled", cancel_reason="Coach ill"))
    past.refresh_from_db()
    future.refresh_from_db()
    assert past.status == "completed"
    assert future.status == "cancelled" and future.cancelled_at == NOW
    assert {e.action for e in AuditEvent.objects.all()} == {
        AuditEvent.Action.SESSION_COMPLETED, AuditEvent.Action.SESSION_CANCELLED}
    engagement.refresh_from_db()
    assert engagement.last_activity_on == dt.date(2026, 4, 1)  # the cancellation's day

    # What no action allows is refused with the reason, and nothing changes.
    response = admin.post(reverse("admin:engagements_session_change", args=[future.pk]),
                          _session_form(future, status="scheduled"), follow=True)
    assert "cannot be scheduled again" in response.content.decode()
    future.refresh_from_db()
    assert future.status == "cancelled"


@time_machine.travel(NOW, tick=False)
def test_an_engagement_edited_in_the_admin_goes_through_its_action(
        client, staff, engagement, global_admin):
    response = _admin_client(client, staff).post(
        reverse("admin:engagements_engagement_change", args=[engagement.pk]), {
            "coach": engagement.coach_id, "owner": global_admin.pk,
            "location": engagement.location_id, "started_on": "2026-03-20",
            **{f"{prefix}-{key}": value for prefix in ("sessions", "discovery_calls")
               for key, value in (("TOTAL_FORMS", 0), ("INITIAL_FORMS", 0),
                                  ("MIN_NUM_FORMS", 0), ("MAX_NUM_FORMS", 1000))},
        })
    assert response.status_code == 302, response.content.decode()[:3000]
    engagement.refresh_from_db()
    assert engagement.started_on == dt.date(2026, 3, 20)
    assert engagement.progress == Progress.ON_TRACK
    assert AuditEvent.objects.get().action == AuditEvent.Action.EDITED


def test_the_admin_adds_and_deletes_none_of_them(client, staff, engagement):
    admin = _admin_client(client, staff)
    for model in ("engagement", "session", "discoverycall", "coachselection"):
        assert admin.get(reverse(f"admin:engagements_{model}_add")).status_code == 403
    assert admin.post(reverse("admin:engagements_engagement_delete", args=[engagement.pk]),
                      {"post": "yes"}).status_code == 403
    assert Engagement.objects.filter(pk=engagement.pk).exists()
    assert not Session.objects.exists()


def test_the_admin_shows_pauses_and_changes_none(client, staff, engagement):
    pause = factories.PauseFactory(engagement=engagement)
    admin = _admin_client(client, staff)
    assert admin.get(reverse("admin:engagements_pause_changelist")).status_code == 200
    assert admin.get(reverse("admin:engagements_pause_add")).status_code == 403
    before = (pause.starts_on, pause.ends_on)
    admin.post(reverse("admin:engagements_pause_change", args=[pause.pk]),
               {"starts_on": "2026-01-01", "ends_on": "2026-01-02", "reason": "other",
                "status": "approved"})
    pause.refresh_from_db()
    assert (pause.starts_on, pause.ends_on) == before
    assert admin.post(reverse("admin:engagements_pause_delete", args=[pause.pk]),
                      {"post": "yes"}).status_code == 403
