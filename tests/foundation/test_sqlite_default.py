"""
`make run`'s embedded default, end to end: SQLite, Celery tasks in-process, emails as files.

The rest of the suite runs on PostgreSQL, so this is the one place the SQLite code paths are
exercised: in subprocesses with a clean environment (no DATABASE_URL, REDIS_URL, mail or
secret settings) and a temporary OPTIFY_VAR_DIR for the database file and var/mail/, it
migrates, loads the demo data, walks every page as each demo role (sqlite_smoke.py), then runs
the daily evaluation for a later day — which writes the outbox and sends the nudges through
the in-process Celery task — and `send_nudges`, and checks the emails landed as files.
"""

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SMOKE = Path(__file__).resolve().parent / "sqlite_smoke.py"
# Whatever would switch the settings away from the embedded default, or is test-only.
NOT_INHERITED = {
    "DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "SITE_URL",
    "SMTP_URL", "ANYMAIL_BACKEND", "ANYMAIL_OPTIONS", "TEST_DATABASE_NAME", "OPTIFY_VAR_DIR",
    "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE", "CONN_MAX_AGE",
    "PROGRESS_EVALUATION_HOUR", "OPTIFY_BEAT_EVERY_SECONDS",
}


def run(var_dir, *args, stdin=None):
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    # ERROR: the 4xx answers the walk provokes on purpose are not worth a log line.
    env.update(OPTIFY_VAR_DIR=str(var_dir), LOG_LEVEL="ERROR")
    result = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, input=stdin, capture_output=True,
        text=True, timeout=300,
    )
    if result.returncode != 0:
        pytest.fail(
            f"{' '.join(map(str, args))} exited {result.returncode}\n"
            f"{result.stdout[-30000:]}\n--- stderr (end) ---\n{result.stderr[-3000:]}",
            pytrace=False,
        )
    return result.stdout


def test_make_run_default_serves_every_page_and_sends_nudges_as_files(tmp_path):
    var = tmp_path / "var"
    run(var, "manage.py", "migrate", "--noinput")
    seeded = run(var, "manage.py", "seed_demo", "--engagements", "40")
    assert "admin@northwind.example" in seeded
    assert (var / "optify.sqlite3").exists()
    # `make run` leaves today's demo nudges to read, without anyone moving the clock.
    demo_mail = "\n".join(path.read_text(errors="replace") for path in (var / "mail").glob("*"))
    assert "Subject: " in demo_mail, "seed_demo sent no demo nudge"

    walked = run(var, str(SMOKE), stdin=seeded)
    assert "0 failures" in walked, walked

    # Weeks on, engagements without a session go off track: the daily evaluation writes
    # the outbox and the in-process Celery task sends it, as files under var/mail/.
    # seed_demo dates everything from the real today (subprocesses: no time_machine here), so
    # "a month on" is from the real today too; company-local dates are within a day of it.
    later = (dt.date.today() + dt.timedelta(days=45)).isoformat()
    evaluated = run(var, "manage.py", "evaluate_progress", "--date", later)
    assert "transitions=" in evaluated
    sent = run(var, "manage.py", "send_nudges")
    assert sent.startswith("nudges:")
    # Django's file backend writes one file per connection (here one per company's run),
    # each message after the other.
    contents = "\n".join(path.read_text(errors="replace") for path in (var / "mail").glob("*"))
    unfolded = contents.replace("\n ", " ").replace("\n\t", " ")  # long headers are folded
    subjects = [line for line in unfolded.splitlines() if line.startswith("Subject: ")]
    assert subjects, f"no email written under var/mail\n{evaluated}\n{sent}"
    recorded = run(var, "manage.py", "shell", "-c", (
        "from notifications.models import Nudge; "
        "print(Nudge.objects.filter(status='sent').count())"
    ))
    # The smoke walk's messages were emailed at once (tasks in-process), into the same folder.
    messages = [s for s in subjects if re.search(r"new messages? from", s, re.IGNORECASE)]
    assert messages, subjects
    nudges = [s for s in subjects if s not in messages]
    assert len(nudges) == int(recorded.split()[-1])  # each sent nudge once, nothing else
    assert any("Time to book your next coaching session" in s for s in subjects)
    assert any("off track" in s for s in subjects)  # a coach's or administrator's digest
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in contents
    assert "Content-Type: multipart/alternative" in contents
