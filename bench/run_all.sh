#!/usr/bin/env bash
# Seeds the benchmark data set and runs every benchmark, in one command:
#
#   bench/run_all.sh                      # 1,000,000 engagements (200,000 in bench-big)
#   bench/run_all.sh --engagements 100000 # a quicker data set of its own (optify_bench_100000)
#   bench/run_all.sh --reseed             # seed again even if the database is there
#
# Uses the PostgreSQL of $DATABASE_URL (e.g. `source /tmp/optify-dev/env`), or starts a
# throwaway one with scripts/services.sh under /tmp/optify-bench, shared_buffers 2 GB (left
# running, for the next run; `scripts/services.sh stop /tmp/optify-bench` removes it). Every script runs with
# production-like settings (bench/seed.py's PRODUCTION_LIKE: DEBUG off, collectstatic) and
# prints the load average with its figures. The whole output is also written to
# var/bench-<date>.log. Needs `wrk` for the load test (Debian package).
set -euo pipefail
cd "$(dirname "$0")/.."

engagements=1000000
reseed=0
while [ $# -gt 0 ]; do
    case "$1" in
        --engagements) engagements=$2; shift 2 ;;
        --reseed) reseed=1; shift ;;
        *) echo "usage: $0 [--engagements N] [--reseed]" >&2; exit 2 ;;
    esac
done

[ -x .venv/bin/python ] || make .venv/.installed
if [ -z "${DATABASE_URL:-}" ]; then
    if [ ! -f /tmp/optify-bench/env ]; then
        # The 1,000,000 database (1.5 GB) in PostgreSQL's memory, as on a production server
        # of that size; the default 128 MB reads and writes back pages mid-statement.
        OPTIFY_PG_SHARED_BUFFERS=${OPTIFY_PG_SHARED_BUFFERS:-2GB} scripts/services.sh start /tmp/optify-bench
    fi
    # shellcheck disable=SC1091
    source /tmp/optify-bench/env
fi
name=optify_bench
[ "$engagements" = 1000000 ] || name=optify_bench_$engagements
url=${DATABASE_URL%/*}/$name
PY=.venv/bin/python
mkdir -p var
log=var/bench-$(date -u +%Y%m%d-%H%M).log

{
    echo "== $(date -u '+%F %T') UTC, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), database $name"
    seeded=$($PY - "$url" <<'PYTHON' || echo 0
import sys, psycopg
try:
    with psycopg.connect(sys.argv[1]) as conn:
        print(conn.execute("SELECT count(*) FROM engagements_engagement").fetchone()[0])
except Exception:
    print(0)
PYTHON
)
    if [ "$reseed" = 1 ] || [ "$seeded" != "$engagements" ]; then
        $PY bench/seed.py --engagements "$engagements" --database-url "$url"
    else
        echo "seeded already: $seeded engagements"
        DATABASE_URL=$url $PY manage.py migrate --noinput -v0
    fi
    echo "== Engagements page";   $PY bench/bench_list.py --database-url "$url"
    echo "== Report";             $PY bench/bench_report.py --database-url "$url"
    echo "== People";             DATABASE_URL=$url $PY bench/bench_people.py
    echo "== Billing";            $PY bench/bench_billing.py --database-url "$url"
    echo "== Progress tracking";  $PY bench/bench_tracking.py --database-url "$url"
    echo "== Pauses";             $PY bench/bench_pauses.py --database-url "$url"
    echo "== Nudges (own data set)"; $PY bench/bench_nudges.py
    echo "== Connected calendars (own data set)"; $PY bench/bench_calendars.py --database-url "$url"
    echo "== Load test";          $PY bench/load.py --database-url "$url"
    echo "== done $(date -u '+%F %T') UTC, load $(cut -d' ' -f1-3 /proc/loadavg)"
} 2>&1 | tee "$log"
