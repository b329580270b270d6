"""
Structured logs: the daily job, the evaluation of each company, the outbox and the sender each
log one line per run (and per company) — an event name and key/value fields, rendered as one
JSON object per line in production (optify/logs.py) — with the company, the run and the
counts, so a log search like `company=acme run=42` finds a day's whole story.
"""

import json
import re

import pytest
import time_machine

from notifications import sender
from optify.logs import JsonFormatter
from tests.faults.inprocess import DAY, MORNING, OutageBackend, two_crossing_on_day
from tracking import tasks
from tracking.jobs import run_daily_evaluation
from tracking.models import EvaluationRun

# An event, then at least one key=value field whose value has no space and no "=".
EVENT, KEY, VALUE = re.compile(r"^[a-z_]+$"), re.compile(r"^[a-z_]+$"), re.compile(r"^[^\s=]+$")
ENVELOPE = {"time", "level", "logger", "run_id"}  # on every line; the run id: tests/ops


def rendered(record):
    """The line as production writes it, parsed back: one JSON object, on one line."""
    line = JsonFormatter().format(record)
    assert "\n" not in line
    return json.loads(line)


def fields(record):
    data = rendered(record)
    return data["event"], {k: str(v) for k, v in data.items() if k not in ENVELOPE | {"event"}}


def well_formed(record):
    event, pairs = fields(record)
    return bool(EVENT.match(event) and pairs and all(
        KEY.match(key) and VALUE.match(value) for key, value in pairs.items()))


def lines(caplog, logger):
    return [fields(r) for r in caplog.records if r.name == logger]


@pytest.mark.django_db
def test_the_daily_job_logs_one_key_value_line_per_company_outbox_and_sender_run(
    caplog, monkeypatch
):
    caplog.set_level("INFO")
    scheduled = []
    monkeypatch.setattr(tasks.evaluate_companies, "delay", lambda *args: scheduled.append(args))
    with time_machine.travel(MORNING, tick=False):
        company, _, _ = two_crossing_on_day("acme")
        tasks.schedule_daily_evaluations()
        run_daily_evaluation(company, DAY)
        sender.send_due_nudges()

    run = EvaluationRun.objects.get()
    for record in caplog.records:
        if record.name in {"tracking.daily", "notifications.outbox", "notifications.sender"}:
            assert well_formed(record), rendered(record)

    assert lines(caplog, "tracking.daily") == [
        ("evaluation_scheduled", {"companies": "1", "days": "2026-03-23"}),
        ("evaluation_run", {
            "company": "acme", "day": "2026-03-23", "run": str(run.pk), "evaluated": "2",
            "on_track": "0", "off_track": "2", "not_tracked": "0", "transitions": "2",
            "duration_ms": str(run.duration_ms), "dry_run": "False",
        }),
    ]
    assert lines(caplog, "notifications.outbox") == [
        ("outbox_built", {"company": "acme", "day": "2026-03-23", "run": str(run.pk),
                          "nudges": "5"}),
        ("outbox_run", {"runs": "1", "nudges": "5", "items": "6"}),
    ]
    sent = lines(caplog, "notifications.sender")
    assert [event for event, _ in sent] == ["nudge_sent"] * 5 + ["nudges_sent", "nudges_run"]
    sender_run = sent[-1][1]["run"]
    assert all(f["company"] == "acme" and f["day"] == "2026-03-23" for _, f in sent[:6])
    assert sent[5][1] == {"company": "acme", "day": "2026-03-23", "run": sender_run,
                          "sent": "5", "pending": "0", "failed": "0", "cancelled": "0"}
    assert {k: v for k, v in sent[6][1].items() if k != "duration_ms"} == {
        "run": sender_run, "companies": "1", "sent": "5", "pending": "0", "failed": "0",
        "cancelled": "0"}


@pytest.mark.django_db
def test_a_failed_attempt_logs_the_nudge_company_and_error_as_key_values(caplog, settings):
    settings.MAILERS = {"default": {"BACKEND": "tests.faults.inprocess.OutageBackend"}}
    OutageBackend.down_until, OutageBackend.attempts = MORNING.replace(hour=8), []
    caplog.set_level("INFO")
    with time_machine.travel(MORNING, tick=False):
        company, _, _ = two_crossing_on_day("globex")
        run_daily_evaluation(company, DAY)
        sender.send_due_nudges()

    failed = lines(caplog, "notifications.sender")[:5]
    assert {event for event, _ in failed} == {"nudge_attempt_failed"}
    assert {(f["company"], f["attempt"], f["status"], f["error"]) for _, f in failed} == {
        ("globex", "1", "pending", "AnymailAPIError")}
