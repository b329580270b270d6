"""
Reads from PostgreSQL read replicas (docs/scaling.md), for the pages that only read.

`DATABASE_REPLICA_URLS` (settings) adds one database alias per replica (`replica0`, …).
`REPLICA_READABLE_VIEWS` names, in one place, the views whose reads may go to a replica: the
Report, its export and the API's lists. Everything else — every write, every page that
writes, the jobs, the commands — reads and writes the primary (`default`), as before.

A read of a replica-readable request goes to a replica only when all of these hold:

- the request is a GET or HEAD, and its browser has not changed anything in the last
  `READ_YOUR_WRITES_SECONDS` (a cookie set on the answer to every POST, PUT, PATCH, DELETE:
  who just ended an engagement sees it ended on the report, whatever the replica's delay);
- the primary's connection is not inside a transaction (whatever it wrote is not visible
  elsewhere before its commit);
- the replica answers, and is behind the primary by at most `REPLICA_MAX_LAG_SECONDS`.

The replica is chosen once per request, at its first read, so that one page never mixes two
snapshots of different ages. A replica that is down or lagging costs the request one failed
check (a `connect_timeout` of 2 s at worst); its reads then go to the primary and nothing
fails. A replica that dies in the middle of a request fails that request, as the primary
would.

Sessions are always read from the primary: the session a sign-in just created may not have
reached a replica yet.
"""

import logging
import random
from contextvars import ContextVar

from django.conf import settings
from django.db import connections

logger = logging.getLogger(__name__)

COOKIE = "optify_wrote"
PRIMARY = "default"
# Read from the primary only: tables written on the way through a request.
PRIMARY_ONLY_APPS = frozenset({"sessions", "axes"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Reads:
    """Where one request's reads go: undecided until its first read, then one alias."""

    def __init__(self):
        self.alias = None


# Set for the requests that may read from a replica (ReplicaReadsMiddleware), else None.
_reads = ContextVar("optify_replica_reads", default=None)


def replica_lag(alias):
    """
    Seconds by which the replica `alias` is behind the primary: 0 when it has replayed all the
    WAL the primary had written a moment before (everything committed before this call is
    visible there). Otherwise the age of the last transaction it replayed, an upper bound: on
    a primary that was quiet a while and has just written, it overstates the lag, which only
    sends reads to the primary for a moment.
    """
    # The insert position, not the written one: with synchronous_commit off a commit returns
    # before its WAL is written. (At a WAL page's boundary it is a header past the end of the
    # last record: the replica then looks behind until the next record, and is not read.)
    with connections[PRIMARY].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_insert_lsn()")
        primary_lsn = cursor.fetchone()[0]
    with connections[alias].cursor() as cursor:
        cursor.execute(
            "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn,"
            " EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())",
            [primary_lsn],
        )
        caught_up, age = cursor.fetchone()
    return 0.0 if caught_up else float(age if age is not None else "inf")


def usable_replica():
    """A replica that answers and is recent enough, or None (then reads use the primary)."""
    aliases = list(settings.REPLICA_DATABASES)
    random.shuffle(aliases)  # spread the web processes over the replicas
    for alias in aliases:
        try:
            lag = replica_lag(alias)
        except Exception:  # down, refusing, not a replica of ours: any failure means "not now"
            logger.warning("replica_unavailable", extra={"alias": alias}, exc_info=True)
            connections[alias].close()
            continue
        if lag <= settings.REPLICA_MAX_LAG_SECONDS:
            return alias
        logger.info("replica_lagging", extra={"alias": alias, "lag_seconds": lag})
    return None


class ReplicaRouter:
    """Reads of replica-readable requests to a usable replica; everything else to the primary."""

    def db_for_read(self, model, **hints):
        reads = _reads.get()
        if reads is None or model._meta.app_label in PRIMARY_ONLY_APPS:
            return PRIMARY
        if connections[PRIMARY].in_atomic_block:
            return PRIMARY
        if reads.alias is None:
            reads.alias = usable_replica() or PRIMARY
        return reads.alias

    def db_for_write(self, model, **hints):
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replicas hold the primary's data

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY


def _within(reads, chunks):
    """A streamed answer's chunks, produced with the request's reads routed as in the view."""
    iterator = iter(chunks)
    while True:
        token = _reads.set(reads)
        try:
            chunk = next(iterator)
        except StopIteration:
            return
        finally:
            _reads.reset(token)
        yield chunk


class ReplicaReadsMiddleware:
    """
    Marks the requests of `REPLICA_READABLE_VIEWS` as readable from a replica (see the module's
    docstring), and the browsers that just wrote as not, for `READ_YOUR_WRITES_SECONDS`.
    Does nothing without replicas.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not settings.REPLICA_DATABASES:
            return self.get_response(request)
        token = _reads.set(None)
        try:
            response = self.get_response(request)
            reads = _reads.get()
        finally:
            _reads.reset(token)
        if request.method not in SAFE_METHODS and response.status_code < 500:
            response.set_cookie(
                COOKIE, "1", max_age=settings.READ_YOUR_WRITES_SECONDS, httponly=True,
                samesite="Lax", secure=request.is_secure(),
            )
        if reads is not None and response.streaming:
            response.streaming_content = _within(reads, response.streaming_content)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if (settings.REPLICA_DATABASES and request.method in ("GET", "HEAD")
                and COOKIE not in request.COOKIES
                and request.resolver_match.view_name in settings.REPLICA_READABLE_VIEWS):
            _reads.set(Reads())
