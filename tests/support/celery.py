"""
Real Celery worker and beat processes for end-to-end tests (pytest-celery needs Docker, which
does not run here).

    # in your tests package's conftest.py, to make the fixture available there:
    from tests.support.celery import celery_processes  # noqa: F401

    @pytest.mark.celery
    @pytest.mark.django_db(transaction=True)
    def test_something(celery_processes):
        ...create data (committed: transaction=True, so the subprocesses see it)...
        celery_processes.start(worker=True, beat=True, env={"PROGRESS_EVALUATION_HOUR": "0"})
        wait_until(lambda: Model.objects.exists(), timeout=60)

`start()` launches `celery -A optify worker` (solo pool) and, with beat=True, `celery -A optify
beat` as subprocesses of this test run, pointed at:
- the *test* database: DATABASE_URL is rebuilt from the live test connection's settings,
  so the processes read and write what the test sees (use transactional tests);
- a Redis database of its own: REDIS_URL from the environment with its DB number replaced
  by `redis_db` (each part of the suite uses its own number so parallel runs never share a
  queue), flushed before the processes start;
- OPTIFY_BEAT_EVERY_SECONDS (default 2), which shortens beat's hourly tick.
Extra environment (e.g. settings read from the environment) goes in `env`. It waits until the
worker logs "ready", and stops every process it started (SIGTERM, then SIGKILL) when the
test ends, before the test database is flushed. Their logs are in `celery_processes.logs`
and are printed when a wait times out. Skips the test when REDIS_URL is not set.
"""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest

ROOT = Path(__file__).resolve().parents[2]


def database_url_for_test_db():
    """A DATABASE_URL for the test database the current test is connected to."""
    from django.db import connection

    s = connection.settings_dict
    auth = quote(s["USER"] or "")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"])
    host = s["HOST"] or "localhost"
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgres://{auth}@{host}{port}/{s['NAME']}"


def redis_url_for(db):
    base = os.environ.get("REDIS_URL", "")
    if not base:
        return ""
    return re.sub(r"(/\d+)?$", f"/{db}", base, count=1)


def wait_until(predicate, *, timeout=60, interval=0.25, on_timeout=None):
    """Poll `predicate()` until it is truthy (returned) or `timeout` seconds pass (fail)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            detail = on_timeout() if on_timeout else ""
            pytest.fail(f"condition not met within {timeout}s\n{detail}")
        time.sleep(interval)


def stop_processes(processes):
    """SIGTERM each (process, log handle) pair's process group, then SIGKILL what lingers."""
    for process, _handle in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process, handle in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        handle.close()


class CeleryProcesses:
    def __init__(self, tmp_path, redis_db):
        self.tmp_path = tmp_path
        self.redis_db = redis_db
        self.processes = []
        self.logs = []

    def _env(self, env):
        full = dict(os.environ)
        full.update(
            DJANGO_SETTINGS_MODULE="optify.settings",
            DATABASE_URL=database_url_for_test_db(),
            REDIS_URL=redis_url_for(self.redis_db),
            OPTIFY_BEAT_EVERY_SECONDS="2",
            CONN_MAX_AGE="0",
            PYTHONPATH=str(ROOT),
            PYTHONUNBUFFERED="1",
        )
        full.update(env or {})
        return full

    def _spawn(self, name, args, env):
        log = self.tmp_path / f"celery-{name}.log"
        handle = log.open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "optify", *args],
            cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT,
            start_new_session=True,  # so that stop() can signal the process group
        )
        self.processes.append((process, handle))
        self.logs.append(log)
        return log

    def log_text(self):
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-4000:]}"
                         for p in self.logs if p.exists())

    def start(self, *, worker=True, workers=1, beat=False, env=None, ready_timeout=60):
        """Start `workers` worker processes and optionally beat; wait until workers are ready."""
        import redis

        full_env = self._env(env)
        redis.Redis.from_url(full_env["REDIS_URL"]).flushdb()
        worker_logs = []
        for n in range(workers if worker else 0):
            worker_logs.append(self._spawn(f"worker{n}", [
                "worker", "--pool=solo", "--loglevel=INFO", f"--hostname=test{n}@%h",
                "--without-gossip", "--without-mingle", "--without-heartbeat",
            ], full_env))
        for log in worker_logs:
            wait_until(lambda log=log: b"ready." in log.read_bytes(), timeout=ready_timeout,
                       on_timeout=self.log_text)
        if beat:
            self._spawn("beat", [
                "beat", "--loglevel=INFO", f"--schedule={self.tmp_path / 'beat-schedule'}",
                f"--pidfile={self.tmp_path / 'beat.pid'}",
            ], full_env)
        return self

    def stop(self):
        stop_processes(self.processes)
        self.processes = []


@pytest.fixture
def celery_processes(transactional_db, tmp_path, request):
    """
    A CeleryProcesses starter (see the module docstring). The Redis DB number comes from a
    `@pytest.mark.celery(redis_db=N)` marker, else 1.
    """
    if not os.environ.get("REDIS_URL"):
        pytest.skip("REDIS_URL is not set: no Redis to run Celery against")
    marker = request.node.get_closest_marker("celery")
    redis_db = (marker.kwargs.get("redis_db") if marker else None) or 1
    processes = CeleryProcesses(tmp_path, redis_db)
    yield processes
    processes.stop()
