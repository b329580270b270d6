"""The project as ops and CI see it: migrations, deploy checks, the demo data."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import Company, User
from engagements.models import Engagement

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args, env=None):
    # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE in this process (Playwright's sync API
    # beside live_server); a deployment never has it, so the subprocess must not inherit it.
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, capture_output=True, text=True,
        env={**base, **(env or {})}, timeout=120,
    )


def test_models_and_migrations_agree():
    result = run_manage("makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr


def test_deploy_check_is_clean_with_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env={
        "SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghijklmnop",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "optify.example.com",
        "SITE_URL": "https://optify.example.com",
        "ANYMAIL_BACKEND": "anymail.backends.postmark.EmailBackend",
        "ANYMAIL_OPTIONS": '{"server_token": "test-token"}',
    })
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_healthz_reports_the_database(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


def test_healthz_with_the_broker_down_is_degraded_not_down(client, db, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/healthz")
    assert response.status_code == 200  # pages still work: stay in the load balancer
    assert response.json() == {"status": "degraded", "database": "ok",
                               "broker": "error: ConnectionError"}


@pytest.mark.django_db
def test_seed_demo_runs_twice_without_duplicating(capsys):
    call_command("seed_demo", engagements=20)
    counts = (Company.objects.count(), User.objects.count(), Engagement.objects.count())
    output = capsys.readouterr().out
    assert "admin@northwind.example" in output
    call_command("seed_demo", engagements=20)
    assert (Company.objects.count(), User.objects.count(), Engagement.objects.count()) == counts
    # Every state is represented.
    statuses = set(Engagement.objects.values_list("status", flat=True))
    assert {"active", "completed", "ended_early"} <= statuses
    progress = set(Engagement.objects.values_list("progress", flat=True))
    assert {"on_track", "off_track", "not_tracked"} <= progress


def test_navigation_marks_only_the_page_being_shown(client_for, global_admin):
    response = client_for(global_admin).get(reverse("reports:billing"))
    current = [item["label"] for item in response.context["navigation"] if item["current"]]
    assert current == ["Billing"]
    response = client_for(global_admin).get(reverse("engagements:list"))
    current = [item["label"] for item in response.context["navigation"] if item["current"]]
    assert current == ["Engagements"]
