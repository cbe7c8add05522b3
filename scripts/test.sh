#!/usr/bin/env bash
# Runs snag's tests: `scripts/test.sh [unit|e2e|all]` (default all). Unit tests and the
# fuzz-corpus replays run under ASan+UBSan through ctest; the end-to-end suite starts the
# sanitized binary and drives it with the real Sentry SDKs and sentry-cli.
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-all}"
TEST_BUILD="${TEST_BUILD:-build-test}"

cmake -S . -B "$TEST_BUILD" -DCMAKE_BUILD_TYPE=Debug -DSNAG_SANITIZE=ON >/dev/null
cmake --build "$TEST_BUILD" -j "$(nproc)"

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

if [ "$what" = all ] || [ "$what" = unit ]; then
    bash scripts/checksrc
    clang-format --dry-run --Werror $(git ls-files '*.c' '*.h')
    ctest --test-dir "$TEST_BUILD" --output-on-failure -j "$(nproc)"
    # the benchmark harness in smoke mode: small counts, checks only that nothing is lost
    BENCH_BUILD="$TEST_BUILD" bash bench/run.sh --smoke >/dev/null
    # the release build `make run` uses: -O2 sees warnings the -O1 test build does not
    cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSNAG_TESTS=OFF >/dev/null
    cmake --build build -j "$(nproc)" --target snag
fi
# The whole unit suite again against a throwaway PostgreSQL (scripts/pg.sh), stopped
# afterwards: the storage suites use it directly, the in-process HTTP, writer and worker tests
# each in a fresh database of their own (tests/unit/helpers/testdb.h).
# One test at a time: test_store_pg stops and restarts that server.
if { [ "$what" = all ] || [ "$what" = unit ]; } && [ "${SNAG_SKIP_PG:-0}" != 1 ]; then
    pg_dir=$(mktemp -d /tmp/snag-pg.XXXXXX) # the postgres user must reach it
    pg_port=$(scripts/free-port)
    pg_cleanup() { scripts/pg.sh stop "$pg_dir" || true; rm -rf "$pg_dir"; }
    trap pg_cleanup EXIT
    pg_url=$(scripts/pg.sh start "$pg_dir" "$pg_port")
    SNAG_TEST_DATABASE_URL="$pg_url" SNAG_TEST_PG_DIR="$pg_dir" SNAG_TEST_PG_PORT="$pg_port" \
        ctest --test-dir "$TEST_BUILD" --output-on-failure -j1
    pg_cleanup
    trap - EXIT
fi
if [ "$what" = all ] || [ "$what" = e2e ]; then
    SNAG_BIN="$PWD/$TEST_BUILD/snag" bash tests/e2e/run.sh
fi
# The end-to-end suite again on a throwaway PostgreSQL: each server gets a fresh database on it
# (tests/e2e/lib/snag.mjs), and the PostgreSQL-only tests run (several nodes on one database;
# the outage test starts and stops a PostgreSQL of its own).
if { [ "$what" = all ] || [ "$what" = e2e ]; } && [ "${SNAG_SKIP_PG:-0}" != 1 ]; then
    e2e_pg_dir=$(mktemp -d /tmp/snag-e2e-pg.XXXXXX)
    e2e_pg_port=$(scripts/free-port)
    e2e_pg_cleanup() { scripts/pg.sh stop "$e2e_pg_dir" || true; rm -rf "$e2e_pg_dir"; }
    trap e2e_pg_cleanup EXIT
    e2e_pg_url=$(scripts/pg.sh start "$e2e_pg_dir" "$e2e_pg_port")
    SNAG_E2E_PG_URL="$e2e_pg_url" SNAG_BIN="$PWD/$TEST_BUILD/snag" bash tests/e2e/run.sh
    e2e_pg_cleanup
    trap - EXIT
fi
