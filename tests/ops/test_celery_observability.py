"""
A real Celery worker against Redis, as deployed: in multiprocess metrics mode, logging JSON.
The tick is published the way beat publishes it, through the app, with a run id bound; the
worker's evaluation, its outbox and the sender it queues all log under that run id, and
/metrics, reading the worker's metric files, counts what the worker did.
"""

import datetime as dt
import json

import pytest
from aiosmtpd.controller import Controller

from engagements.models import Engagement
from notifications.models import Nudge
from optify import logs
from optify.celery import app
from tests import factories
from tests.notifications.smtp import Inbox, free_port
from tests.ops.test_metrics import TOKEN, scrape, value
from tests.support.celery import redis_url_for, wait_until
from tracking.evaluation import Cause, evaluate_engagement

OURS = {"tracking.daily", "notifications.outbox", "notifications.sender", "optify.tasks"}


def json_lines(path):
    """Every log line the worker wrote through logging, parsed (the banner is printed)."""
    return [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]


@pytest.mark.celery(redis_db=3)
@pytest.mark.django_db(transaction=True)
def test_a_worker_logs_json_under_the_ticks_run_id_and_exposes_its_metrics(
    celery_processes, tmp_path, settings, client
):
    # The worker reads the real clock: launched 60 days ago with T = 21, off track today.
    company = factories.CompanyFactory(slug="observed", timezone="UTC")
    engagement = factories.EngagementFactory(
        company=company, template__tracking_threshold_days=21,
        started_on=company.local_today() - dt.timedelta(days=60))
    engagement = Engagement.objects.select_related("company").get(pk=engagement.pk)
    evaluate_engagement(engagement, cause=Cause.LAUNCH, today=engagement.started_on)

    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    try:
        celery_processes.start(workers=1, env={
            "PROGRESS_EVALUATION_HOUR": "0", "SMTP_URL": f"smtp://127.0.0.1:{smtp.port}",
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir), "LOG_FORMAT": "json",
        })
        token = logs.bind("tick-0123456789")
        try:
            with app.connection_for_write(redis_url_for(3)) as connection:
                app.send_task("tracking.tasks.schedule_daily_evaluations",
                              connection=connection)
        finally:
            logs.unbind(token)
        wait_until(lambda: Nudge.objects.filter(status="sent").count() == 3, timeout=90,
                   on_timeout=celery_processes.log_text)
        celery_processes.stop()
    finally:
        smtp.stop()

    lines = json_lines(celery_processes.logs[0])
    assert any(line["event"].endswith("ready.") for line in lines)
    ours = [line for line in lines if line["logger"] in OURS]
    assert [line["event"] for line in ours] == [
        # The outbox is written inside the run's transaction, the run logged once committed.
        "evaluation_scheduled", "outbox_built", "outbox_run", "evaluation_run"] + [
        "nudge_sent"] * 3 + [
        "nudges_sent", "nudges_run"]
    assert {line["run_id"] for line in ours} == {"tick-0123456789"}
    assert all({"time", "level", "logger", "event"} <= set(line) for line in lines)
    run = next(line for line in ours if line["event"] == "evaluation_run")
    assert (run["company"], run["evaluated"], run["off_track"], run["dry_run"]) == (
        "observed", 1, 1, False)

    # The worker's counters, read from its files by the web's /metrics.
    settings.METRICS_TOKEN = TOKEN
    settings.PROMETHEUS_MULTIPROC_DIR = str(metrics_dir)
    samples = scrape(client)
    assert value(samples, "optify_evaluation_runs_total", plan="standard") == 1
    assert value(samples, "optify_evaluation_duration_seconds_count", plan="standard") == 1
    assert value(samples, "optify_engagements_evaluated_total", plan="standard",
                 progress="off_track") == 1
    assert value(samples, "optify_progress_transitions_total", from_status="on_track",
                 to_status="off_track", cause="daily") == 1
    for role in ("coachee", "coach", "administrator"):
        assert value(samples, "optify_nudges_total", role=role, outcome="queued") == 1
        assert value(samples, "optify_nudges_total", role=role, outcome="sent") == 1
    assert value(samples, "optify_outbox_due_nudges") == 0
    assert len(inbox.messages) == 3
