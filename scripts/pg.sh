#!/usr/bin/env bash
# A throwaway PostgreSQL for tests and benchmarks, from Debian's postgresql package (installed
# by `scripts/deps.sh --test`; this script installs nothing):
#   scripts/pg.sh start DIR PORT   initdb DIR/data if needed, start it on 127.0.0.1:PORT with
#                                  its unix socket in DIR/sock, trust auth, create the database
#                                  snag_test; prints its DATABASE_URL. Idempotent.
#   scripts/pg.sh reset DIR PORT   drop and recreate snag_test (a clean schema); prints the URL.
#   scripts/pg.sh stop DIR         fast shutdown (nothing if it is not running).
# As root, the server runs as the `postgres` OS user (PostgreSQL refuses to run as root).
set -euo pipefail

PGBIN="${PGBIN:-/usr/lib/postgresql/15/bin}"
DB=snag_test

usage() {
    echo "usage: $0 start DIR PORT | reset DIR PORT | stop DIR" >&2
    exit 2
}

# Runs a PostgreSQL program as the postgres user when we are root, else as ourselves.
as_pg() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

running() { as_pg "$PGBIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; }

psql_do() { as_pg "$PGBIN/psql" -h "$DIR/sock" -p "$PORT" -U postgres -d postgres -qtAX "$@"; }

init() {
    mkdir -p "$DIR/sock"
    if [ "$(id -u)" -eq 0 ]; then chown -R postgres: "$DIR"; fi
    if [ ! -f "$DIR/data/PG_VERSION" ]; then
        as_pg "$PGBIN/initdb" -D "$DIR/data" -U postgres --auth=trust -E UTF8 --locale=C -N \
            >"$DIR/initdb.log" 2>&1 || { cat "$DIR/initdb.log" >&2; exit 1; }
    fi
}

start() {
    init
    if ! running; then
        as_pg "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 30 \
            -o "-p $PORT -k $DIR/sock -c listen_addresses=127.0.0.1" start >/dev/null ||
            { tail -20 "$DIR/server.log" >&2; exit 1; }
    fi
    if [ -z "$(psql_do -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" ]; then
        psql_do -c "CREATE DATABASE $DB"
    fi
}

[ $# -ge 2 ] || usage
cmd=$1
DIR=$(realpath -m "$2")
PORT=${3:-}
case "$cmd" in
start)
    [ -n "$PORT" ] || usage
    start
    ;;
reset)
    [ -n "$PORT" ] || usage
    start
    psql_do -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
    ;;
stop)
    if [ -f "$DIR/data/PG_VERSION" ] && running; then
        as_pg "$PGBIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null
    fi
    exit 0
    ;;
*) usage ;;
esac
echo "postgres://postgres@127.0.0.1:$PORT/$DB"
