"""
The pages of `make run`'s embedded default (SQLite), as each demo role sees them.

Run by tests/foundation/test_sqlite_default.py in a subprocess whose environment has no
DATABASE_URL or REDIS_URL, after `migrate`, with `seed_demo`'s output on stdin:

    export OPTIFY_VAR_DIR=/tmp/x
    .venv/bin/python manage.py seed_demo | .venv/bin/python tests/foundation/sqlite_smoke.py

Signs in through the sign-in page as each demo role seed_demo prints and GETs every named URL
of the project (built from the URL configuration, so a page added later is walked too), the
list pages with
each filter, sort and page size, the Report with its own filters and the CSV export, plus a
few POSTs (save a report view, choose columns, the bulk action's confirmation step, a pause,
a goal and a message). Prints
one line per failure — the URL and the traceback — and exits 1 if there is any. A response
>= 500 (or an exception) is a failure everywhere; the pages a role must be able to open
must answer 200.
"""

import datetime as dt
import os
import re
import sys
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "optify.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import URLPattern, URLResolver, get_resolver, reverse  # noqa: E402

from accounts.models import User  # noqa: E402
from engagements import actions  # noqa: E402
from engagements.models import Engagement, Progress  # noqa: E402
from engagements.tables import EngagementTable  # noqa: E402
from engagements.views import EngagementListView  # noqa: E402
from reports.models import SavedView  # noqa: E402
from templates_app.models import EngagementKind, EngagementTemplate  # noqa: E402

SIGN_INS = re.compile(r"Demo sign-ins \(password for all: (\S+)\)\n((?:  .+\n)+)")
# Not walked: Django's admin (its own tests), and sign-out (walking it would sign us out).
SKIPPED_NAMESPACES = {"admin"}
SKIPPED_NAMES = {"accounts:logout"}

failures = []
requests_made = 0


def named_patterns(patterns=None, prefix=""):
    """(name, [parameter names]) of every named URL, namespaces included."""
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace in SKIPPED_NAMESPACES:
                continue
            namespace = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            yield from named_patterns(entry.url_patterns, namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            # A path's converters, or a regex's named groups (the API's router: `(?P<pk>...)`).
            yield f"{prefix}{entry.name}", list(entry.pattern.converters
                                                or entry.pattern.regex.groupindex)


def fetch(client, label, url, method="get", data=None, expect=None):
    """One request; records a failure for an exception, a 5xx, or a status not in `expect`."""
    global requests_made
    requests_made += 1
    try:
        response = getattr(client, method)(url, data or {})
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)  # a streamed CSV fails while streaming
    except Exception:
        failures.append(f"{label}: {method.upper()} {url} raised\n{traceback.format_exc()}")
        return None
    if response.status_code >= 500 or (expect and response.status_code not in expect):
        failures.append(f"{label}: {method.upper()} {url} answered {response.status_code}"
                        f" (expected {sorted(expect) if expect else '< 500'})")
    return response


def demo_sign_ins(seed_output):
    """{role: email} and the password, as `seed_demo` prints them."""
    found = SIGN_INS.search(seed_output)
    if not found:
        sys.exit("No 'Demo sign-ins' block in seed_demo's output (read from stdin).")
    password, block = found.groups()
    roles = {}
    for line in block.splitlines():
        role, email = line.strip().rsplit(None, 1)
        roles[role.strip()] = email
    return roles, password


def sign_in(email, password):
    client = Client()
    response = fetch(client, email, reverse("accounts:login"), "post",
                     {"username": email, "password": password}, expect={302})
    if response is None or response.status_code != 302:
        return None
    return client


def arguments_for(name, params, objects):
    """The URL arguments of pattern `name`, from the standing objects; None if unknown."""
    known = {
        "pk": {"engagements": objects["engagement"], "templates_app": objects["template"],
               "reports": objects["saved_view"]}.get(name.split(":")[0]),
        "session_pk": objects.get("session"),
        "call_pk": objects.get("call"),
        "pause_pk": objects.get("pause"),
        "goal_pk": objects.get("goal"),
        "table": EngagementTable.__name__,
        "token": "not-a-valid-token",
        "uidb64": "x",
    }
    if any(known.get(param) is None for param in params):
        return None
    return [known[param] for param in params]


def list_queries(user):
    """Query strings for a list page: each filter, each sortable column both ways, sizes."""
    template = EngagementTemplate.objects.filter(company_id=user.company_id).first()
    visible = Engagement.objects.restrict(user)
    someone = visible.select_related("coachee").first()
    queries = [{}, {"include_completed": "on"}, {"q": ""}, {"q": "a"}, {"q": "zzz-nobody"},
               {"page": 2}, {"page": "x"}, {"per_page": "nonsense"}]
    if someone:
        queries.append({"q": someone.coachee.full_name.split()[0]})
        queries.append({"q": someone.coachee.email})
    queries += [{"progress": value} for value in Progress.values]
    queries.append({"progress": Progress.values})
    queries.append({"off_track_within": "7"})
    queries += [{"status": value} for value in Engagement.Status.values]
    queries += [{"kind": value} for value in EngagementKind.values]
    if template:
        queries.append({"template": template.pk})
    coach_id = visible.exclude(coach=None).values_list("coach_id", flat=True).first()
    if coach_id:
        queries.append({"coach": coach_id})
    location_id = visible.exclude(location=None).values_list("location_id", flat=True).first()
    if location_id:
        queries.append({"location": location_id})
    queries.append({"template": 987654321, "progress": "nonsense"})  # not understood: named
    for name, column in EngagementTable.base_columns.items():
        if column.orderable is not False:
            queries += [{"sort": name},
                        {"sort": f"-{name}", "include_completed": "on", "progress": "off_track"}]
    queries += [{"per_page": size} for size in EngagementListView.page_sizes]
    return queries


def report_queries(user):
    today = user.company.local_today() if user.company else None
    ranges = [("2020-01-01", "2030-12-31"), ("", str(today)), (str(today), ""),
              ("2030-01-01", "2020-01-01"), ("not-a-date", "")]
    queries = []
    for start, stop in ranges:
        for mode in ("now", "history"):
            queries.append({"off_track_since_after": start, "off_track_since_before": stop,
                            "off_track_mode": mode})
    queries += [{"started_after": "2020-01-01", "started_before": str(today)},
                {"off_track_since_after": "2020-01-01", "progress": "off_track",
                 "include_completed": "on", "sort": "-off_track_since"}]
    return queries


SAMPLE_QUERIES = [
    {"include_completed": "on"}, {"progress": "off_track"}, {"q": "a"},
    {"sort": "-off_track_since"}, {"sort": "days_until_off_track"}, {"per_page": 250},
]


def walk(label, email, password, thorough=False):
    client = sign_in(email, password)
    if client is None:
        return
    user = User.objects.get(email=email)
    visible = Engagement.objects.restrict(user)
    engagement = (visible.filter(can_manage=True, status=Engagement.Status.ACTIVE).first()
                  or visible.first())
    template = EngagementTemplate.objects.filter(company_id=user.company_id).first()
    is_admin = user.is_company_admin
    reports_ok = is_admin or user.coach_engagements.exists()
    saved_view = None
    if is_admin and user.company_id:
        fetch(client, label, reverse("reports:save_view"), "post",
              {"name": "Off track smoke", "query": "progress=off_track"}, expect={302})
        saved_view = SavedView.objects.filter(owner=user).values_list("pk", flat=True).first()
    objects = {
        "engagement": engagement.pk if engagement else None,
        "template": template.pk if template else None,
        "saved_view": saved_view,
        "session": engagement.sessions.values_list("pk", flat=True).first() if engagement
        else None,
        "call": engagement.discovery_calls.values_list("pk", flat=True).first() if engagement
        else None,
        "pause": engagement.pauses.values_list("pk", flat=True).first() if engagement
        else None,
        "goal": engagement.goals.values_list("pk", flat=True).first() if engagement else None,
    }

    # Pages this role must be able to open.
    must_open = {"home", "engagements:list", "notifications:settings",
                 "engagements:my_coachees", "engagements:my_coaching"}
    if engagement:
        must_open.add("engagements:detail")
    if reports_ok:
        must_open |= {"reports:report", "reports:export"}
    if is_admin:
        must_open |= {"engagements:ready_to_complete", "templates_app:list"}
    if is_admin and engagement and engagement.can_manage:
        must_open |= {"engagements:end_early", "engagements:mark_complete"}
    if user.is_global_admin:
        must_open |= {"reports:billing", "reports:billing_csv", "templates_app:create"}
    if user.is_global_admin and template:
        must_open |= {"templates_app:edit", "templates_app:launch"}

    walked = set()
    for name, params in named_patterns():
        if name in SKIPPED_NAMES:
            continue
        args = arguments_for(name, params, objects)
        if args is None:
            if name in must_open or not any(objects.values()):
                failures.append(f"{label}: no arguments known for {name}({', '.join(params)})"
                                " — teach tests/foundation/sqlite_smoke.py:arguments_for")
            continue
        walked.add(name)
        fetch(client, label, reverse(name, args=args),
              expect={200} if name in must_open else None)
    missing = must_open - walked
    if missing:
        failures.append(f"{label}: pages not found in the URL conf: {sorted(missing)}")

    # Every filter, sort and size for the first role; a sample for the others (time).
    queries = list_queries(user) if thorough else SAMPLE_QUERIES
    for query in queries:
        fetch(client, label, reverse("engagements:list"), data=query, expect={200})
        if reports_ok:
            fetch(client, label, reverse("reports:report"), data=query, expect={200})
    if reports_ok:
        for query in report_queries(user)[:None if thorough else 3]:
            fetch(client, label, reverse("reports:report"), data=query, expect={200})
            fetch(client, label, reverse("reports:export"), data=query, expect={200})
        fetch(client, label, reverse("reports:export"),
              data={"sort": "-off_track_since", "include_completed": "on"}, expect={200})
        if saved_view:
            fetch(client, label, reverse("reports:report"), data={"view": saved_view},
                  expect={200})

    # A few POSTs that only change preferences or only show a confirmation.
    columns = ["coachee", "progress", "off_track_since", "days_until_off_track"]
    fetch(client, label, reverse("engagements:table_columns", args=["EngagementTable"]), "post",
          {"columns": columns})
    if is_admin and engagement:
        fetch(client, label, reverse("engagements:bulk_action"), "post",
              {"pk": [engagement.pk], "action": "end_early"})
    if is_admin and engagement and engagement.can_manage and engagement.is_running:
        # A pause, through its action, on SQLite: far enough ahead to overlap nothing.
        first = engagement.company.local_today() + dt.timedelta(
            days=400 + 2 * engagement.pauses.count())
        fetch(client, label, reverse("engagements:pause", args=[engagement.pk]), "post",
              {"starts_on": first.isoformat(), "ends_on": first.isoformat(),
               "reason": "holiday", "note": "smoke"}, expect={302})
    # A goal and a message through the pages (and the actions) where this role may write them;
    # on the embedded default the message's emails go out at once, in-process.
    if engagement and actions.may(user, engagement, actions.WRITE_GOALS):
        fetch(client, label, reverse("engagements:add_goal", args=[engagement.pk]), "post",
              {"title": "Smoke goal", "detail": "On SQLite."}, expect={302})
    if engagement and actions.may(user, engagement, actions.POST_MESSAGE):
        fetch(client, label, reverse("engagements:post_message", args=[engagement.pk]), "post",
              {"body": "Smoke message on SQLite."}, expect={302})
    fetch(client, label, reverse("engagements:list"), expect={200})


def main():
    assert settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"), "not the SQLite default"
    roles, password = demo_sign_ins(sys.stdin.read())
    for index, (label, email) in enumerate(roles.items()):
        walk(f"{label} <{email}>", email, password, thorough=index == 0)
    # Anonymous: every page without arguments answers (sign-in redirect or the page), no 5xx.
    anonymous = Client()
    for name, params in named_patterns():
        if not params and name not in SKIPPED_NAMES:
            fetch(anonymous, "anonymous", reverse(name))
    print(f"{requests_made} requests as {len(roles) + 1} roles, {len(failures)} failures")
    for failure in failures:
        print("FAILED", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
