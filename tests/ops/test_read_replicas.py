"""
Reads from a real PostgreSQL streaming replica (optify/replicas.py): `make test` starts one
beside the primary (scripts/services.sh, OPTIFY_REPLICA=1) and sets DATABASE_REPLICA_URLS.

To tell which server answered, the replica is made stale on purpose: its replay is paused, a
coachee is renamed on the primary, and the page shows either name. Then the replica is made
lagging (any unreplayed WAL is too much) and down (stopped): the pages answer from the primary.
"""

import csv
import io
import os
import subprocess
import time
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.db import connections
from django.urls import reverse

from accounts.models import User
from optify import replicas
from optify.replicas import ReplicaRouter, replica_lag

pytestmark = [
    pytest.mark.skipif(not settings.REPLICA_DATABASES,
                       reason="no replica (DATABASE_REPLICA_URLS): `make test` starts one"),
    pytest.mark.django_db(transaction=True, databases=["default", "replica0"]),
]

OLD, NEW = "Cole Coachee", "Cole Renamed"


def wait_for_replay(alias="replica0", attempts=200):
    """Until the replica has replayed everything the primary has written (bounded)."""
    for _ in range(attempts):
        if replica_lag(alias) == 0:
            return
        time.sleep(0.05)
    raise AssertionError("the replica did not catch up")


def replica_sql(sql):
    with connections["replica0"].cursor() as cursor:
        cursor.execute(sql)


@contextmanager
def stale_replica(coachee):
    """The replica still says OLD while the primary says NEW."""
    wait_for_replay()
    replica_sql("SELECT pg_wal_replay_pause()")
    try:
        User.objects.filter(pk=coachee.pk).update(full_name=NEW)
        yield
    finally:
        replica_sql("SELECT pg_wal_replay_resume()")
        wait_for_replay()


def pg_ctl(action):
    """Stops or starts the test run's replica server (scripts/services.sh's)."""
    run = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    log = os.path.join(os.environ["OPTIFY_SERVICES_DIR"], "replica.log")
    subprocess.run([*run, f"{os.environ['OPTIFY_PG_BIN']}/pg_ctl", "-D",
                    os.environ["OPTIFY_PG_REPLICA_DATA"], "-l", log, "-w", "-m", "fast", action],
                   check=True, capture_output=True)


@pytest.fixture
def report_client(client_for, global_admin, engagement):
    return client_for(global_admin)


def report_names(client):
    response = client.get(reverse("reports:report"))
    assert response.status_code == 200
    body = response.content.decode()
    return {name for name in (OLD, NEW) if name in body}


def test_the_report_reads_from_the_replica(report_client, coachee, settings):
    settings.REPLICA_MAX_LAG_SECONDS = 3600  # the paused replica is recent enough
    with stale_replica(coachee):
        assert report_names(report_client) == {OLD}


def test_the_export_streams_from_the_replica(report_client, coachee, settings):
    settings.REPLICA_MAX_LAG_SECONDS = 3600
    with stale_replica(coachee):
        response = report_client.get(reverse("reports:export"))
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert OLD in rows[1] and NEW not in rows[1]


def test_pages_that_are_not_marked_read_the_primary(report_client, coachee, settings):
    settings.REPLICA_MAX_LAG_SECONDS = 3600
    with stale_replica(coachee):
        response = report_client.get(reverse("engagements:list"))
    assert NEW in response.content.decode()


def test_who_just_wrote_reads_the_primary(report_client, coachee, settings):
    settings.REPLICA_MAX_LAG_SECONDS = 3600
    with stale_replica(coachee):
        # Any write answered (here: saving a report view) marks the browser for a while.
        response = report_client.post(reverse("reports:save_view"),
                                      {"name": "Mine", "query": "", "view": ""})
        assert response.cookies[replicas.COOKIE]["max-age"] == settings.READ_YOUR_WRITES_SECONDS
        assert report_names(report_client) == {NEW}
        report_client.cookies.pop(replicas.COOKIE)
        assert report_names(report_client) == {OLD}


def test_a_lagging_replica_is_not_read(report_client, coachee, settings):
    settings.REPLICA_MAX_LAG_SECONDS = 0  # any WAL not yet replayed is too much
    with stale_replica(coachee):
        assert replica_lag("replica0") > 0
        assert report_names(report_client) == {NEW}
        response = report_client.get(reverse("reports:export"))
        assert NEW in b"".join(response.streaming_content).decode()


def test_a_replica_that_is_down_is_not_read_and_nothing_fails(report_client, coachee):
    User.objects.filter(pk=coachee.pk).update(full_name=NEW)
    connections["replica0"].close()
    pg_ctl("stop")
    try:
        assert report_names(report_client) == {NEW}
        response = report_client.get(reverse("reports:export"))
        assert response.status_code == 200
        assert NEW in b"".join(response.streaming_content).decode()
    finally:
        pg_ctl("start")
    wait_for_replay()
    assert report_names(report_client) == {NEW}


def test_the_router_keeps_writes_and_migrations_on_the_primary():
    router = ReplicaRouter()
    assert router.db_for_write(User) == "default"
    assert router.allow_migrate("default", "accounts") is True
    assert router.allow_migrate("replica0", "accounts") is False
    # Outside a replica-readable request, reads stay on the primary.
    assert router.db_for_read(User) == "default"
