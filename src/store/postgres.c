/* postgres: the production storage backend (store_int.h's ops over a PostgreSQL database,
 * through libpq). Several snag processes may share one database. This file holds the
 * connections, statement execution, error mapping, transactions and migrations; the
 * operations live in postgres_ingest.c, postgres_accounts.c, postgres_issues.c and
 * postgres_retention.c, live updates across nodes (NOTIFY and the LISTEN thread) in
 * postgres_live.c, the SQL
 * in postgres_sql.c, the value codecs in postgres_rows.c.
 *
 * DESIGN
 * - Connections: one dedicated writer connection, used by store_ingest_batch() (called from
 *   the single ingest writer thread) and store_migrate(), guarded by writer_mu; and a pool of
 *   PG_POOL_SIZE connections for everything else, handed out under pool_mu/pool_cv (a caller
 *   blocks until one is free). A connection is used by one thread at a time. Connections are
 *   opened lazily on first use; store_pg_open() connects one to check the URL and server.
 *   The live listener (postgres_live.c) has one more, outside the pool, on a thread of its
 *   own: LISTEN belongs to a session.
 * - Reconnection: a call that fails because the connection is gone (or the server is
 *   shutting down) returns E_UNAVAILABLE — the API and ingest answer 503 with Retry-After —
 *   and marks the connection broken; its next user resets it (PQreset) before anything else,
 *   and gets E_UNAVAILABLE again while the server is still away. So a node rides out a
 *   database restart by itself. Reads through pg_read() also retry once on a fresh
 *   connection, so the first read after a restart does not fail for a stale socket. A
 *   connection released inside a transaction (a failed ROLLBACK) is reset as well.
 * - Transactions: READ COMMITTED. Multi-statement writes run in BEGIN … COMMIT and roll back
 *   on any error; most management writes are one statement (CTEs) and autocommit.
 *   store_ingest_batch() is one transaction per batch whose lock order (event_ids, then
 *   projects, then issues, each sorted) keeps two writers on one database from deadlocking;
 *   postgres_ingest.c explains why it is safe with several nodes.
 * - Statements: fixed SQL is prepared once per connection on first use (PQprepare), then run
 *   with PQexecPrepared; a reset connection prepares again. Values are always parameters;
 *   batches go as binary arrays. Only the issue list builds its SQL per call, from constant
 *   fragments.
 * - Migrations: migrations/postgres/NNNN_name.sql, embedded at build time, each applied in
 *   its own transaction under a transaction-level advisory lock, the schema version checked
 *   again under the lock, so nodes starting together apply each file exactly once.
 * - Memory: rows are copied into the caller's arena; the store keeps no pointer to them. */
#include "store/postgres_int.h"
#include "store/store_auth_int.h"
#include "store/store_orgs_int.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/embedded.h"
#include "core/ids.h"
#include "core/log.h"
#include "core/xmalloc.h"

extern const struct embedded_file snag_migrations_postgres[];

/* pg_advisory_xact_lock key of the migration runner ("snag-mig" as an int64). */
#define PG_MIGRATION_LOCK "8317692657571555687"

/* ---- connecting ------------------------------------------------------------------------- */

/* The first line of libpq's message, for logs and errinfo. */
static const char *pg_message(const struct pg_conn *c, const PGresult *res, char *buf, size_t n)
{
    const char *m = res ? PQresultErrorMessage(res) : "";
    if (!*m)
        m = PQerrorMessage(c->db);
    size_t len = strcspn(m, "\n");
    snprintf(buf, n, "%.*s", (int)len, m);
    return buf;
}

/* libpq's notices (e.g. "relation already exists, skipping") are not worth stderr. */
static void pg_notice(void *arg, const char *msg)
{
    (void)arg;
    log_debug("postgres: %s", msg);
}

/* Defaults first: keywords in the URL (expanded from dbname) override them. The keepalives
 * notice a dead peer within about a minute instead of TCP's hours. */
PGconn *pg_connect(const char *url, bool wait)
{
    static const char *const keys[] = {"connect_timeout",
                                       "keepalives_idle",
                                       "keepalives_interval",
                                       "keepalives_count",
                                       "application_name",
                                       "dbname",
                                       NULL};
    const char *const vals[] = {"5", "30", "10", "3", "snag", url, NULL};
    return wait ? PQconnectdbParams(keys, vals, 1) : PQconnectStartParams(keys, vals, 1);
}

/* Session settings the row codecs rely on, set once per (re)connection. */
static enum err pg_session_setup(struct pg_conn *c, struct errinfo *ei)
{
    PQsetNoticeProcessor(c->db, pg_notice, NULL);
    memset(c->prepared, 0, sizeof c->prepared);
    return pg_exec_sql(c,
                       "SET client_encoding = 'UTF8'; SET bytea_output = 'hex'; "
                       "SET extra_float_digits = 3; SET TimeZone = 'UTC'",
                       NULL, NULL, ei);
}

/* During an outage every request fails to connect: say so at most every
 * PG_WARN_INTERVAL seconds, with the number of failures in between. */
#define PG_WARN_INTERVAL 10
static _Atomic long long pg_warn_last;
static atomic_llong pg_warn_suppressed;

static void pg_warn_connect(const char *msg)
{
    long long now = (long long)clock_mono(), last = atomic_load(&pg_warn_last);
    if (now - last < PG_WARN_INTERVAL ||
        !atomic_compare_exchange_strong(&pg_warn_last, &last, now)) {
        atomic_fetch_add(&pg_warn_suppressed, 1);
        return;
    }
    long long quiet = atomic_exchange(&pg_warn_suppressed, 0);
    if (quiet)
        log_warn("postgres: cannot connect: %s (and %lld more failures)", msg, quiet);
    else
        log_warn("postgres: cannot connect: %s", msg);
}

enum err pg_conn_ready(struct pg_store *s, struct pg_conn *c, struct errinfo *ei)
{
    bool fresh = false;
    if (!c->db) {
        c->db = pg_connect(s->url, true);
        fresh = true;
    } else if (PQpipelineStatus(c->db) != PQ_PIPELINE_OFF) { /* left mid-pipeline */
        PQfinish(c->db);
        c->db = pg_connect(s->url, true);
        fresh = true;
    } else if (c->broken || PQstatus(c->db) != CONNECTION_OK) {
        PQreset(c->db);
        fresh = true;
    }
    if (PQstatus(c->db) != CONNECTION_OK) {
        char msg[200];
        c->broken = true;
        pg_message(c, NULL, msg, sizeof msg);
        pg_warn_connect(msg);
        return errinfo_set(ei, E_UNAVAILABLE, "database unavailable: %s", msg);
    }
    c->broken = false;
    return fresh ? pg_session_setup(c, ei) : E_OK;
}

static void pg_conn_close(struct pg_conn *c)
{
    if (c->db)
        PQfinish(c->db);
    memset(c, 0, sizeof *c);
}

/* ---- the pool --------------------------------------------------------------------------- */

enum err pg_acquire(struct pg_store *s, struct pg_conn **out, struct errinfo *ei)
{
    pthread_mutex_lock(&s->pool_mu);
    struct pg_conn *c = NULL;
    while (!c) {
        for (size_t i = 0; i < PG_POOL_SIZE && !c; i++)
            if (!s->pool[i].in_use)
                c = &s->pool[i];
        if (!c)
            pthread_cond_wait(&s->pool_cv, &s->pool_mu);
    }
    c->in_use = true;
    pthread_mutex_unlock(&s->pool_mu);
    enum err e = pg_conn_ready(s, c, ei);
    if (e) {
        pg_release(s, c);
        c = NULL;
    }
    *out = c;
    return e;
}

void pg_release(struct pg_store *s, struct pg_conn *c)
{
    if (c->db && PQtransactionStatus(c->db) != PQTRANS_IDLE)
        c->broken = true; /* never hand out a connection inside a transaction */
    pthread_mutex_lock(&s->pool_mu);
    c->in_use = false;
    pthread_cond_signal(&s->pool_cv);
    pthread_mutex_unlock(&s->pool_mu);
}

/* ---- errors ----------------------------------------------------------------------------- */

static bool pg_state_is(const char *state, const char *prefix)
{
    return state && strncmp(state, prefix, strlen(prefix)) == 0;
}

/* SQLSTATEs that mean "try again later": connection exceptions (08), operator intervention
 * (57: shutdown, cannot connect now, query canceled by a timeout), insufficient resources
 * (53), serialization failure and deadlock (40001, 40P01), lock not available (55P03). */
static bool pg_state_transient(const char *state)
{
    return pg_state_is(state, "08") || pg_state_is(state, "57") || pg_state_is(state, "53") ||
           pg_state_is(state, "40001") || pg_state_is(state, "40P01") ||
           pg_state_is(state, "55P03");
}

/* Maps a failed result (or none) to the project's errors; marks c broken when the
 * connection is gone or going. */
enum err pg_err(struct pg_conn *c, const PGresult *res, struct errinfo *ei)
{
    char msg[200];
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    pg_message(c, res, msg, sizeof msg);
    if (pg_state_is(state, "23505"))
        return errinfo_set(ei, E_CONFLICT, "already exists");
    if (pg_state_is(state, "23503"))
        return errinfo_set(ei, E_NOTFOUND, "%s", msg);
    if (!res || PQstatus(c->db) != CONNECTION_OK || pg_state_is(state, "08") ||
        pg_state_is(state, "57P"))
        c->broken = true;
    if (c->broken || pg_state_transient(state)) {
        log_warn("postgres: %s (%s)", msg, state ? state : "no SQLSTATE");
        return errinfo_set(ei, E_UNAVAILABLE, "database unavailable: %s", msg);
    }
    log_error("postgres: %s (%s)", msg, state ? state : "no SQLSTATE");
    return errinfo_set(ei, E_DB, "database error: %s", msg);
}

/* ---- execution -------------------------------------------------------------------------- */

static enum err pg_result(struct pg_conn *c, PGresult *r, PGresult **res, struct errinfo *ei)
{
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        enum err e = pg_err(c, r, ei);
        PQclear(r);
        return e;
    }
    if (res)
        *res = r;
    else
        PQclear(r);
    return E_OK;
}

enum err pg_prepare(struct pg_conn *c, enum pg_stmt id, struct errinfo *ei)
{
    char name[16];
    snprintf(name, sizeof name, "s%d", (int)id);
    enum err e = pg_result(c, PQprepare(c->db, name, pg_sql[id], 0, NULL), NULL, ei);
    if (!e)
        c->prepared[id] = true;
    return e;
}

enum err pg_exec(struct pg_conn *c, enum pg_stmt id, const struct pg_params *p, PGresult **res,
                 struct errinfo *ei)
{
    static const struct pg_params none = {.n = 0};
    char name[16];
    if (!p)
        p = &none;
    if (!c->prepared[id]) {
        enum err e = pg_prepare(c, id, ei);
        if (e)
            return e;
    }
    snprintf(name, sizeof name, "s%d", (int)id);
    return pg_result(c, PQexecPrepared(c->db, name, p->n, p->v, p->len, p->fmt, 0), res, ei);
}

enum err pg_exec_sql(struct pg_conn *c, const char *sql, const struct pg_params *p, PGresult **res,
                     struct errinfo *ei)
{
    if (!p) /* the simple protocol: may hold several statements (session setup, migrations) */
        return pg_result(c, PQexec(c->db, sql), res, ei);
    return pg_result(c, PQexecParams(c->db, sql, p->n, NULL, p->v, p->len, p->fmt, 0), res, ei);
}

enum err pg_read(struct pg_store *s, enum pg_stmt id, const struct pg_params *p, PGresult **res)
{
    enum err e = E_UNAVAILABLE;
    for (int attempt = 0; attempt < 2 && e == E_UNAVAILABLE; attempt++) {
        struct pg_conn *c = NULL;
        e = pg_acquire(s, &c, NULL);
        if (e)
            return e; /* could not even connect: no point in a second try */
        e = pg_exec(c, id, p, res, NULL);
        bool lost = c->broken;
        pg_release(s, c);
        if (!lost)
            break;
    }
    return e;
}

/* ---- transactions ----------------------------------------------------------------------- */

enum err pg_begin(struct pg_conn *c, struct errinfo *ei)
{
    return pg_exec_sql(c, "BEGIN", NULL, NULL, ei);
}

enum err pg_finish(struct pg_conn *c, enum err e, struct errinfo *ei)
{
    if (!e)
        e = pg_exec_sql(c, "COMMIT", NULL, NULL, ei);
    if (e && !c->broken && PQtransactionStatus(c->db) != PQTRANS_IDLE &&
        pg_exec_sql(c, "ROLLBACK", NULL, NULL, NULL) != E_OK)
        c->broken = true;
    return e;
}

/* ---- lifecycle -------------------------------------------------------------------------- */

static void pg_close(struct store *st)
{
    struct pg_store *s = pg_of(st);
    pg_live_stop(st);
    pthread_mutex_destroy(&s->live_mu);
    pg_conn_close(&s->writer);
    pg_icache_clear(&s->icache);
    for (size_t i = 0; i < PG_POOL_SIZE; i++)
        pg_conn_close(&s->pool[i]);
    pthread_mutex_destroy(&s->writer_mu);
    pthread_mutex_destroy(&s->pool_mu);
    pthread_cond_destroy(&s->pool_cv);
    free(s->url);
    free(s);
}

/* The URL must parse as a libpq conninfo (URI); the detail goes into ei. */
static enum err pg_check_url(const char *url, struct errinfo *ei)
{
    char *msg = NULL;
    PQconninfoOption *opts = PQconninfoParse(url, &msg);
    if (opts) {
        PQconninfoFree(opts);
        return E_OK;
    }
    size_t len = msg ? strcspn(msg, "\n") : 0;
    errinfo_set(ei, E_INVALID, "bad PostgreSQL DATABASE_URL: %.*s", (int)len, msg ? msg : "");
    PQfreemem(msg);
    return E_INVALID;
}

static const struct store_ops pg_ops;

enum err store_pg_open(const char *url, struct store **out, struct errinfo *ei)
{
    enum err e = pg_check_url(url, ei);
    if (e)
        return e;
    if (!PQisthreadsafe()) /* the pool hands connections across threads */
        return errinfo_set(ei, E_UNAVAILABLE, "libpq built without thread support");
    struct pg_store *s = xcalloc(1, sizeof *s);
    s->base.ops = &pg_ops;
    atomic_init(&s->base.fail_after, 0);
    s->url = xstrdup(url);
    if (ids_init() != 0) {
        free(s->url);
        free(s);
        return errinfo_set(ei, E_UNAVAILABLE, "cannot initialise the random generator");
    }
    ids_random_hex(s->node, (sizeof s->node - 1) / 2);
    pthread_mutex_init(&s->live_mu, NULL);
    pthread_mutex_init(&s->writer_mu, NULL);
    pthread_mutex_init(&s->pool_mu, NULL);
    pthread_cond_init(&s->pool_cv, NULL);
    e = pg_conn_ready(s, &s->pool[0], ei); /* fail early on a wrong host or password */
    if (e) {
        pg_close(&s->base);
        return e;
    }
    *out = &s->base;
    return E_OK;
}

static enum err pg_ping(struct store *st)
{
    PGresult *res = NULL;
    enum err e = pg_read(pg_of(st), PG_PING, NULL, &res);
    PQclear(res);
    return e ? E_UNAVAILABLE : E_OK;
}

/* ---- migrations ------------------------------------------------------------------------- */

/* The leading number of "NNNN_name.sql"; 0 when there is none. */
static int64_t pg_migration_version(const char *name)
{
    int64_t v = 0;
    for (const char *p = name; *p >= '0' && *p <= '9' && v < INT32_MAX; p++)
        v = v * 10 + (*p - '0');
    return v;
}

/* Inside a transaction: waits for the migration lock (released at commit or rollback). */
static enum err pg_migration_lock(struct pg_conn *c, struct errinfo *ei)
{
    struct pg_params p = {.n = 0};
    pg_p_text(&p, PG_MIGRATION_LOCK);
    return pg_exec(c, PG_MIG_LOCK, &p, NULL, ei);
}

static enum err pg_migration_table(struct pg_conn *c, struct errinfo *ei)
{
    enum err e = pg_begin(c, ei);
    if (!e)
        e = pg_migration_lock(c, ei);
    if (!e)
        e = pg_exec_sql(c,
                        "CREATE TABLE IF NOT EXISTS schema_migrations (version bigint PRIMARY "
                        "KEY, name text NOT NULL, applied double precision NOT NULL)",
                        NULL, NULL, ei);
    return pg_finish(c, e, ei);
}

/* Applies one migration unless the database is already at or past it (checked under the
 * lock, so two nodes migrating at once cannot both apply it). */
static enum err pg_migrate_one(struct pg_conn *c, const struct embedded_file *f, int64_t v,
                               struct errinfo *ei)
{
    PGresult *res = NULL;
    int64_t current = 0;
    enum err e = pg_begin(c, ei);
    if (e)
        return e;
    e = pg_migration_lock(c, ei);
    if (!e)
        e = pg_exec(c, PG_MIG_VERSION, NULL, &res, ei);
    if (e)
        goto out;
    current = pg_res_int(res, 0, 0);
    PQclear(res);
    if (current >= v)
        goto out;
    log_info("postgres: applying migration %s", f->name);
    e = pg_exec_sql(c, (const char *)f->data, NULL, NULL, ei);
    if (e)
        goto out;
    struct pg_params p = {.n = 0};
    pg_p_int(&p, v);
    pg_p_text(&p, f->name);
    pg_p_real(&p, clock_now());
    e = pg_exec(c, PG_MIG_RECORD, &p, NULL, ei);
out:
    return pg_finish(c, e, ei);
}

static enum err pg_migrate(struct store *st, struct errinfo *ei)
{
    struct pg_store *s = pg_of(st);
    pthread_mutex_lock(&s->writer_mu);
    enum err e = pg_conn_ready(s, &s->writer, ei);
    if (!e)
        e = pg_migration_table(&s->writer, ei);
    for (const struct embedded_file *f = snag_migrations_postgres; f->name && !e; f++) {
        int64_t v = pg_migration_version(f->name);
        if (v <= 0)
            e = errinfo_set(ei, E_DB, "migration %s has no version number", f->name);
        else
            e = pg_migrate_one(&s->writer, f, v, ei);
    }
    pthread_mutex_unlock(&s->writer_mu);
    return e;
}

static const struct store_ops pg_ops = {
    .name = "postgres",
    .close = pg_close,
    .migrate = pg_migrate,
    .ping = pg_ping,
    .ingest_batch = pg_ingest_batch,
    .user_create = pg_user_create,
    .user_by_email = pg_user_by_email,
    .user_by_id = pg_user_by_id,
    .user_set_password = pg_user_set_password,
    .user_count = pg_user_count,
    .token_create = pg_token_create,
    .token_lookup = pg_token_lookup,
    .org_create = pg_org_create,
    .org_by_slug = pg_org_by_slug,
    .org_list_for_user = pg_org_list_for_user,
    .org_member_role = pg_org_member_role,
    .team_create = pg_team_create,
    .team_by_slug = pg_team_by_slug,
    .team_list = pg_team_list,
    .project_create = pg_project_create,
    .project_by_slug = pg_project_by_slug,
    .project_by_id = pg_project_by_id,
    .project_list = pg_project_list,
    .key_create = pg_key_create,
    .key_list = pg_key_list,
    .key_by_public = pg_key_by_public,
    .issue_by_id = pg_issue_by_id,
    .issue_set_status = pg_issue_set_status,
    .issue_delete = pg_issue_delete,
    .event_edge_for_issue = pg_event_edge_for_issue,
    .event_by_id = pg_event_by_id,
    .event_count = pg_event_count,
    .retention_run = pg_retention_run,
    .partitions_maintain = pg_partitions_maintain,
    .live_listen = pg_live_listen,
    .live_stop = pg_live_stop,
    .auth = &pg_auth_ops,
    .orgs = &pg_orgs_ops,
};
