"""
Real servers for the fault tests: a Redis server of their own (so that stopping it disturbs no
one), Celery workers and beat that can be killed one by one, gunicorn, and an SMTP catcher.
Every process is stopped when its test ends, pass or fail.
"""

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import redis
from aiosmtpd.controller import Controller

from tests.notifications.smtp import Inbox, free_port
from tests.support.celery import ROOT, database_url_for_test_db, stop_processes, wait_until

HOOKS = "tests.faults.hooks"


class RedisServer:
    """redis-server on a free loopback port, without persistence; stop() and start() again."""

    def __init__(self, directory):
        self.directory = Path(directory)
        self.port = free_port()

    def url(self, db=0):
        return f"redis://127.0.0.1:{self.port}/{db}"

    def _ping(self):
        try:
            return redis.Redis(port=self.port, socket_connect_timeout=0.5).ping()
        except redis.ConnectionError:
            return False

    def start(self):
        subprocess.run([
            "redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--daemonize", "yes", "--dir", str(self.directory),
            "--pidfile", str(self.directory / "redis.pid"),
            "--logfile", str(self.directory / "redis.log"),
        ], check=True)
        wait_until(self._ping, timeout=10)

    def stop(self):
        pidfile = self.directory / "redis.pid"
        if pidfile.exists():
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pidfile.read_text()), signal.SIGKILL)
            pidfile.unlink(missing_ok=True)
        wait_until(lambda: not self._ping(), timeout=10)


class Stack:
    """
    Named subprocesses (workers, beat, gunicorn) of this test, pointed at the test database and
    at `redis_url`. `kill(name)` is SIGKILL, as an out-of-memory killer or a lost machine would;
    `stop()` ends whatever is left (SIGTERM, then SIGKILL).
    """

    def __init__(self, tmp_path, redis_url, database_url=None):
        self.tmp_path = tmp_path
        self.redis_url = redis_url
        self.database_url = database_url
        self.processes = {}
        self.logs = {}

    def env(self, extra=None):
        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE="optify.settings",
            DATABASE_URL=self.database_url or database_url_for_test_db(),
            REDIS_URL=self.redis_url,
            OPTIFY_BEAT_EVERY_SECONDS="2",
            CONN_MAX_AGE="0",
            PYTHONPATH=str(ROOT),
            PYTHONUNBUFFERED="1",
            OPTIFY_VAR_DIR=str(self.tmp_path / "var"),
        )
        env.pop("TEST_DATABASE_NAME", None)
        env.update(extra or {})
        return env

    def spawn(self, name, args, env=None):
        log = self.tmp_path / f"{name}.log"
        handle = log.open("ab")
        self.processes[name] = (subprocess.Popen(
            args, cwd=ROOT, env=self.env(env), stdout=handle, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill() reaches its children
        ), handle)
        self.logs[name] = log
        return log

    def worker(self, name, env=None, ready=True):
        log = self.spawn(name, [
            sys.executable, "-m", "celery", "-A", "optify", "worker", "--pool=solo",
            "--loglevel=INFO", f"--hostname={name}@%h", "-I", HOOKS,
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ], env)
        if ready:
            wait_until(lambda: b"ready." in log.read_bytes(), timeout=60,
                       on_timeout=self.log_text)
        return log

    def beat(self, env=None):
        return self.spawn("beat", [
            sys.executable, "-m", "celery", "-A", "optify", "beat", "--loglevel=INFO",
            f"--schedule={self.tmp_path / 'beat-schedule'}",
            f"--pidfile={self.tmp_path / 'beat.pid'}",
        ], env)

    def gunicorn(self, env=None):
        port = free_port()
        self.spawn("gunicorn", [
            sys.executable, "-m", "gunicorn", "optify.wsgi", "--bind", f"127.0.0.1:{port}",
            "--workers", "1", "--timeout", "60",
        ], {"DEBUG": "true", **(env or {})})  # plain HTTP, static files served as they are

        def up():
            try:
                import urllib.request

                urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/sign-in/", timeout=2)
                return True
            except OSError:
                return False

        wait_until(up, timeout=60, on_timeout=self.log_text)
        return f"http://127.0.0.1:{port}"

    def kill(self, name):
        process, handle = self.processes.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        handle.close()

    def log_text(self):
        return "\n".join(f"--- {name}\n{log.read_text(errors='replace')[-5000:]}"
                         for name, log in self.logs.items() if log.exists())

    def stop(self):
        stop_processes(list(self.processes.values()))
        self.processes = {}


@pytest.fixture
def redis_server():
    directory = tempfile.mkdtemp(prefix="optify-faults-redis-")
    server = RedisServer(directory)
    server.start()
    yield server
    server.stop()
    subprocess.run(["rm", "-rf", directory], check=False)


@pytest.fixture
def stack(transactional_db, tmp_path, redis_server):
    """Processes against the test database (transactional: they see what the test commits)."""
    processes = Stack(tmp_path, redis_server.url())
    yield processes
    processes.stop()  # before the test database is flushed


@pytest.fixture
def smtp_inbox():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.port = controller.port
    yield inbox
    controller.stop()


def recipients(inbox):
    return sorted(to for tos, _ in inbox.messages for to in tos)


def settle(seconds):
    """Let beat tick a few more times (every 2 s) so that anything done twice would show."""
    time.sleep(seconds)
