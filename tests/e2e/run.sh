#!/usr/bin/env bash
# End-to-end suite: real Sentry clients (@sentry/node, python3-sentry-sdk, sentry-cli, raw HTTP)
# against a real `snag serve`. Called by `make test` / scripts/test.sh as
#   SNAG_BIN=/abs/path/to/snag bash tests/e2e/run.sh [test files…]
# Installs the npm packages from package-lock.json when node_modules is missing or stale, then
# runs node's test runner; its closing summary is what CI reads. Exit status non-zero on any
# failure. SNAG_E2E_KEEP=1 keeps the servers' temp directories (logs, databases).
# SNAG_E2E_PG_URL=postgres://… runs it on PostgreSQL (see below).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"

if [ -z "${SNAG_BIN:-}" ]; then
    echo "e2e: SNAG_BIN is not set (absolute path to the snag binary)" >&2
    exit 2
fi
case "$SNAG_BIN" in
    /*) ;;
    *) SNAG_BIN="$PWD/$SNAG_BIN" ;;
esac
if [ ! -x "$SNAG_BIN" ]; then
    echo "e2e: SNAG_BIN=$SNAG_BIN is not an executable file" >&2
    exit 2
fi
export SNAG_BIN

command -v node >/dev/null || { echo "e2e: node is not installed" >&2; exit 2; }
command -v npm >/dev/null || { echo "e2e: npm is not installed" >&2; exit 2; }
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
    echo "e2e: node >= 20 is required (found $(node --version))" >&2
    exit 2
fi

# node_modules is stale when npm's record of the installed tree is absent or older than the
# lockfile, or when the sentry-cli binary (from the optional dependency) does not run.
stamp="$here/node_modules/.package-lock.json"
stale=0
[ -f "$stamp" ] || stale=1
[ "$stale" = 1 ] || [ ! "$here/package-lock.json" -nt "$stamp" ] || stale=1
[ "$stale" = 1 ] || "$here/node_modules/.bin/sentry-cli" --version >/dev/null 2>&1 || stale=1
if [ "$stale" = 1 ]; then
    echo "e2e: npm ci" >&2
    (cd "$here" && npm ci --no-audit --no-fund)
fi

# Same sanitizer settings as scripts/test.sh, for direct runs.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

# SNAG_E2E_PG_URL: run every server on a fresh PostgreSQL database of that server (lib/snag.mjs);
# the PostgreSQL-only tests (several nodes, database outage) skip without it.
if [ -n "${SNAG_E2E_PG_URL:-}" ]; then
    command -v psql >/dev/null || { echo "e2e: SNAG_E2E_PG_URL needs psql (postgresql-client)" >&2; exit 2; }
    if ! PGCONNECT_TIMEOUT=10 psql "$SNAG_E2E_PG_URL" -qtAX -c 'SELECT 1' >/dev/null; then
        echo "e2e: cannot connect to SNAG_E2E_PG_URL=$SNAG_E2E_PG_URL" >&2
        exit 2
    fi
    echo "e2e: backend PostgreSQL ($SNAG_E2E_PG_URL, a fresh database per server)" >&2
else
    echo "e2e: backend SQLite (set SNAG_E2E_PG_URL for PostgreSQL)" >&2
fi

files=()
if [ "$#" -gt 0 ]; then
    for f in "$@"; do files+=("$(cd "$(dirname "$f")" && pwd)/$(basename "$f")"); done
else
    files=("$here"/*.test.mjs)
fi

cd "$here"
exec node --test --test-concurrency=1 "${files[@]}"
