"""
PostgreSQL restarted while a worker is in the middle of the daily evaluation: the task retries
(autoretry with backoff on OperationalError/InterfaceError), reconnects, and completes once.

The restart must not touch the suite's shared server, so this test starts a throwaway cluster
and Redis of its own (scripts/services.sh), migrates it, and runs the worker against it.
"""

import os
import subprocess
import sys
import tempfile

import psycopg
import pytest
from celery import Celery

from tests.faults.conftest import Stack
from tests.support.celery import ROOT, wait_until

pytestmark = pytest.mark.celery


class Cluster:
    def __init__(self):
        self.directory = tempfile.mkdtemp(prefix="optify-faults-pg-")
        self.services(["start"])
        env = {}
        with open(os.path.join(self.directory, "env")) as exported:
            text = exported.read()
        for line in text.splitlines():
            name, _, value = line.removeprefix("export ").partition("=")
            env[name] = value
        self.database_url, self.redis_url = env["DATABASE_URL"], env["REDIS_URL"]
        # -l: the restarted server must not inherit our pipes (run() would wait on them).
        self.pg_ctl = [os.path.join(env["OPTIFY_PG_BIN"], "pg_ctl"), "-D", env["OPTIFY_PG_DATA"],
                       "-l", os.path.join(self.directory, "pg.log")]
        if os.getuid() == 0:  # the cluster belongs to `postgres` (initdb refuses root)
            self.pg_ctl = ["runuser", "-u", "postgres", "--", *self.pg_ctl]

    def services(self, args):
        subprocess.run([str(ROOT / "scripts/services.sh"), *args, self.directory], check=True,
                       stdout=subprocess.DEVNULL, timeout=120)

    def manage(self, *args):
        return subprocess.run(
            [sys.executable, *args], cwd=ROOT, check=True, capture_output=True, text=True,
            env={**os.environ, "DATABASE_URL": self.database_url, "REDIS_URL": self.redis_url,
                 "DJANGO_SETTINGS_MODULE": "optify.settings", "PYTHONPATH": str(ROOT)},
        ).stdout

    def restart(self):
        subprocess.run([*self.pg_ctl, "-m", "fast", "-w", "restart"], check=True, timeout=60,
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)

    def query(self, sql):
        with psycopg.connect(self.database_url) as connection:
            return connection.execute(sql).fetchall()

    def stop(self):
        self.services(["stop"])


@pytest.fixture
def cluster():
    cluster = Cluster()
    yield cluster
    cluster.stop()


def test_postgres_restarted_mid_evaluation_the_task_retries_and_completes_once(
    cluster, tmp_path
):
    cluster.manage("manage.py", "migrate", "--noinput", "-v0")
    company_id, day = cluster.manage("-m", "tests.faults.seed_cluster").split()
    marker, release = tmp_path / "paused", tmp_path / "release"
    # The production connection setting (persistent connections with health checks), so the
    # test shows a dead persistent connection is replaced, not only a per-task one.
    stack = Stack(tmp_path, cluster.redis_url, database_url=cluster.database_url)
    try:
        stack.worker("worker", env={
            "CONN_MAX_AGE": "60", "OPTIFY_FAULT_PAUSE_AT": "evaluation_committing",
            "OPTIFY_FAULT_MARKER": str(marker), "OPTIFY_FAULT_RELEASE": str(release),
        })
        client = Celery(broker=cluster.redis_url)
        client.send_task("tracking.tasks.evaluate_company", args=[int(company_id), day])
        client.close()
        wait_until(marker.exists, timeout=60, on_timeout=stack.log_text)

        # In the middle of the run's transaction, the server restarts under the worker.
        cluster.restart()
        marker.unlink()
        release.touch()  # the hook pauses every attempt until this exists: let them all go

        wait_until(lambda: cluster.query("SELECT count(*) FROM tracking_evaluationrun")[0][0],
                   timeout=60, on_timeout=stack.log_text)
        # The run's line is written after its commit: wait for it, not for luck.
        wait_until(lambda: "evaluation_run company=restartco" in
                   stack.logs["worker"].read_text(), timeout=60, on_timeout=stack.log_text)
        log = stack.logs["worker"].read_text()
    finally:
        stack.stop()

    assert "Retry in" in log  # the first attempt failed on the restart and was retried
    assert "evaluation_run company=restartco" in log
    [(off_track, transitions)] = cluster.query(
        "SELECT off_track, transitions_count FROM tracking_evaluationrun")
    assert (off_track, transitions) == (2, 2)
    assert cluster.query(
        "SELECT progress, count(*) FROM engagements_engagement GROUP BY 1 ORDER BY 1"
    ) == [("off_track", 2), ("on_track", 1)]
    assert cluster.query(
        "SELECT count(*) FROM tracking_progresstransition WHERE cause = 'daily'") == [(2,)]
    assert cluster.query("SELECT count(*) FROM notifications_nudge") == [(5,)]
