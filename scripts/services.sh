#!/usr/bin/env bash
# Throwaway PostgreSQL and Redis on loopback, for the test suite and for benchmarks.
#
#   scripts/services.sh start DIR   start both, write DIR/env (DATABASE_URL, REDIS_URL)
#   scripts/services.sh stop DIR    stop both and delete DIR
#
# With OPTIFY_REPLICA=1, `start` also starts a streaming replica of the PostgreSQL server on
# another loopback port — PostgreSQL's own physical replication, copied with pg_basebackup
# from the primary just started (a second or two: the cluster is nearly empty) — and adds
# DATABASE_REPLICA_URLS to DIR/env. Everything created on the primary afterwards (the test
# database included) streams to it.
#
# OPTIFY_PG_SHARED_BUFFERS sets PostgreSQL's shared_buffers (default 128MB, PostgreSQL's own,
# enough for the tests). The benchmarks at 1,000,000 engagements want what a production server
# of that size has, the whole database in memory: OPTIFY_PG_SHARED_BUFFERS=2GB (docs/benchmarks.md).
#
# PostgreSQL's initdb refuses to run as root, so as root the cluster belongs to the
# unprivileged `postgres` user. Durability is off: the data is thrown away anyway.
set -euo pipefail

cmd=${1:?start|stop}
dir=${2:?directory}

as_root() { [ "$(id -u)" = 0 ]; }

ensure_debian_packages() {
    local missing=()
    command -v redis-server >/dev/null || missing+=(redis-server)
    ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
    [ ${#missing[@]} -eq 0 ] && return 0
    if as_root && command -v apt-get >/dev/null; then
        echo "Installing ${missing[*]} (Debian packages)..."
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "error: ${missing[*]} missing. Install them (Debian: apt-get install ${missing[*]}) or run as root." >&2
        exit 1
    fi
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
    ensure_debian_packages
    local pgbin
    pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    mkdir -p "$dir"
    local pgport redisport run=()
    pgport=$(free_port)
    redisport=$(free_port)
    if as_root; then
        chown postgres "$dir"
        run=(runuser -u postgres --)
    fi
    "${run[@]}" "$pgbin/initdb" -D "$dir/pg" -U optify -A trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    "${run[@]}" "$pgbin/pg_ctl" -D "$dir/pg" -l "$dir/pg.log" -w -o \
        "-p $pgport -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c shared_buffers=${OPTIFY_PG_SHARED_BUFFERS:-128MB}" \
        start >/dev/null
    "${run[@]}" "$pgbin/createdb" -h 127.0.0.1 -p "$pgport" -U optify optify
    redis-server --port "$redisport" --bind 127.0.0.1 --save '' --appendonly no \
        --daemonize yes --dir "$dir" --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
    cat >"$dir/env" <<ENV
export DATABASE_URL=postgres://optify@127.0.0.1:$pgport/optify
export REDIS_URL=redis://127.0.0.1:$redisport/0
export OPTIFY_PG_BIN=$pgbin
export OPTIFY_PG_DATA=$dir/pg
export OPTIFY_SERVICES_DIR=$dir
ENV
    if [ "${OPTIFY_REPLICA:-0}" = 1 ]; then
        start_replica "$pgbin" "$pgport"
    fi
    chmod a+r "$dir/env"
    echo "PostgreSQL on 127.0.0.1:$pgport, Redis on 127.0.0.1:$redisport"
}

# A hot standby of the primary on 127.0.0.1:PORT2: initdb's default pg_hba.conf already trusts
# replication connections from loopback, and wal_level=replica is the default.
start_replica() {
    local pgbin=$1 pgport=$2 replicaport run=()
    as_root && run=(runuser -u postgres --)
    replicaport=$(free_port)
    "${run[@]}" "$pgbin/pg_basebackup" -h 127.0.0.1 -p "$pgport" -U optify -D "$dir/replica" \
        --write-recovery-conf --wal-method=stream --checkpoint=fast >"$dir/basebackup.log" 2>&1 \
        || { cat "$dir/basebackup.log" >&2; exit 1; }
    # In its own configuration, so that a plain `pg_ctl start` (tests stop and start it) works.
    cat >>"$dir/replica/postgresql.conf" <<CONF
port = $replicaport
unix_socket_directories = '$dir'
listen_addresses = '127.0.0.1'
hot_standby = on
fsync = off
max_connections = 200
CONF
    "${run[@]}" "$pgbin/pg_ctl" -D "$dir/replica" -l "$dir/replica.log" -w start >/dev/null
    cat >>"$dir/env" <<ENV
export DATABASE_REPLICA_URLS=postgres://optify@127.0.0.1:$replicaport/optify
export OPTIFY_PG_REPLICA_DATA=$dir/replica
ENV
    echo "PostgreSQL streaming replica on 127.0.0.1:$replicaport"
}

stop() {
    [ -d "$dir" ] || return 0
    local pgbin run=()
    as_root && run=(runuser -u postgres --)
    if [ -f "$dir/env" ]; then
        pgbin=$(grep OPTIFY_PG_BIN "$dir/env" | cut -d= -f2)
        if [ -d "$dir/replica" ]; then
            "${run[@]}" "$pgbin/pg_ctl" -D "$dir/replica" -m immediate stop >/dev/null 2>&1 || true
        fi
        "${run[@]}" "$pgbin/pg_ctl" -D "$dir/pg" -m immediate stop >/dev/null 2>&1 || true
    fi
    [ -f "$dir/redis.pid" ] && kill "$(cat "$dir/redis.pid")" 2>/dev/null || true
    # A process that is still exiting (the server's last writes, a test's worker) can add a
    # file while rm walks the directory: try again rather than fail a run whose tests passed.
    local attempt
    for attempt in 1 2 3 4 5; do
        rm -rf "$dir" 2>/dev/null && return 0
        sleep 1
    done
    rm -rf "$dir"
}

"$cmd"
