#!/usr/bin/env bash
# `make test`: the whole suite on a throwaway PostgreSQL and Redis started here, on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."

# The browser tests drive Debian's Chromium (Playwright's own download does not work here).
if [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "Installing Debian's chromium for the browser tests..."
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "error: /usr/bin/chromium is missing. Install Debian's chromium (apt-get install chromium)." >&2
        exit 1
    fi
fi

services=$(mktemp -d /tmp/optify-test.XXXXXX)
trap 'scripts/services.sh stop "$services"' EXIT
# With a streaming replica beside the primary: tests/foundation/test_replicas.py reads from it.
OPTIFY_REPLICA=1 scripts/services.sh start "$services"
# shellcheck disable=SC1091
source "$services/env"
export OPTIFY_VAR_DIR="$services/var"
.venv/bin/ruff check .
.venv/bin/python manage.py makemigrations --check --dry-run >/dev/null \
    || { echo "error: models changed without a migration (run manage.py makemigrations)" >&2; exit 1; }
.venv/bin/pytest "$@"
