/* sqlite: the embedded storage backend (store_int.h's ops over one SQLite database file).
 * This file has the statements, connections and the pool, query and row helpers,
 * transactions, lifecycle, migrations and the ops table; the operations themselves are in
 * sqlite_ingest.c, sqlite_accounts.c, sqlite_issues.c and sqlite_retention.c (shared types:
 * sqlite_int.h).
 *
 * DESIGN
 * - Connections: one dedicated writer connection, used by store_ingest_batch() (called from
 *   the single ingest writer thread) and by store_migrate(), guarded by writer_mu; and a pool
 *   of SQ_POOL_SIZE connections for everything else (reads, and the occasional management
 *   write such as creating an org), handed out under pool_mu/pool_cv — a caller blocks until
 *   one is free. A connection is used by one thread at a time, so it is opened NOMUTEX.
 * - Durability and concurrency: WAL mode (readers never block the writer nor each other),
 *   synchronous=FULL (an acknowledged event survives power loss), foreign_keys=ON, and a
 *   busy_timeout of SQ_BUSY_MS: SQLite serialises writers from different connections (and
 *   processes), and a writer that waits longer than that gets E_UNAVAILABLE.
 * - Transactions: multi-statement writes run in BEGIN IMMEDIATE … COMMIT (take the write lock
 *   up front, so the busy handler applies and no snapshot upgrade can fail); on any error the
 *   transaction is rolled back and nothing of it is visible. Single statements autocommit.
 *   Each migration file runs inside such a transaction, so it must not say BEGIN/COMMIT.
 * - Statements: every fixed SQL text lives in sq_sql[] and is prepared once per connection on
 *   first use (SQLITE_PREPARE_PERSISTENT), then reset and unbound after each use. Only the
 *   issue list, whose WHERE clause depends on the filters, is prepared per call. Values are
 *   always bound, never formatted into SQL.
 * - Ingest cost per event: a lookup of the issue by (project_id, hash), an event insert that
 *   does nothing on a duplicate event_id, an issue_users insert when there is a user key and
 *   one issue update; a new issue adds the project counter bump and the issue insert.
 * - Memory: rows are copied into the caller's arena; the store keeps no pointer to them. */
#include "store/sqlite_int.h"
#include "store/sqlite_walbuf.h"
#include "store/store_auth_int.h"
#include "store/store_orgs_int.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/embedded.h"
#include "core/hash.h"
#include "core/log.h"
#include "core/xmalloc.h"

extern const struct embedded_file snag_migrations_sqlite[];

#define SQ_BUSY_MS 5000

/* ---- statements ------------------------------------------------------------------------ */

#define USER_COLS "u.id, u.email, u.password_hash, u.is_superuser, u.created"
#define ORG_COLS "o.id, o.slug, o.name, o.created"
#define TEAM_COLS "t.id, t.org_id, t.slug, t.name, t.created"
#define PROJECT_COLS "p.id, p.org_id, p.slug, p.name, p.platform, o.slug, p.created"
#define PROJECT_FROM " FROM projects p JOIN organizations o ON o.id = p.org_id"
#define KEY_COLS                                                                                   \
    "k.id, k.project_id, k.public_key, k.label, k.active, k.created, k.rate_window, k.rate_count"
#define EVENT_COLS "e.id, e.project_id, e.issue_id, e.event_id, e.timestamp, e.received, e.data"

static const char *const sq_sql[SQ__MAX] = {
    [SQ_BEGIN] = "BEGIN IMMEDIATE",
    [SQ_COMMIT] = "COMMIT",
    [SQ_ROLLBACK] = "ROLLBACK",
    [SQ_PING] = "SELECT 1",
    [SQ_MIG_VERSION] = "SELECT coalesce(max(version), 0) FROM schema_migrations",
    [SQ_MIG_RECORD] = "INSERT INTO schema_migrations (version, name, applied) VALUES (?, ?, ?)",
    [SQ_USER_INSERT] = "INSERT INTO users (email, password_hash, is_superuser, created) "
                       "VALUES (?, ?, ?, ?)",
    [SQ_USER_BY_EMAIL] = "SELECT " USER_COLS " FROM users u WHERE u.email = ?",
    [SQ_USER_BY_ID] = "SELECT " USER_COLS " FROM users u WHERE u.id = ?",
    [SQ_USER_SET_PASSWORD] = "UPDATE users SET password_hash = ? WHERE id = ?",
    [SQ_USER_COUNT] = "SELECT count(*) FROM users",
    [SQ_TOKEN_INSERT] = "INSERT INTO api_tokens (user_id, token_hash, label, scopes, created) "
                        "VALUES (?, ?, ?, ?, ?)",
    [SQ_TOKEN_LOOKUP] = "SELECT " USER_COLS ", t.scopes, t.id, coalesce(t.last_used, 0) "
                        "FROM api_tokens t JOIN users u ON u.id = t.user_id "
                        "WHERE t.token_hash = ?",
    [SQ_TOKEN_TOUCH] = "UPDATE api_tokens SET last_used = ? WHERE id = ?",
    [SQ_ORG_INSERT] = "INSERT INTO organizations (slug, name, created) VALUES (?, ?, ?)",
    [SQ_MEMBER_INSERT] = "INSERT INTO org_members (org_id, user_id, role, created) "
                         "VALUES (?, ?, ?, ?)",
    [SQ_ORG_BY_SLUG] = "SELECT " ORG_COLS " FROM organizations o WHERE o.slug = ?",
    [SQ_ORG_BY_ID] = "SELECT " ORG_COLS " FROM organizations o WHERE o.id = ?",
    [SQ_ORG_LIST_ALL] = "SELECT " ORG_COLS " FROM organizations o ORDER BY o.name, o.id",
    [SQ_ORG_LIST_USER] = "SELECT " ORG_COLS " FROM organizations o "
                         "JOIN org_members m ON m.org_id = o.id WHERE m.user_id = ? "
                         "ORDER BY o.name, o.id",
    [SQ_MEMBER_ROLE] = "SELECT role FROM org_members WHERE org_id = ? AND user_id = ?",
    [SQ_TEAM_INSERT] = "INSERT INTO teams (org_id, slug, name, created) VALUES (?, ?, ?, ?)",
    [SQ_TEAM_BY_SLUG] = "SELECT " TEAM_COLS " FROM teams t WHERE t.org_id = ? AND t.slug = ?",
    [SQ_TEAM_BY_ID] = "SELECT " TEAM_COLS " FROM teams t WHERE t.id = ?",
    [SQ_TEAM_LIST] = "SELECT " TEAM_COLS " FROM teams t WHERE t.org_id = ? ORDER BY t.slug",
    [SQ_PROJECT_INSERT] = "INSERT INTO projects (org_id, slug, name, platform, created) "
                          "VALUES (?, ?, ?, ?, ?)",
    [SQ_PROJECT_TEAM_INSERT] = "INSERT INTO project_teams (project_id, team_id) "
                               "SELECT ?, id FROM teams WHERE id = ? AND org_id = ?",
    [SQ_PROJECT_BY_SLUG] = "SELECT " PROJECT_COLS PROJECT_FROM " WHERE p.org_id = ? AND p.slug = ?",
    [SQ_PROJECT_BY_ID] = "SELECT " PROJECT_COLS PROJECT_FROM " WHERE p.id = ?",
    [SQ_PROJECT_LIST] = "SELECT " PROJECT_COLS PROJECT_FROM " WHERE p.org_id = ? ORDER BY p.slug",
    [SQ_KEY_INSERT] = "INSERT INTO project_keys (project_id, public_key, label, created) "
                      "VALUES (?, ?, ?, ?)",
    [SQ_KEY_BY_ID] = "SELECT " KEY_COLS " FROM project_keys k WHERE k.id = ?",
    [SQ_KEY_LIST] = "SELECT " KEY_COLS " FROM project_keys k WHERE k.project_id = ? "
                    "ORDER BY k.id",
    [SQ_KEY_BY_PUBLIC] = "SELECT " KEY_COLS " FROM project_keys k WHERE k.public_key = ?",
    [SQ_ISSUE_BY_ID] = "SELECT " ISSUE_COLS ISSUE_FROM " WHERE i.id = ?",
    [SQ_ISSUE_SET_STATUS] = "UPDATE issues SET status = ? WHERE id = ?",
    [SQ_ISSUE_DELETE] = "DELETE FROM issues WHERE id = ?",
    [SQ_EVENT_LATEST] = "SELECT " EVENT_COLS " FROM events e WHERE e.issue_id = ? "
                        "ORDER BY e.received DESC, e.id DESC LIMIT 1",
    [SQ_EVENT_OLDEST] = "SELECT " EVENT_COLS " FROM events e WHERE e.issue_id = ? "
                        "ORDER BY e.received, e.id LIMIT 1",
    [SQ_EVENT_BY_ID] = "SELECT " EVENT_COLS " FROM events e "
                       "WHERE e.project_id = ? AND e.event_id = ?",
    [SQ_EVENT_COUNT] = "SELECT count(*) FROM events WHERE project_id = ?",
    [SQ_EVENT_COUNT_ALL] = "SELECT count(*) FROM events",
    /* a merged issue's hash leads to the issue it was merged into (issue_aliases) */
    [SQ_ING_ISSUE_FIND] = "SELECT id FROM issues WHERE project_id = ?1 AND hash = ?2 UNION ALL "
                          "SELECT issue_id FROM issue_aliases WHERE project_id = ?1 AND hash = ?2 "
                          "LIMIT 1",
    [SQ_ING_EVENT_FIND] = "SELECT issue_id FROM events WHERE project_id = ? AND event_id = ?",
    [SQ_ING_COUNTER] = "UPDATE projects SET issue_counter = issue_counter + 1 WHERE id = ? "
                       "RETURNING issue_counter",
    [SQ_ING_ISSUE_INSERT] =
        "INSERT INTO issues (project_id, hash, short_num, title, culprit, type, level, "
        "metadata, first_seen, last_seen, platform, logger) VALUES (?, ?, ?, coalesce(?, ''), "
        "coalesce(?, ''), coalesce(?, 'error'), coalesce(?, 'error'), coalesce(?, '{}'), ?, ?, "
        "?, ?)",
    [SQ_ING_EVENT_INSERT] =
        "INSERT INTO events (project_id, issue_id, event_id, timestamp, received, level, "
        "platform, environment, release, transaction_name, user_key, message, data) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (project_id, event_id) DO NOTHING",
    [SQ_ING_USER_INSERT] = "INSERT INTO issue_users (issue_id, user_key) VALUES (?, ?) "
                           "ON CONFLICT DO NOTHING",
    /* One statement per issue per batch: ?9 events, ?2 new users, ?3 the newest event's
     * timestamp (its level, title… in ?4–?8), ?10 the oldest's. Right-hand sides see the row
     * as it was, so "?3 >= last_seen" means "this event is the newest so far" for every column.
     * first_seen and status are left to SQ_ING_ISSUE_REOPEN, run only when the returned flag says
     * one of them changes: a column in SET makes SQLite rewrite its index entry even when the value
     * stays the same. */
    [SQ_ING_ISSUE_UPDATE] =
        "UPDATE issues SET times_seen = times_seen + ?9, user_count = user_count + ?2, "
        "level = CASE WHEN ?3 >= last_seen THEN coalesce(?4, level) ELSE level END, "
        "title = CASE WHEN ?3 >= last_seen THEN coalesce(?5, title) ELSE title END, "
        "culprit = CASE WHEN ?3 >= last_seen THEN coalesce(?6, culprit) ELSE culprit END, "
        "type = CASE WHEN ?3 >= last_seen THEN coalesce(?7, type) ELSE type END, "
        "metadata = CASE WHEN ?3 >= last_seen THEN coalesce(?8, metadata) ELSE metadata END, "
        "last_seen = max(last_seen, ?3) WHERE id = ?1 "
        "RETURNING first_seen > ?10 OR status = 'resolved'",
    [SQ_ING_ISSUE_REOPEN] =
        "UPDATE issues SET first_seen = min(first_seen, ?2), "
        "status = CASE status WHEN 'resolved' THEN 'unresolved' ELSE status END WHERE id = ?1",

    /* ---- retention (sqlite_retention.c): one batch is the max_batch oldest expired events,
     * chosen the same way by both statements of its transaction (received, id: an index) */
    [SQ_RET_MARK] = "INSERT OR IGNORE INTO issue_recount (issue_id) SELECT DISTINCT issue_id "
                    "FROM events WHERE id IN (SELECT id FROM events WHERE received < ?1 "
                    "ORDER BY received, id LIMIT ?2)",
    [SQ_RET_DELETE] = "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE received < ?1 "
                      "ORDER BY received, id LIMIT ?2)",
    [SQ_RET_PENDING] = "SELECT issue_id FROM issue_recount ORDER BY issue_id LIMIT ?",
    [SQ_RET_STATS] = "SELECT count(*), min(timestamp), max(timestamp) FROM events "
                     "WHERE issue_id = ?",
    [SQ_RET_USERS_PRUNE] = "DELETE FROM issue_users WHERE issue_id = ?1 AND user_key NOT IN "
                           "(SELECT user_key FROM events WHERE issue_id = ?1 "
                           "AND user_key IS NOT NULL)",
    [SQ_RET_ISSUE_UPDATE] = "UPDATE issues SET times_seen = ?2, first_seen = ?3, last_seen = ?4, "
                            "user_count = (SELECT count(*) FROM issue_users WHERE issue_id = ?1) "
                            "WHERE id = ?1",
    [SQ_RET_DONE] = "DELETE FROM issue_recount WHERE issue_id = ?",
};

/* ---- connections and the pool ----------------------------------------------------------- */

struct sq_conn *sq_acquire(struct sq_store *s)
{
    pthread_mutex_lock(&s->pool_mu);
    struct sq_conn *c = NULL;
    while (!c) {
        for (size_t i = 0; i < SQ_POOL_SIZE && !c; i++)
            if (!s->pool[i].in_use)
                c = &s->pool[i];
        if (!c)
            pthread_cond_wait(&s->pool_cv, &s->pool_mu);
    }
    c->in_use = true;
    pthread_mutex_unlock(&s->pool_mu);
    return c;
}

void sq_release(struct sq_store *s, struct sq_conn *c)
{
    pthread_mutex_lock(&s->pool_mu);
    c->in_use = false;
    pthread_cond_signal(&s->pool_cv);
    pthread_mutex_unlock(&s->pool_mu);
}

/* Maps a SQLite result code to the project's errors; what names the operation. */
enum err sq_err(sqlite3 *db, int rc, struct errinfo *ei, const char *what)
{
    const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
        return errinfo_set(ei, E_CONFLICT, "%s: already exists", what);
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_NOTADB:
        log_warn("sqlite: %s: %s (%d)", what, msg, rc);
        return errinfo_set(ei, E_UNAVAILABLE, "database unavailable: %s", msg);
    default:
        log_error("sqlite: %s: %s (%d)", what, msg, rc);
        return errinfo_set(ei, E_DB, "database error: %s", msg);
    }
}

static enum err sq_exec(sqlite3 *db, const char *sql, struct errinfo *ei, const char *what)
{
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? E_OK : sq_err(db, rc, ei, what);
}

/* vfs: NULL for the default, or SQ_WALBUF_VFS (the writer, whose synchronous = FULL the shim
 * relies on). */
static enum err sq_conn_open(struct sq_conn *c, const char *path, const char *vfs,
                             struct errinfo *ei)
{
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(path, &c->db, flags, vfs);
    if (rc != SQLITE_OK)
        return sq_err(c->db, rc, ei, "open");
    sqlite3_extended_result_codes(c->db, 1);
    sqlite3_busy_timeout(c->db, SQ_BUSY_MS);
    return sq_exec(c->db,
                   "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; "
                   "PRAGMA temp_store = MEMORY; PRAGMA cache_size = -8000;",
                   ei, "configure connection");
}

static void sq_conn_close(struct sq_conn *c)
{
    for (size_t i = 0; i < SQ__MAX; i++)
        sqlite3_finalize(c->stmts[i]);
    for (size_t i = 0; i < SQ_STMT_CACHE; i++)
        sqlite3_finalize(c->cache[i].s);
    sqlite3_close_v2(c->db);
    memset(c, 0, sizeof *c);
}

/* ---- queries: prepare, bind, step ------------------------------------------------------- */

sqlite3_stmt *sq_cache_acquire(struct sq_conn *c, const char *sql, struct sq_cached_stmt **slot,
                               int *rc)
{
    uint64_t h = hash_fnv1a(sql, HASH_FNV1A_BASIS);
    struct sq_cached_stmt *e = &c->cache[h % SQ_STMT_CACHE];
    sqlite3_stmt *s = NULL;
    *slot = NULL;
    *rc = SQLITE_OK;
    if (e->busy) /* a query run from inside another's rows: prepared for this use only */
        return (*rc = sqlite3_prepare_v2(c->db, sql, -1, &s, NULL)) == SQLITE_OK ? s : NULL;
    if (e->s && e->hash == h && strcmp(sqlite3_sql(e->s), sql) == 0) {
        e->busy = true;
        *slot = e;
        return e->s;
    }
    *rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL);
    if (*rc != SQLITE_OK)
        return NULL;
    sqlite3_finalize(e->s);
    *e = (struct sq_cached_stmt){.hash = h, .s = s, .busy = true};
    *slot = e;
    return s;
}

void sq_cache_release(sqlite3_stmt *s, struct sq_cached_stmt *slot)
{
    if (!slot) {
        sqlite3_finalize(s);
        return;
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    slot->busy = false;
}

enum err sq_prep(struct sq_conn *c, enum sq_stmt id, struct sq_q *q)
{
    *q = (struct sq_q){.db = c->db, .next = 1, .rc = SQLITE_OK};
    if (!c->stmts[id]) {
        int rc = sqlite3_prepare_v3(c->db, sq_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &c->stmts[id],
                                    NULL);
        if (rc != SQLITE_OK)
            return sq_err(c->db, rc, NULL, "prepare");
    }
    q->s = c->stmts[id];
    return E_OK;
}

static void sq_bound(struct sq_q *q, int rc)
{
    if (rc != SQLITE_OK && q->rc == SQLITE_OK)
        q->rc = rc;
    q->next++;
}

void sq_int(struct sq_q *q, int64_t v)
{
    sq_bound(q, sqlite3_bind_int64(q->s, q->next, v));
}

void sq_real(struct sq_q *q, double v)
{
    sq_bound(q, sqlite3_bind_double(q->s, q->next, v));
}

/* NULL binds SQL NULL. The text is borrowed until sq_done(). */
void sq_text(struct sq_q *q, const char *v)
{
    sq_bound(q, v ? sqlite3_bind_text(q->s, q->next, v, -1, SQLITE_STATIC)
                  : sqlite3_bind_null(q->s, q->next));
}

void sq_blob(struct sq_q *q, const void *p, size_t n)
{
    sq_bound(q, p ? sqlite3_bind_blob64(q->s, q->next, p, n, SQLITE_STATIC)
                  : sqlite3_bind_null(q->s, q->next));
}

int sq_step(struct sq_q *q)
{
    return q->rc != SQLITE_OK ? q->rc : sqlite3_step(q->s);
}

void sq_done(struct sq_q *q)
{
    if (!q->s)
        return;
    if (q->owned) {
        sqlite3_finalize(q->s);
    } else {
        sqlite3_reset(q->s);
        sqlite3_clear_bindings(q->s);
    }
    q->s = NULL;
}

/* Runs a statement that returns no rows (or ignores them); *changes may be NULL. */
enum err sq_run(struct sq_q *q, struct errinfo *ei, const char *what, int *changes)
{
    int rc = sq_step(q);
    while (rc == SQLITE_ROW)
        rc = sqlite3_step(q->s);
    enum err e = rc == SQLITE_DONE ? E_OK : sq_err(q->db, rc, ei, what);
    if (changes)
        *changes = e ? 0 : sqlite3_changes(q->db);
    sq_done(q);
    return e;
}

/* Runs a statement whose first row's first column is an integer: E_NOTFOUND if no row. */
enum err sq_run_int(struct sq_q *q, struct errinfo *ei, const char *what, int64_t *out)
{
    int rc = sq_step(q);
    enum err e = E_NOTFOUND;
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(q->s, 0);
        e = E_OK;
        do
            rc = sqlite3_step(q->s);
        while (rc == SQLITE_ROW);
    }
    if (rc != SQLITE_DONE)
        e = sq_err(q->db, rc, ei, what);
    sq_done(q);
    return e;
}

/* ---- rows into the caller's arena ------------------------------------------------------- */

/* Column col as an arena string; NULL stays NULL. */
const char *sq_col_text(struct sq_row *r, int col)
{
    const unsigned char *t = sqlite3_column_text(r->s, col);
    if (!t)
        return NULL;
    char *p = arena_strndup(r->a, (const char *)t, (size_t)sqlite3_column_bytes(r->s, col));
    if (!p)
        r->oom = true;
    return p;
}

int64_t sq_col_int(struct sq_row *r, int col)
{
    return sqlite3_column_int64(r->s, col);
}

double sq_col_real(struct sq_row *r, int col)
{
    return sqlite3_column_double(r->s, col);
}

void sq_fill_user(struct sq_row *r, void *out)
{
    struct store_user *u = out;
    u->id = sq_col_int(r, 0);
    u->email = sq_col_text(r, 1);
    u->password_hash = sq_col_text(r, 2);
    u->is_superuser = sq_col_int(r, 3) != 0;
    u->created = sq_col_real(r, 4);
}

void sq_fill_org(struct sq_row *r, void *out)
{
    struct store_org *o = out;
    o->id = sq_col_int(r, 0);
    o->slug = sq_col_text(r, 1);
    o->name = sq_col_text(r, 2);
    o->created = sq_col_real(r, 3);
}

void sq_fill_team(struct sq_row *r, void *out)
{
    struct store_team *t = out;
    t->id = sq_col_int(r, 0);
    t->org_id = sq_col_int(r, 1);
    t->slug = sq_col_text(r, 2);
    t->name = sq_col_text(r, 3);
    t->created = sq_col_real(r, 4);
}

void sq_fill_project(struct sq_row *r, void *out)
{
    struct store_project *p = out;
    p->id = sq_col_int(r, 0);
    p->org_id = sq_col_int(r, 1);
    p->slug = sq_col_text(r, 2);
    p->name = sq_col_text(r, 3);
    p->platform = sq_col_text(r, 4);
    p->org_slug = sq_col_text(r, 5);
    p->created = sq_col_real(r, 6);
}

void sq_fill_key(struct sq_row *r, void *out)
{
    struct store_key *k = out;
    k->id = sq_col_int(r, 0);
    k->project_id = sq_col_int(r, 1);
    k->public_key = sq_col_text(r, 2);
    k->label = sq_col_text(r, 3);
    k->active = sq_col_int(r, 4) != 0;
    k->created = sq_col_real(r, 5);
    k->rate_window = sq_col_int(r, 6);
    k->rate_count = sq_col_int(r, 7);
}

void sq_fill_issue(struct sq_row *r, void *out)
{
    struct store_issue *i = out;
    i->id = sq_col_int(r, 0);
    i->project_id = sq_col_int(r, 1);
    i->short_num = sq_col_int(r, 2);
    i->project_slug = sq_col_text(r, 3);
    i->hash = sq_col_text(r, 4);
    i->title = sq_col_text(r, 5);
    i->culprit = sq_col_text(r, 6);
    i->type = sq_col_text(r, 7);
    i->level = sq_col_text(r, 8);
    i->status = sq_col_text(r, 9);
    i->metadata_json = sq_col_text(r, 10);
    i->first_seen = sq_col_real(r, 11);
    i->last_seen = sq_col_real(r, 12);
    i->count = sq_col_int(r, 13);
    i->user_count = sq_col_int(r, 14);
    i->platform = sq_col_text(r, 15);
    i->logger = sq_col_text(r, 16);
}

void sq_fill_event(struct sq_row *r, void *out)
{
    struct store_event_row *ev = out;
    ev->id = sq_col_int(r, 0);
    ev->project_id = sq_col_int(r, 1);
    ev->issue_id = sq_col_int(r, 2);
    const unsigned char *eid = sqlite3_column_text(r->s, 3);
    size_t len = eid ? (size_t)sqlite3_column_bytes(r->s, 3) : 0;
    if (len >= sizeof ev->event_id)
        len = sizeof ev->event_id - 1;
    if (len)
        memcpy(ev->event_id, eid, len);
    ev->event_id[len] = '\0';
    ev->timestamp = sq_col_real(r, 4);
    ev->received = sq_col_real(r, 5);
    ev->data = NULL;
    ev->data_len = (size_t)sqlite3_column_bytes(r->s, 6);
    const void *blob = sqlite3_column_blob(r->s, 6);
    if (!blob || !ev->data_len) {
        ev->data_len = 0;
        return;
    }
    void *copy = arena_alloc(r->a, ev->data_len);
    if (copy)
        memcpy(copy, blob, ev->data_len);
    else
        r->oom = true;
    ev->data = copy;
}

/* One row into out: E_NOTFOUND when there is none. */
enum err sq_one(struct sq_q *q, struct arena *a, sq_fill_fn fill, void *out)
{
    int rc = sq_step(q);
    enum err e = E_NOTFOUND;
    if (rc == SQLITE_ROW) {
        struct sq_row r = {q->s, a, false};
        fill(&r, out);
        e = r.oom ? E_TOOBIG : E_OK;
    } else if (rc != SQLITE_DONE) {
        e = sq_err(q->db, rc, NULL, "query");
    }
    sq_done(q);
    return e;
}

/* Grows an arena array to hold at least n + 1 elements; NULL when over budget. */
static char *sq_grow(struct arena *a, char *rows, size_t n, size_t *cap, size_t elsize)
{
    if (n < *cap)
        return rows;
    size_t ncap = *cap ? *cap * 2 : 16;
    char *p = arena_calloc(a, ncap, elsize);
    if (p && n)
        memcpy(p, rows, n * elsize);
    *cap = ncap;
    return p;
}

/* All rows into an arena array of elsize-byte structs. */
enum err sq_list(struct sq_q *q, struct arena *a, sq_fill_fn fill, size_t elsize, void **rows,
                 size_t *n)
{
    char *arr = NULL;
    size_t count = 0, cap = 0;
    enum err e = E_OK;
    int rc;
    for (;;) {
        rc = sq_step(q);
        if (rc != SQLITE_ROW)
            break;
        arr = sq_grow(a, arr, count, &cap, elsize);
        struct sq_row r = {q->s, a, false};
        if (arr)
            fill(&r, arr + count * elsize);
        if (!arr || r.oom) {
            e = E_TOOBIG;
            goto out;
        }
        count++;
    }
    if (rc != SQLITE_DONE)
        e = sq_err(q->db, rc, NULL, "query");
out:
    sq_done(q);
    *rows = e ? NULL : arr;
    *n = e ? 0 : count;
    return e;
}

/* ---- generic lookups on a pool connection ----------------------------------------------- */

/* A one-row lookup on a pool connection by a text key, preceded by an integer one when the
 * statement takes two parameters (e.g. org_id, slug). */
enum err sq_get_by_text(struct store *st, enum sq_stmt id, int64_t k1, const char *k2,
                        struct arena *a, sq_fill_fn fill, void *out)
{
    struct sq_store *s = sq_of(st);
    struct sq_conn *c = sq_acquire(s);
    struct sq_q q;
    enum err e = sq_prep(c, id, &q);
    if (!e) {
        if (sqlite3_bind_parameter_count(q.s) == 2)
            sq_int(&q, k1);
        sq_text(&q, k2);
        e = sq_one(&q, a, fill, out);
    }
    sq_release(s, c);
    return e;
}

enum err sq_get_by_id(struct store *st, enum sq_stmt id, int64_t key, struct arena *a,
                      sq_fill_fn fill, void *out)
{
    struct sq_store *s = sq_of(st);
    struct sq_conn *c = sq_acquire(s);
    struct sq_q q;
    enum err e = sq_prep(c, id, &q);
    if (!e) {
        sq_int(&q, key);
        e = sq_one(&q, a, fill, out);
    }
    sq_release(s, c);
    return e;
}

/* A list by one integer key (or none when key is 0 and the statement takes none). */
enum err sq_list_by_id(struct store *st, enum sq_stmt id, int64_t key, struct arena *a,
                       sq_fill_fn fill, size_t elsize, void **rows, size_t *n)
{
    struct sq_store *s = sq_of(st);
    struct sq_conn *c = sq_acquire(s);
    struct sq_q q;
    enum err e = sq_prep(c, id, &q);
    if (!e) {
        if (sqlite3_bind_parameter_count(q.s) > 0)
            sq_int(&q, key);
        e = sq_list(&q, a, fill, elsize, rows, n);
    }
    sq_release(s, c);
    return e;
}

enum err sq_count(struct store *st, enum sq_stmt id, int64_t key, int64_t *out)
{
    struct sq_store *s = sq_of(st);
    struct sq_conn *c = sq_acquire(s);
    struct sq_q q;
    enum err e = sq_prep(c, id, &q);
    if (!e) {
        if (sqlite3_bind_parameter_count(q.s) > 0)
            sq_int(&q, key);
        e = sq_run_int(&q, NULL, "count", out);
    }
    sq_release(s, c);
    return e;
}

/* ---- transactions ----------------------------------------------------------------------- */

static enum err sq_simple(struct sq_conn *c, enum sq_stmt id, struct errinfo *ei)
{
    struct sq_q q;
    enum err e = sq_prep(c, id, &q);
    return e ? e : sq_run(&q, ei, sq_sql[id], NULL);
}

enum err sq_begin(struct sq_conn *c, struct errinfo *ei)
{
    return sq_simple(c, SQ_BEGIN, ei);
}

static enum err sq_commit(struct sq_conn *c, struct errinfo *ei)
{
    return sq_simple(c, SQ_COMMIT, ei);
}

/* Rolls back whatever transaction is open (none is fine). */
static void sq_rollback(struct sq_conn *c)
{
    if (!sqlite3_get_autocommit(c->db) && sq_simple(c, SQ_ROLLBACK, NULL) != E_OK)
        log_error("sqlite: rollback failed: %s", sqlite3_errmsg(c->db));
}

/* Ends the transaction: commit when e is E_OK (its failure becomes the result), else
 * roll back. Returns the outcome. */
enum err sq_finish(struct sq_conn *c, enum err e, struct errinfo *ei)
{
    if (!e)
        e = sq_commit(c, ei);
    if (e)
        sq_rollback(c);
    return e;
}

/* ---- lifecycle -------------------------------------------------------------------------- */

static void sq_close(struct store *st)
{
    struct sq_store *s = sq_of(st);
    sq_ckpt_stop(s);
    sq_conn_close(&s->writer);
    for (size_t i = 0; i < SQ_POOL_SIZE; i++)
        sq_conn_close(&s->pool[i]);
    pthread_mutex_destroy(&s->writer_mu);
    pthread_mutex_destroy(&s->pool_mu);
    pthread_cond_destroy(&s->pool_cv);
    free(s);
}

/* Switches the database to WAL (persistent in the file) and checks it took. */
static enum err sq_enable_wal(sqlite3 *db, struct errinfo *ei)
{
    sqlite3_stmt *s = NULL;
    enum err e = E_OK;
    int rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &s, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        e = sq_err(db, rc, ei, "enable WAL");
        goto out;
    }
    const unsigned char *mode = sqlite3_column_text(s, 0);
    if (!mode || strcmp((const char *)mode, "wal") != 0)
        e = errinfo_set(ei, E_UNAVAILABLE, "database cannot use WAL mode (got %s)",
                        mode ? (const char *)mode : "nothing");
out:
    sqlite3_finalize(s);
    return e;
}

static const struct store_ops sq_ops;

enum err store_sqlite_open(const char *path, struct store **out, struct errinfo *ei)
{
    if (!sqlite3_threadsafe()) /* the pool hands connections across threads */
        return errinfo_set(ei, E_UNAVAILABLE, "SQLite library built without thread support");
    struct sq_store *s = xcalloc(1, sizeof *s);
    s->base.ops = &sq_ops;
    atomic_init(&s->base.fail_after, 0);
    pthread_mutex_init(&s->writer_mu, NULL);
    pthread_mutex_init(&s->pool_mu, NULL);
    pthread_cond_init(&s->pool_cv, NULL);
    /* The writer gathers each commit's WAL frames into one write (sqlite_walbuf.h). */
    const char *vfs = sq_walbuf_register() == SQLITE_OK ? SQ_WALBUF_VFS : NULL;
    enum err e = sq_conn_open(&s->writer, path, vfs, ei);
    if (!e)
        e = sq_enable_wal(s->writer.db, ei);
    for (size_t i = 0; i < SQ_POOL_SIZE && !e; i++)
        e = sq_conn_open(&s->pool[i], path, NULL, ei);
    if (e) {
        sq_close(&s->base);
        return e;
    }
    sq_ckpt_start(s, path);
    *out = &s->base;
    return E_OK;
}

static enum err sq_ping(struct store *st)
{
    struct sq_store *s = sq_of(st);
    struct sq_conn *c = sq_acquire(s);
    int64_t one = 0;
    struct sq_q q;
    enum err e = sq_prep(c, SQ_PING, &q);
    if (!e)
        e = sq_run_int(&q, NULL, "ping", &one);
    sq_release(s, c);
    return e ? E_UNAVAILABLE : E_OK;
}

/* ---- migrations ------------------------------------------------------------------------- */

/* The leading number of "NNNN_name.sql"; 0 when there is none. */
static int64_t sq_migration_version(const char *name)
{
    int64_t v = 0;
    for (const char *p = name; *p >= '0' && *p <= '9' && v < INT32_MAX; p++)
        v = v * 10 + (*p - '0');
    return v;
}

/* Applies one migration unless the database is already at or past it (checked inside the
 * write transaction, so two processes migrating at once cannot both apply it). */
static enum err sq_migrate_one(struct sq_conn *c, const struct embedded_file *f, int64_t v,
                               struct errinfo *ei)
{
    int64_t current = 0;
    struct sq_q q;
    enum err e = sq_begin(c, ei);
    if (e)
        return e;
    e = sq_prep(c, SQ_MIG_VERSION, &q);
    if (!e)
        e = sq_run_int(&q, ei, "read schema version", &current);
    if (e || current >= v)
        goto out;
    log_info("sqlite: applying migration %s", f->name);
    e = sq_exec(c->db, (const char *)f->data, ei, f->name);
    if (!e)
        e = sq_prep(c, SQ_MIG_RECORD, &q);
    if (e)
        goto out;
    sq_int(&q, v);
    sq_text(&q, f->name);
    sq_real(&q, clock_now());
    e = sq_run(&q, ei, "record migration", NULL);
out:
    return sq_finish(c, e, ei);
}

static enum err sq_migrate(struct store *st, struct errinfo *ei)
{
    struct sq_store *s = sq_of(st);
    pthread_mutex_lock(&s->writer_mu);
    enum err e = sq_exec(s->writer.db,
                         "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER "
                         "PRIMARY KEY, name TEXT NOT NULL, applied REAL NOT NULL)",
                         ei, "create schema_migrations");
    for (const struct embedded_file *f = snag_migrations_sqlite; f->name && !e; f++) {
        int64_t v = sq_migration_version(f->name);
        if (v <= 0)
            e = errinfo_set(ei, E_DB, "migration %s has no version number", f->name);
        else
            e = sq_migrate_one(&s->writer, f, v, ei);
    }
    pthread_mutex_unlock(&s->writer_mu);
    return e;
}

static const struct store_ops sq_ops = {
    .name = "sqlite",
    .close = sq_close,
    .migrate = sq_migrate,
    .ping = sq_ping,
    .ingest_batch = sq_ingest_batch,
    .user_create = sq_user_create,
    .user_by_email = sq_user_by_email,
    .user_by_id = sq_user_by_id,
    .user_set_password = sq_user_set_password,
    .user_count = sq_user_count,
    .token_create = sq_token_create,
    .token_lookup = sq_token_lookup,
    .org_create = sq_org_create,
    .org_by_slug = sq_org_by_slug,
    .org_list_for_user = sq_org_list_for_user,
    .org_member_role = sq_org_member_role,
    .team_create = sq_team_create,
    .team_by_slug = sq_team_by_slug,
    .team_list = sq_team_list,
    .project_create = sq_project_create,
    .project_by_slug = sq_project_by_slug,
    .project_by_id = sq_project_by_id,
    .project_list = sq_project_list,
    .key_create = sq_key_create,
    .key_list = sq_key_list,
    .key_by_public = sq_key_by_public,
    .issue_by_id = sq_issue_by_id,
    .issue_set_status = sq_issue_set_status,
    .issue_delete = sq_issue_delete,
    .event_edge_for_issue = sq_event_edge_for_issue,
    .event_by_id = sq_event_by_id,
    .event_count = sq_event_count,
    .retention_run = sq_retention_run,
    .partitions_maintain = sq_partitions_maintain,
    .auth = &sq_auth_ops,
    .orgs = &sq_orgs_ops,
};
