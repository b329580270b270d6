"""docs/operations.md shows what is shipped, not a copy that drifts."""

from pathlib import Path

from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]


def test_the_guide_quotes_the_shipped_alert_rules_verbatim():
    guide = (ROOT / "docs" / "operations.md").read_text()
    rules = (ROOT / "ops" / "prometheus" / "alerts.yml").read_text()
    assert f"```yaml\n{rules}```" in guide


def test_the_guide_names_every_series_and_health_key_and_the_readme_links_it():
    guide = (ROOT / "docs" / "operations.md").read_text()
    for name in [
        "optify_evaluation_runs_total", "optify_evaluation_duration_seconds",
        "optify_engagements_evaluated_total", "optify_progress_transitions_total",
        "optify_nudges_total", "optify_celery_task_failures_total",
        "optify_http_request_duration_seconds", "optify_outbox_oldest_due_age_seconds",
        "optify_outbox_due_nudges", "optify_health_problems",
        '<a id="late_evaluations">', '<a id="stuck_outbox">', '<a id="failed_nudges">',
        '<a id="stuck_webhooks">', '<a id="failing_webhooks">',
        '<a id="failing_calendar_feeds">', '<a id="unread_calendar_feeds">',
    ]:
        assert name in guide, name
    assert "(docs/operations.md)" in (ROOT / "README.md").read_text()
    assert reverse("metrics") == "/metrics"
