/* migrate_data: SQLite → PostgreSQL copy of a snag database (migrate_data.h).
 *
 * DESIGN
 * - Both ends are first brought to the current schema with store_migrate(); the copy then
 *   reads the SQLite file with plain statements and writes with COPY … FROM STDIN (text
 *   format) on one PostgreSQL connection, inside one transaction: a failed copy leaves
 *   the target empty. Tables go in foreign-key order; ids are kept, so every reference
 *   (and each issue's short number and each project's issue counter) stays valid.
 * - Values are typed per column (mig_col): doubles are written with %.17g (exact), bytea
 *   as hex; text is escaped for COPY's text format. Nothing is formatted into SQL text.
 * - After the rows: event_ids is derived from events, and each id sequence is set past the
 *   largest id copied. The partitions for the copied events' days (at most MIG_PART_DAYS
 *   back; older ones stay in the default partition, where retention finds them) are
 *   created before the events arrive. */
#include "store/migrate_data.h"

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "store/store.h"
#include "store/store_int.h"

#define MIG_FLUSH (1u << 20)   /* COPY data sent in pieces of about this size */
#define MIG_ROW_MAX (1u << 30) /* one buffered piece may not grow past this */
#define MIG_PART_DAYS 400      /* written as a literal in mig_partitions() */

/* One table: its columns with a type letter each — i int, r real, t text, b boolean,
 * x blob — as "name:type" separated by spaces. */
struct mig_table {
    const char *name, *cols;
    bool has_id; /* a bigserial id whose sequence must follow */
};

static const struct mig_table mig_tables[] = {
    {"users", "id:i email:t password_hash:t is_superuser:b created:r", true},
    {"api_tokens", "id:i user_id:i token_hash:t label:t scopes:t created:r last_used:r", true},
    {"user_totp", "user_id:i secret:t enabled:b last_step:i created:r", false},
    {"recovery_codes", "user_id:i code_hash:t", false},
    {"organizations", "id:i slug:t name:t created:r require_2fa:b", true},
    {"org_members",
     "id:i org_id:i user_id:i role:t created:r email:t token_hash:t invited_by:i expires:r", true},
    {"teams", "id:i org_id:i slug:t name:t created:r", true},
    {"team_members", "team_id:i member_id:i", false},
    {"projects", "id:i org_id:i slug:t name:t platform:t created:r issue_counter:i settings:t",
     true},
    {"project_teams", "project_id:i team_id:i", false},
    {"project_keys",
     "id:i project_id:i public_key:t label:t active:b created:r rate_window:i rate_count:i", true},
    {"issues",
     "id:i project_id:i hash:t short_num:i title:t culprit:t type:t level:t status:t "
     "metadata:t platform:t logger:t first_seen:r last_seen:r times_seen:i user_count:i",
     true},
    {"issue_users", "issue_id:i user_key:t", false},
    /* before events: their bodies may name these dictionaries */
    {"zdicts", "id:i dict_id:i project_id:i created:r last_used:r data:x", true},
    {"events",
     "id:i project_id:i issue_id:i event_id:t timestamp:r received:r level:t platform:t "
     "environment:t release:t transaction_name:t user_key:t message:t data:x",
     true},
};

struct mig {
    sqlite3 *src;
    PGconn *dst;
    struct buf out; /* COPY data not yet sent */
    struct migrate_data_stats *stats;
    struct errinfo *ei;
};

/* ---- the PostgreSQL end ----------------------------------------------------------------- */

static enum err mig_pg_err(struct mig *m, PGresult *r, const char *what)
{
    const char *msg = r ? PQresultErrorMessage(r) : PQerrorMessage(m->dst);
    errinfo_set(m->ei, E_DB, "%s: %.*s", what, (int)strcspn(msg, "\n"), msg);
    PQclear(r);
    return E_DB;
}

/* Runs sql (constant text; values in the nparams text parameters). */
static enum err mig_pg(struct mig *m, const char *sql, int nparams, const char *const *params,
                       PGresult **res)
{
    PGresult *r = PQexecParams(m->dst, sql, nparams, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        return mig_pg_err(m, r, sql);
    if (res)
        *res = r;
    else
        PQclear(r);
    return E_OK;
}

static enum err mig_flush(struct mig *m, bool force)
{
    if (m->out.len == 0 || (!force && m->out.len < MIG_FLUSH))
        return E_OK;
    if (PQputCopyData(m->dst, m->out.p, (int)m->out.len) != 1)
        return mig_pg_err(m, NULL, "COPY");
    buf_reset(&m->out);
    return E_OK;
}

/* ---- COPY text format ------------------------------------------------------------------- */

static enum err mig_text(struct buf *b, const unsigned char *s, size_t n)
{
    enum err e = E_OK;
    for (size_t i = 0; i < n && !e; i++) {
        switch (s[i]) {
        case '\\':
            e = buf_append(b, "\\\\", 2);
            break;
        case '\n':
            e = buf_append(b, "\\n", 2);
            break;
        case '\r':
            e = buf_append(b, "\\r", 2);
            break;
        case '\t':
            e = buf_append(b, "\\t", 2);
            break;
        default:
            e = buf_append(b, &s[i], 1);
            break;
        }
    }
    return e;
}

static enum err mig_hex(struct buf *b, const unsigned char *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    enum err e = buf_append(b, "\\\\x", 3);
    for (size_t i = 0; i < n && !e; i++) {
        char h[2] = {digits[p[i] >> 4], digits[p[i] & 15]};
        e = buf_append(b, h, 2);
    }
    return e;
}

/* Column col of the current row, as COPY text of type t. */
static enum err mig_value(struct buf *b, sqlite3_stmt *s, int col, char t)
{
    if (sqlite3_column_type(s, col) == SQLITE_NULL)
        return buf_append(b, "\\N", 2);
    switch (t) {
    case 'i':
        return buf_printf(b, "%lld", (long long)sqlite3_column_int64(s, col));
    case 'r':
        return buf_printf(b, "%.17g", sqlite3_column_double(s, col));
    case 'b':
        return buf_append(b, sqlite3_column_int64(s, col) ? "t" : "f", 1);
    case 'x': {
        const void *p = sqlite3_column_blob(s, col);
        return mig_hex(b, p, p ? (size_t)sqlite3_column_bytes(s, col) : 0);
    }
    default:
        return mig_text(b, sqlite3_column_text(s, col), (size_t)sqlite3_column_bytes(s, col));
    }
}

/* ---- one table -------------------------------------------------------------------------- */

/* "a, b, c" and the type letters of t's column spec. */
static int mig_columns(const struct mig_table *t, char *names, size_t cap, char *types)
{
    int n = 0;
    size_t len = 0;
    for (const char *p = t->cols; *p;) {
        size_t w = strcspn(p, ":");
        len += (size_t)snprintf(names + len, cap - len, "%s%.*s", n ? ", " : "", (int)w, p);
        types[n++] = p[w + 1];
        p += w + 2;
        p += *p == ' ';
    }
    return n;
}

static enum err mig_rows(struct mig *m, sqlite3_stmt *s, const char *types, int ncols,
                         int64_t *rows)
{
    enum err e = E_OK;
    int rc;
    while (!e && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        for (int c = 0; c < ncols && !e; c++) {
            e = mig_value(&m->out, s, c, types[c]);
            if (!e)
                e = buf_append(&m->out, c + 1 < ncols ? "\t" : "\n", 1);
        }
        if (!e)
            e = mig_flush(m, false);
        (*rows)++;
    }
    if (!e && rc != SQLITE_DONE)
        e = errinfo_set(m->ei, E_DB, "reading: %s", sqlite3_errmsg(m->src));
    return e;
}

static enum err mig_table_copy(struct mig *m, const struct mig_table *t)
{
    char names[512], types[32], sql[1024];
    int ncols = mig_columns(t, names, sizeof names, types);
    sqlite3_stmt *s = NULL;
    int64_t rows = 0;
    snprintf(sql, sizeof sql, "SELECT %s FROM %s", names, t->name);
    if (sqlite3_prepare_v2(m->src, sql, -1, &s, NULL) != SQLITE_OK)
        return errinfo_set(m->ei, E_DB, "%s: %s", t->name, sqlite3_errmsg(m->src));
    snprintf(sql, sizeof sql, "COPY %s (%s) FROM STDIN", t->name, names);
    PGresult *r = PQexec(m->dst, sql);
    if (PQresultStatus(r) != PGRES_COPY_IN) {
        sqlite3_finalize(s);
        return mig_pg_err(m, r, sql);
    }
    PQclear(r);
    enum err e = mig_rows(m, s, types, ncols, &rows);
    if (!e)
        e = mig_flush(m, true);
    if (PQputCopyEnd(m->dst, e ? "snag: copy failed" : NULL) != 1 && !e)
        e = mig_pg_err(m, NULL, "COPY end");
    r = PQgetResult(m->dst);
    if (!e && PQresultStatus(r) != PGRES_COMMAND_OK)
        e = mig_pg_err(m, r, t->name);
    else
        PQclear(r);
    while ((r = PQgetResult(m->dst)))
        PQclear(r);
    sqlite3_finalize(s);
    m->stats->rows += rows;
    if (strcmp(t->name, "events") == 0)
        m->stats->events = rows;
    return e;
}

/* ---- around the tables ------------------------------------------------------------------ */

static enum err mig_target_empty(struct mig *m)
{
    PGresult *r = NULL;
    enum err e = mig_pg(m,
                        "SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM "
                        "organizations) + (SELECT count(*) FROM event_ids)",
                        0, NULL, &r);
    if (e)
        return e;
    bool empty = strcmp(PQgetvalue(r, 0, 0), "0") == 0;
    PQclear(r);
    return empty ? E_OK
                 : errinfo_set(m->ei, E_CONFLICT,
                               "the target database already holds data: migrate-data only "
                               "fills an empty one");
}

/* Daily partitions from the oldest event's day (at most MIG_PART_DAYS back) to next week. */
static enum err mig_partitions(struct mig *m)
{
    sqlite3_stmt *s = NULL;
    char oldest[32] = "";
    if (sqlite3_prepare_v2(m->src, "SELECT min(received) FROM events", -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
        snprintf(oldest, sizeof oldest, "%.17g", sqlite3_column_double(s, 0));
    sqlite3_finalize(s);
    if (!oldest[0])
        return E_OK; /* no events */
    const char *params[] = {oldest};
    return mig_pg(m,
                  "SELECT snag_events_add_partitions(d, (current_date - d) + 8) FROM (SELECT "
                  "greatest((to_timestamp($1::float8) AT TIME ZONE 'UTC')::date, "
                  "current_date - 400) AS d) x",
                  1, params, NULL);
}

static enum err mig_finish_tables(struct mig *m)
{
    char sql[256];
    enum err e = mig_pg(m,
                        "INSERT INTO event_ids (project_id, event_id, row_id, received) "
                        "SELECT project_id, event_id, id, received FROM events",
                        0, NULL, NULL);
    if (!e) /* SQLite has no such columns (0010_issue_hot.sql) */
        e = mig_pg(m, "UPDATE issues SET " STORE_PG_SORT_KEYS_SET, 0, NULL, NULL);
    for (size_t i = 0; i < sizeof mig_tables / sizeof *mig_tables && !e; i++) {
        if (!mig_tables[i].has_id)
            continue;
        snprintf(sql, sizeof sql,
                 "SELECT setval(pg_get_serial_sequence('%s', 'id'), "
                 "greatest((SELECT max(id) FROM %s), 1))",
                 mig_tables[i].name, mig_tables[i].name);
        e = mig_pg(m, sql, 0, NULL, NULL);
    }
    return e;
}

static enum err mig_copy_all(struct mig *m)
{
    enum err e = mig_target_empty(m);
    if (!e)
        e = mig_pg(m, "BEGIN", 0, NULL, NULL);
    if (!e)
        e = mig_partitions(m);
    for (size_t i = 0; i < sizeof mig_tables / sizeof *mig_tables && !e; i++)
        e = mig_table_copy(m, &mig_tables[i]);
    if (!e)
        e = mig_finish_tables(m);
    if (!e)
        e = mig_pg(m, "COMMIT", 0, NULL, NULL);
    return e;
}

/* Brings url's database to the current schema. */
static enum err mig_schema(const char *url, struct errinfo *ei)
{
    struct store *st = NULL;
    enum err e = store_open(url, &st, ei);
    if (!e)
        e = store_migrate(st, ei);
    store_close(st);
    return e;
}

static bool mig_is_pg(const char *url)
{
    return strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0;
}

enum err migrate_data(const char *from, const char *to, struct migrate_data_stats *out,
                      struct errinfo *ei)
{
    static const char *const keys[] = {"dbname", "application_name", NULL};
    const char *const vals[] = {to, "snag-migrate-data", NULL};
    struct mig m = {.stats = out, .ei = ei};
    const char *path = store_sqlite_path(from);
    memset(out, 0, sizeof *out);
    if (!path || !mig_is_pg(to))
        return errinfo_set(ei, E_UNSUPPORTED, "migrate-data copies from sqlite:// to postgres://");
    enum err e = mig_schema(from, ei);
    if (!e)
        e = mig_schema(to, ei);
    if (e)
        return e;
    buf_init(&m.out, MIG_ROW_MAX);
    if (sqlite3_open_v2(path, &m.src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        e = errinfo_set(ei, E_DB, "%s: %s", path, sqlite3_errmsg(m.src));
        goto out;
    }
    m.dst = PQconnectdbParams(keys, vals, 1);
    if (PQstatus(m.dst) != CONNECTION_OK) {
        e = mig_pg_err(&m, NULL, "connect");
        goto out;
    }
    e = mig_copy_all(&m);
out:
    PQfinish(m.dst); /* an open transaction rolls back */
    sqlite3_close(m.src);
    buf_free(&m.out);
    return e;
}
