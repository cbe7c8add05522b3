/* sqlite: the embedded storage backend (store_int.h's ops over one SQLite database file).
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
#include "store/store_int.h"

#include <assert.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/embedded.h"
#include "core/log.h"
#include "core/xmalloc.h"

extern const struct embedded_file snag_migrations_sqlite[];

#define SQ_POOL_SIZE 4
#define SQ_BUSY_MS 5000
#define SQ_TOKEN_TOUCH_SECS 60.0 /* last_used is refreshed at most this often */

/* ---- statements ------------------------------------------------------------------------ */

#define USER_COLS "u.id, u.email, u.password_hash, u.is_superuser, u.created"
#define ORG_COLS "o.id, o.slug, o.name, o.created"
#define TEAM_COLS "t.id, t.org_id, t.slug, t.name, t.created"
#define PROJECT_COLS "p.id, p.org_id, p.slug, p.name, p.platform, o.slug, p.created"
#define PROJECT_FROM " FROM projects p JOIN organizations o ON o.id = p.org_id"
#define KEY_COLS "k.id, k.project_id, k.public_key, k.label, k.active, k.created"
#define ISSUE_COLS                                                                                 \
    "i.id, i.project_id, i.short_num, p.slug, i.hash, i.title, i.culprit, i.type, i.level, "       \
    "i.status, i.metadata, i.first_seen, i.last_seen, i.times_seen, i.user_count, i.platform, "    \
    "i.logger"
#define ISSUE_FROM " FROM issues i JOIN projects p ON p.id = i.project_id"
#define EVENT_COLS "e.id, e.project_id, e.issue_id, e.event_id, e.timestamp, e.received, e.data"

enum sq_stmt {
    SQ_BEGIN,
    SQ_COMMIT,
    SQ_ROLLBACK,
    SQ_PING,
    SQ_MIG_VERSION,
    SQ_MIG_RECORD,
    SQ_USER_INSERT,
    SQ_USER_BY_EMAIL,
    SQ_USER_BY_ID,
    SQ_USER_SET_PASSWORD,
    SQ_USER_COUNT,
    SQ_TOKEN_INSERT,
    SQ_TOKEN_LOOKUP,
    SQ_TOKEN_TOUCH,
    SQ_ORG_INSERT,
    SQ_MEMBER_INSERT,
    SQ_ORG_BY_SLUG,
    SQ_ORG_BY_ID,
    SQ_ORG_LIST_ALL,
    SQ_ORG_LIST_USER,
    SQ_MEMBER_ROLE,
    SQ_TEAM_INSERT,
    SQ_TEAM_BY_SLUG,
    SQ_TEAM_BY_ID,
    SQ_TEAM_LIST,
    SQ_PROJECT_INSERT,
    SQ_PROJECT_TEAM_INSERT,
    SQ_PROJECT_BY_SLUG,
    SQ_PROJECT_BY_ID,
    SQ_PROJECT_LIST,
    SQ_KEY_INSERT,
    SQ_KEY_BY_ID,
    SQ_KEY_LIST,
    SQ_KEY_BY_PUBLIC,
    SQ_ISSUE_BY_ID,
    SQ_ISSUE_SET_STATUS,
    SQ_ISSUE_DELETE,
    SQ_EVENT_LIST,
    SQ_EVENT_LATEST,
    SQ_EVENT_OLDEST,
    SQ_EVENT_BY_ID,
    SQ_EVENT_COUNT,
    SQ_EVENT_COUNT_ALL,
    SQ_ING_ISSUE_FIND,
    SQ_ING_EVENT_FIND,
    SQ_ING_COUNTER,
    SQ_ING_ISSUE_INSERT,
    SQ_ING_EVENT_INSERT,
    SQ_ING_USER_INSERT,
    SQ_ING_ISSUE_UPDATE,
    SQ__MAX
};

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
    [SQ_EVENT_LIST] = "SELECT " EVENT_COLS " FROM events e WHERE e.issue_id = ? "
                      "ORDER BY e.received DESC, e.id DESC LIMIT ? OFFSET ?",
    [SQ_EVENT_LATEST] = "SELECT " EVENT_COLS " FROM events e WHERE e.issue_id = ? "
                        "ORDER BY e.received DESC, e.id DESC LIMIT 1",
    [SQ_EVENT_OLDEST] = "SELECT " EVENT_COLS " FROM events e WHERE e.issue_id = ? "
                        "ORDER BY e.received, e.id LIMIT 1",
    [SQ_EVENT_BY_ID] = "SELECT " EVENT_COLS " FROM events e "
                       "WHERE e.project_id = ? AND e.event_id = ?",
    [SQ_EVENT_COUNT] = "SELECT count(*) FROM events WHERE project_id = ?",
    [SQ_EVENT_COUNT_ALL] = "SELECT count(*) FROM events",
    [SQ_ING_ISSUE_FIND] = "SELECT id FROM issues WHERE project_id = ? AND hash = ?",
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
    /* Right-hand sides see the row as it was, so "?3 >= last_seen" means "this event is
     * the newest so far" for every column. */
    [SQ_ING_ISSUE_UPDATE] =
        "UPDATE issues SET times_seen = times_seen + 1, user_count = user_count + ?2, "
        "status = CASE status WHEN 'resolved' THEN 'unresolved' ELSE status END, "
        "level = CASE WHEN ?3 >= last_seen THEN coalesce(?4, level) ELSE level END, "
        "title = CASE WHEN ?3 >= last_seen THEN coalesce(?5, title) ELSE title END, "
        "culprit = CASE WHEN ?3 >= last_seen THEN coalesce(?6, culprit) ELSE culprit END, "
        "type = CASE WHEN ?3 >= last_seen THEN coalesce(?7, type) ELSE type END, "
        "metadata = CASE WHEN ?3 >= last_seen THEN coalesce(?8, metadata) ELSE metadata END, "
        "first_seen = min(first_seen, ?3), last_seen = max(last_seen, ?3) WHERE id = ?1",
};

/* ---- connections and the pool ----------------------------------------------------------- */

struct sq_conn {
    sqlite3 *db;
    sqlite3_stmt *stmts[SQ__MAX];
    bool in_use;
};

struct sq_store {
    struct store base;
    struct sq_conn writer;
    pthread_mutex_t writer_mu;
    struct sq_conn pool[SQ_POOL_SIZE];
    pthread_mutex_t pool_mu;
    pthread_cond_t pool_cv;
};

static struct sq_store *sq_of(struct store *st)
{
    return (struct sq_store *)st;
}

static struct sq_conn *sq_acquire(struct sq_store *s)
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

static void sq_release(struct sq_store *s, struct sq_conn *c)
{
    pthread_mutex_lock(&s->pool_mu);
    c->in_use = false;
    pthread_cond_signal(&s->pool_cv);
    pthread_mutex_unlock(&s->pool_mu);
}

/* Maps a SQLite result code to the project's errors; what names the operation. */
static enum err sq_err(sqlite3 *db, int rc, struct errinfo *ei, const char *what)
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

static enum err sq_conn_open(struct sq_conn *c, const char *path, struct errinfo *ei)
{
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(path, &c->db, flags, NULL);
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
    sqlite3_close_v2(c->db);
    memset(c, 0, sizeof *c);
}

/* ---- queries: prepare, bind, step ------------------------------------------------------- */

/* A statement in use: binds go to the next parameter; the first bind error is kept. */
struct sq_q {
    sqlite3 *db;
    sqlite3_stmt *s;
    int next, rc;
    bool owned; /* prepared for this call only: finalize instead of reset */
};

static enum err sq_prep(struct sq_conn *c, enum sq_stmt id, struct sq_q *q)
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

static void sq_int(struct sq_q *q, int64_t v)
{
    sq_bound(q, sqlite3_bind_int64(q->s, q->next, v));
}

static void sq_real(struct sq_q *q, double v)
{
    sq_bound(q, sqlite3_bind_double(q->s, q->next, v));
}

/* NULL binds SQL NULL. The text is borrowed until sq_done(). */
static void sq_text(struct sq_q *q, const char *v)
{
    sq_bound(q, v ? sqlite3_bind_text(q->s, q->next, v, -1, SQLITE_STATIC)
                  : sqlite3_bind_null(q->s, q->next));
}

static void sq_blob(struct sq_q *q, const void *p, size_t n)
{
    sq_bound(q, p ? sqlite3_bind_blob64(q->s, q->next, p, n, SQLITE_STATIC)
                  : sqlite3_bind_null(q->s, q->next));
}

static int sq_step(struct sq_q *q)
{
    return q->rc != SQLITE_OK ? q->rc : sqlite3_step(q->s);
}

static void sq_done(struct sq_q *q)
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
static enum err sq_run(struct sq_q *q, struct errinfo *ei, const char *what, int *changes)
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
static enum err sq_run_int(struct sq_q *q, struct errinfo *ei, const char *what, int64_t *out)
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

struct sq_row {
    sqlite3_stmt *s;
    struct arena *a;
    bool oom; /* the arena ran out of budget */
};

typedef void (*sq_fill_fn)(struct sq_row *r, void *out);

/* Column col as an arena string; NULL stays NULL. */
static const char *sq_col_text(struct sq_row *r, int col)
{
    const unsigned char *t = sqlite3_column_text(r->s, col);
    if (!t)
        return NULL;
    char *p = arena_strndup(r->a, (const char *)t, (size_t)sqlite3_column_bytes(r->s, col));
    if (!p)
        r->oom = true;
    return p;
}

static int64_t sq_col_int(struct sq_row *r, int col)
{
    return sqlite3_column_int64(r->s, col);
}

static double sq_col_real(struct sq_row *r, int col)
{
    return sqlite3_column_double(r->s, col);
}

static void sq_fill_user(struct sq_row *r, void *out)
{
    struct store_user *u = out;
    u->id = sq_col_int(r, 0);
    u->email = sq_col_text(r, 1);
    u->password_hash = sq_col_text(r, 2);
    u->is_superuser = sq_col_int(r, 3) != 0;
    u->created = sq_col_real(r, 4);
}

static void sq_fill_org(struct sq_row *r, void *out)
{
    struct store_org *o = out;
    o->id = sq_col_int(r, 0);
    o->slug = sq_col_text(r, 1);
    o->name = sq_col_text(r, 2);
    o->created = sq_col_real(r, 3);
}

static void sq_fill_team(struct sq_row *r, void *out)
{
    struct store_team *t = out;
    t->id = sq_col_int(r, 0);
    t->org_id = sq_col_int(r, 1);
    t->slug = sq_col_text(r, 2);
    t->name = sq_col_text(r, 3);
    t->created = sq_col_real(r, 4);
}

static void sq_fill_project(struct sq_row *r, void *out)
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

static void sq_fill_key(struct sq_row *r, void *out)
{
    struct store_key *k = out;
    k->id = sq_col_int(r, 0);
    k->project_id = sq_col_int(r, 1);
    k->public_key = sq_col_text(r, 2);
    k->label = sq_col_text(r, 3);
    k->active = sq_col_int(r, 4) != 0;
    k->created = sq_col_real(r, 5);
}

static void sq_fill_issue(struct sq_row *r, void *out)
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

static void sq_fill_event(struct sq_row *r, void *out)
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
static enum err sq_one(struct sq_q *q, struct arena *a, sq_fill_fn fill, void *out)
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
static enum err sq_list(struct sq_q *q, struct arena *a, sq_fill_fn fill, size_t elsize,
                        void **rows, size_t *n)
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

/* ---- transactions ----------------------------------------------------------------------- */

static enum err sq_simple(struct sq_conn *c, enum sq_stmt id, struct errinfo *ei)
{
    struct sq_q q;
    enum err e = sq_prep(c, id, &q);
    return e ? e : sq_run(&q, ei, sq_sql[id], NULL);
}

static enum err sq_begin(struct sq_conn *c, struct errinfo *ei)
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
static enum err sq_finish(struct sq_conn *c, enum err e, struct errinfo *ei)
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
    enum err e = sq_conn_open(&s->writer, path, ei);
    if (!e)
        e = sq_enable_wal(s->writer.db, ei);
    for (size_t i = 0; i < SQ_POOL_SIZE && !e; i++)
        e = sq_conn_open(&s->pool[i], path, ei);
    if (e) {
        sq_close(&s->base);
        return e;
    }
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

/* ---- ingest ----------------------------------------------------------------------------- */

/* The issue of the event already stored under ev's event_id (E_NOTFOUND if none). */
static enum err sq_ing_event_find(struct sq_conn *c, const struct store_event_in *ev,
                                  int64_t *issue_id, struct errinfo *ei)
{
    struct sq_q q;
    enum err e = sq_prep(c, SQ_ING_EVENT_FIND, &q);
    if (e)
        return e;
    sq_int(&q, ev->project_id);
    sq_text(&q, ev->event_id);
    return sq_run_int(&q, ei, "find event", issue_id);
}

static enum err sq_ing_issue_find(struct sq_conn *c, const struct store_event_in *ev,
                                  int64_t *issue_id, struct errinfo *ei)
{
    struct sq_q q;
    enum err e = sq_prep(c, SQ_ING_ISSUE_FIND, &q);
    if (e)
        return e;
    sq_int(&q, ev->project_id);
    sq_text(&q, ev->hash);
    return sq_run_int(&q, ei, "find issue", issue_id);
}

/* Creates the issue with the project's next short number; counters start at zero (the
 * update that follows counts the event). */
static enum err sq_ing_issue_create(struct sq_conn *c, const struct store_event_in *ev,
                                    int64_t *issue_id, struct errinfo *ei)
{
    int64_t short_num = 0;
    struct sq_q q;
    enum err e = sq_prep(c, SQ_ING_COUNTER, &q);
    if (e)
        return e;
    sq_int(&q, ev->project_id);
    e = sq_run_int(&q, ei, "bump issue counter", &short_num);
    if (e == E_NOTFOUND)
        return errinfo_set(ei, E_NOTFOUND, "project %lld not found", (long long)ev->project_id);
    if (!e)
        e = sq_prep(c, SQ_ING_ISSUE_INSERT, &q);
    if (e)
        return e;
    sq_int(&q, ev->project_id);
    sq_text(&q, ev->hash);
    sq_int(&q, short_num);
    sq_text(&q, ev->title);
    sq_text(&q, ev->culprit);
    sq_text(&q, ev->type);
    sq_text(&q, ev->level);
    sq_text(&q, ev->metadata_json);
    sq_real(&q, ev->timestamp);
    sq_real(&q, ev->timestamp);
    sq_text(&q, ev->platform);
    sq_text(&q, ev->logger);
    e = sq_run(&q, ei, "insert issue", NULL);
    if (!e)
        *issue_id = sqlite3_last_insert_rowid(c->db);
    return e;
}

/* Inserts the event; *stored is false when its event_id was already there. */
static enum err sq_ing_event_insert(struct sq_conn *c, const struct store_event_in *ev,
                                    int64_t issue_id, bool *stored, struct errinfo *ei)
{
    struct sq_q q;
    int changes = 0;
    enum err e = sq_prep(c, SQ_ING_EVENT_INSERT, &q);
    if (e)
        return e;
    sq_int(&q, ev->project_id);
    sq_int(&q, issue_id);
    sq_text(&q, ev->event_id);
    sq_real(&q, ev->timestamp);
    sq_real(&q, ev->received);
    sq_text(&q, ev->level);
    sq_text(&q, ev->platform);
    sq_text(&q, ev->environment);
    sq_text(&q, ev->release);
    sq_text(&q, ev->transaction);
    sq_text(&q, ev->user_key);
    sq_text(&q, ev->message);
    sq_blob(&q, ev->data_len ? ev->data : NULL, ev->data_len);
    e = sq_run(&q, ei, "insert event", &changes);
    *stored = changes > 0;
    return e;
}

/* Records the event's user; *is_new is true when the issue had not seen it. */
static enum err sq_ing_user(struct sq_conn *c, const struct store_event_in *ev, int64_t issue_id,
                            bool *is_new, struct errinfo *ei)
{
    struct sq_q q;
    int changes = 0;
    *is_new = false;
    if (!ev->user_key || !*ev->user_key)
        return E_OK;
    enum err e = sq_prep(c, SQ_ING_USER_INSERT, &q);
    if (e)
        return e;
    sq_int(&q, issue_id);
    sq_text(&q, ev->user_key);
    e = sq_run(&q, ei, "insert issue user", &changes);
    *is_new = changes > 0;
    return e;
}

static enum err sq_ing_issue_update(struct sq_conn *c, const struct store_event_in *ev,
                                    int64_t issue_id, bool new_user, struct errinfo *ei)
{
    struct sq_q q;
    enum err e = sq_prep(c, SQ_ING_ISSUE_UPDATE, &q);
    if (e)
        return e;
    sq_int(&q, issue_id);
    sq_int(&q, new_user ? 1 : 0);
    sq_real(&q, ev->timestamp);
    sq_text(&q, ev->level);
    sq_text(&q, ev->title);
    sq_text(&q, ev->culprit);
    sq_text(&q, ev->type);
    sq_text(&q, ev->metadata_json);
    return sq_run(&q, ei, "update issue", NULL);
}

/* One event of a batch, inside the batch's transaction. */
static enum err sq_ing_one(struct sq_conn *c, struct store_event_in *ev, struct errinfo *ei)
{
    int64_t issue_id = 0;
    bool stored = false, new_user = false;
    enum err e = sq_ing_issue_find(c, ev, &issue_id, ei);
    if (e == E_NOTFOUND) {
        /* Do not create an issue for an event that turns out to be a duplicate. */
        e = sq_ing_event_find(c, ev, &ev->issue_id, ei);
        if (e == E_OK) {
            ev->duplicate = true;
            return E_OK;
        }
        if (e == E_NOTFOUND)
            e = sq_ing_issue_create(c, ev, &issue_id, ei);
    }
    if (!e)
        e = sq_ing_event_insert(c, ev, issue_id, &stored, ei);
    if (!e && !stored) {
        ev->duplicate = true;
        return sq_ing_event_find(c, ev, &ev->issue_id, ei);
    }
    if (!e)
        e = sq_ing_user(c, ev, issue_id, &new_user, ei);
    if (!e)
        e = sq_ing_issue_update(c, ev, issue_id, new_user, ei);
    ev->issue_id = issue_id;
    return e;
}

static enum err sq_ingest_batch(struct store *st, struct store_event_in *evs, size_t n,
                                struct errinfo *ei)
{
    struct sq_store *s = sq_of(st);
    pthread_mutex_lock(&s->writer_mu);
    enum err e = sq_begin(&s->writer, ei);
    if (!e) {
        for (size_t i = 0; i < n && !e; i++)
            e = sq_ing_one(&s->writer, &evs[i], ei);
        e = sq_finish(&s->writer, e, ei);
    }
    pthread_mutex_unlock(&s->writer_mu);
    return e;
}

/* ---- users and tokens ------------------------------------------------------------------- */

static enum err sq_user_create(struct store *st, const char *email, const char *password_hash,
                               bool is_superuser, int64_t *id_out, struct errinfo *ei)
{
    struct sq_store *s = sq_of(st);
    struct sq_conn *c = sq_acquire(s);
    struct sq_q q;
    enum err e = sq_prep(c, SQ_USER_INSERT, &q);
    if (e)
        goto out;
    sq_text(&q, email);
    sq_text(&q, password_hash);
    sq_int(&q, is_superuser);
    sq_real(&q, clock_now());
    e = sq_run(&q, ei, "create user", NULL);
    if (!e && id_out)
        *id_out = sqlite3_last_insert_rowid(c->db);
    if (e == E_CONFLICT)
        errinfo_set(ei, E_CONFLICT, "a user with this email already exists");
out:
    sq_release(s, c);
    return e;
}

/* A one-row lookup on a pool connection by a text key, preceded by an integer one when the
 * statement takes two parameters (e.g. org_id, slug). */
static enum err sq_get_by_text(struct store *st, enum sq_stmt id, int64_t k1, const char *k2,
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

static enum err sq_get_by_id(struct store *st, enum sq_stmt id, int64_t key, struct arena *a,
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
static enum err sq_list_by_id(struct store *st, enum sq_stmt id, int64_t key, struct arena *a,
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

static enum err sq_count(struct store *st, enum sq_stmt id, int64_t key, int64_t *out)
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

static enum err sq_user_by_email(struct store *st, struct arena *a, const char *email,
                                 struct store_user *out)
{
    return sq_get_by_text(st, SQ_USER_BY_EMAIL, 0, email, a, sq_fill_user, out);
}

static enum err sq_user_by_id(struct store *st, struct arena *a, int64_t id, struct store_user *out)
{
    return sq_get_by_id(st, SQ_USER_BY_ID, id, a, sq_fill_user, out);
}

static enum err sq_user_set_password(struct store *st, int64_t user_id, const char *hash)
{
    struct sq_store *s = sq_of(st);
    struct sq_conn *c = sq_acquire(s);
    struct sq_q q;
    int changes = 0;
    enum err e = sq_prep(c, SQ_USER_SET_PASSWORD, &q);
    if (!e) {
        sq_text(&q, hash);
        sq_int(&q, user_id);
        e = sq_run(&q, NULL, "set password", &changes);
    }
    sq_release(s, c);
    return e ? e : changes ? E_OK : E_NOTFOUND;
}

static int64_t sq_user_count(struct store *st)
{
    int64_t n = -1;
    return sq_count(st, SQ_USER_COUNT, 0, &n) ? -1 : n;
}

static enum err sq_token_create(struct store *st, int64_t user_id, const char *token_hash,
                                const char *label, const char *scopes, int64_t *id_out)
{
    struct sq_store *s = sq_of(st);
    struct sq_conn *c = sq_acquire(s);
    struct sq_q q;
    enum err e = sq_prep(c, SQ_TOKEN_INSERT, &q);
    if (!e) {
        sq_int(&q, user_id);
        sq_text(&q, token_hash);
        sq_text(&q, label);
        sq_text(&q, scopes);
        sq_real(&q, clock_now());
        e = sq_run(&q, NULL, "create token", NULL);
    }
    if (!e && id_out)
        *id_out = sqlite3_last_insert_rowid(c->db);
    sq_release(s, c);
    return e;
}

/* Refreshes a token's last_used; best effort (a busy database only loses the stamp). */
static void sq_token_touch(struct sq_conn *c, int64_t token_id, double now)
{
    struct sq_q q;
    if (sq_prep(c, SQ_TOKEN_TOUCH, &q) != E_OK)
        return;
    sq_real(&q, now);
    sq_int(&q, token_id);
    if (sq_run(&q, NULL, "touch token", NULL) != E_OK)
        log_debug("sqlite: token %lld last_used not updated", (long long)token_id);
}

static enum err sq_token_lookup(struct store *st, struct arena *a, const char *token_hash,
                                struct store_user *user_out, const char **scopes_out)
{
    struct sq_store *s = sq_of(st);
    struct sq_conn *c = sq_acquire(s);
    struct sq_q q;
    enum err e = sq_prep(c, SQ_TOKEN_LOOKUP, &q);
    if (e)
        goto out;
    sq_text(&q, token_hash);
    int rc = sq_step(&q);
    if (rc != SQLITE_ROW) {
        e = rc == SQLITE_DONE ? E_NOTFOUND : sq_err(c->db, rc, NULL, "token lookup");
        sq_done(&q);
        goto out;
    }
    struct sq_row r = {q.s, a, false};
    sq_fill_user(&r, user_out);
    const char *scopes = sq_col_text(&r, 5);
    int64_t token_id = sq_col_int(&r, 6);
    double last_used = sq_col_real(&r, 7), now = clock_now();
    sq_done(&q);
    if (r.oom) {
        e = E_TOOBIG;
        goto out;
    }
    if (scopes_out)
        *scopes_out = scopes ? scopes : "";
    if (now - last_used >= SQ_TOKEN_TOUCH_SECS)
        sq_token_touch(c, token_id, now);
out:
    sq_release(s, c);
    return e;
}

/* ---- organizations, teams, projects, keys ----------------------------------------------- */

static enum err sq_org_insert(struct sq_conn *c, int64_t owner, const char *slug, const char *name,
                              int64_t *org_id)
{
    struct sq_q q;
    double now = clock_now();
    enum err e = sq_prep(c, SQ_ORG_INSERT, &q);
    if (e)
        return e;
    sq_text(&q, slug);
    sq_text(&q, name);
    sq_real(&q, now);
    e = sq_run(&q, NULL, "create organization", NULL);
    if (e)
        return e;
    *org_id = sqlite3_last_insert_rowid(c->db);
    e = sq_prep(c, SQ_MEMBER_INSERT, &q);
    if (e)
        return e;
    sq_int(&q, *org_id);
    sq_int(&q, owner);
    sq_text(&q, "owner");
    sq_real(&q, now);
    return sq_run(&q, NULL, "add organization owner", NULL);
}

static enum err sq_org_create(struct store *st, int64_t owner_user_id, const char *slug,
                              const char *name, struct arena *a, struct store_org *out)
{
    struct sq_store *s = sq_of(st);
    struct sq_conn *c = sq_acquire(s);
    int64_t org_id = 0;
    struct sq_q q;
    enum err e = sq_begin(c, NULL);
    if (e)
        goto out;
    e = sq_org_insert(c, owner_user_id, slug, name, &org_id);
    if (!e)
        e = sq_prep(c, SQ_ORG_BY_ID, &q);
    if (!e) {
        sq_int(&q, org_id);
        e = sq_one(&q, a, sq_fill_org, out);
    }
    e = sq_finish(c, e, NULL);
out:
    sq_release(s, c);
    return e;
}

static enum err sq_org_by_slug(struct store *st, struct arena *a, const char *slug,
                               struct store_org *out)
{
    return sq_get_by_text(st, SQ_ORG_BY_SLUG, 0, slug, a, sq_fill_org, out);
}

static enum err sq_org_list_for_user(struct store *st, struct arena *a, int64_t user_id,
                                     bool superuser, struct store_org **rows, size_t *n)
{
    void *p = NULL;
    enum err e = sq_list_by_id(st, superuser ? SQ_ORG_LIST_ALL : SQ_ORG_LIST_USER, user_id, a,
                               sq_fill_org, sizeof **rows, &p, n);
    *rows = p;
    return e;
}

static void sq_fill_text0(struct sq_row *r, void *out)
{
    *(const char **)out = sq_col_text(r, 0);
}

static enum err sq_org_member_role(struct store *st, struct arena *a, int64_t org_id,
                                   int64_t user_id, const char **role_out)
{
    struct sq_store *s = sq_of(st);
    struct sq_conn *c = sq_acquire(s);
    struct sq_q q;
    enum err e = sq_prep(c, SQ_MEMBER_ROLE, &q);
    if (!e) {
        sq_int(&q, org_id);
        sq_int(&q, user_id);
        e = sq_one(&q, a, sq_fill_text0, role_out);
    }
    sq_release(s, c);
    return e;
}

/* An insert followed by reading the new row back (by rowid) on the same connection. */
static enum err sq_insert_and_get(struct sq_conn *c, struct sq_q *ins, const char *what,
                                  enum sq_stmt get, struct arena *a, sq_fill_fn fill, void *out)
{
    enum err e = sq_run(ins, NULL, what, NULL);
    if (e)
        return e;
    int64_t id = sqlite3_last_insert_rowid(c->db);
    struct sq_q q;
    e = sq_prep(c, get, &q);
    if (e)
        return e;
    sq_int(&q, id);
    return sq_one(&q, a, fill, out);
}

static enum err sq_team_create(struct store *st, int64_t org_id, const char *slug, const char *name,
                               struct arena *a, struct store_team *out)
{
    struct sq_store *s = sq_of(st);
    struct sq_conn *c = sq_acquire(s);
    struct sq_q q;
    enum err e = sq_prep(c, SQ_TEAM_INSERT, &q);
    if (!e) {
        sq_int(&q, org_id);
        sq_text(&q, slug);
        sq_text(&q, name);
        sq_real(&q, clock_now());
        e = sq_insert_and_get(c, &q, "create team", SQ_TEAM_BY_ID, a, sq_fill_team, out);
    }
    sq_release(s, c);
    return e;
}

static enum err sq_team_by_slug(struct store *st, struct arena *a, int64_t org_id, const char *slug,
                                struct store_team *out)
{
    return sq_get_by_text(st, SQ_TEAM_BY_SLUG, org_id, slug, a, sq_fill_team, out);
}

static enum err sq_team_list(struct store *st, struct arena *a, int64_t org_id,
                             struct store_team **rows, size_t *n)
{
    void *p = NULL;
    enum err e = sq_list_by_id(st, SQ_TEAM_LIST, org_id, a, sq_fill_team, sizeof **rows, &p, n);
    *rows = p;
    return e;
}

/* Links the project to the team, which must belong to the org (else E_NOTFOUND). */
static enum err sq_project_link_team(struct sq_conn *c, int64_t project_id, int64_t team_id,
                                     int64_t org_id)
{
    struct sq_q q;
    int changes = 0;
    enum err e = sq_prep(c, SQ_PROJECT_TEAM_INSERT, &q);
    if (e)
        return e;
    sq_int(&q, project_id);
    sq_int(&q, team_id);
    sq_int(&q, org_id);
    e = sq_run(&q, NULL, "link project to team", &changes);
    return e ? e : changes ? E_OK : E_NOTFOUND;
}

static enum err sq_project_create(struct store *st, int64_t org_id, int64_t team_id,
                                  const char *slug, const char *name, const char *platform,
                                  struct arena *a, struct store_project *out)
{
    struct sq_store *s = sq_of(st);
    struct sq_conn *c = sq_acquire(s);
    struct sq_q q;
    enum err e = sq_begin(c, NULL);
    if (e)
        goto out;
    e = sq_prep(c, SQ_PROJECT_INSERT, &q);
    if (!e) {
        sq_int(&q, org_id);
        sq_text(&q, slug);
        sq_text(&q, name);
        sq_text(&q, platform);
        sq_real(&q, clock_now());
        e = sq_insert_and_get(c, &q, "create project", SQ_PROJECT_BY_ID, a, sq_fill_project, out);
    }
    if (!e && team_id)
        e = sq_project_link_team(c, out->id, team_id, org_id);
    e = sq_finish(c, e, NULL);
out:
    sq_release(s, c);
    return e;
}

static enum err sq_project_by_slug(struct store *st, struct arena *a, int64_t org_id,
                                   const char *slug, struct store_project *out)
{
    return sq_get_by_text(st, SQ_PROJECT_BY_SLUG, org_id, slug, a, sq_fill_project, out);
}

static enum err sq_project_by_id(struct store *st, struct arena *a, int64_t id,
                                 struct store_project *out)
{
    return sq_get_by_id(st, SQ_PROJECT_BY_ID, id, a, sq_fill_project, out);
}

static enum err sq_project_list(struct store *st, struct arena *a, int64_t org_id,
                                struct store_project **rows, size_t *n)
{
    void *p = NULL;
    enum err e =
        sq_list_by_id(st, SQ_PROJECT_LIST, org_id, a, sq_fill_project, sizeof **rows, &p, n);
    *rows = p;
    return e;
}

static enum err sq_key_create(struct store *st, int64_t project_id, const char *public_key,
                              const char *label, struct arena *a, struct store_key *out)
{
    struct sq_store *s = sq_of(st);
    struct sq_conn *c = sq_acquire(s);
    struct sq_q q;
    enum err e = sq_prep(c, SQ_KEY_INSERT, &q);
    if (!e) {
        sq_int(&q, project_id);
        sq_text(&q, public_key);
        sq_text(&q, label);
        sq_real(&q, clock_now());
        e = sq_insert_and_get(c, &q, "create key", SQ_KEY_BY_ID, a, sq_fill_key, out);
    }
    sq_release(s, c);
    return e;
}

static enum err sq_key_list(struct store *st, struct arena *a, int64_t project_id,
                            struct store_key **rows, size_t *n)
{
    void *p = NULL;
    enum err e = sq_list_by_id(st, SQ_KEY_LIST, project_id, a, sq_fill_key, sizeof **rows, &p, n);
    *rows = p;
    return e;
}

static enum err sq_key_by_public(struct store *st, struct arena *a, const char *public_key,
                                 struct store_key *out)
{
    return sq_get_by_text(st, SQ_KEY_BY_PUBLIC, 0, public_key, a, sq_fill_key, out);
}

/* ---- issues ----------------------------------------------------------------------------- */

/* SQL text under construction from constant fragments (never from values). */
struct sq_sqltext {
    char p[2048];
    size_t len;
};

static void sq_sql_add(struct sq_sqltext *t, const char *frag)
{
    size_t n = strlen(frag);
    assert(t->len + n < sizeof t->p); /* fragments are constants that fit */
    memcpy(t->p + t->len, frag, n + 1);
    t->len += n;
}

/* "%text%" for LIKE … ESCAPE '\', with the pattern characters of text escaped. */
static char *sq_like_pattern(struct arena *a, const char *text)
{
    size_t n = strlen(text);
    char *p = arena_alloc(a, 2 * n + 3);
    if (!p)
        return NULL;
    size_t j = 0;
    p[j++] = '%';
    for (size_t i = 0; i < n; i++) {
        if (text[i] == '%' || text[i] == '_' || text[i] == '\\')
            p[j++] = '\\';
        p[j++] = text[i];
    }
    p[j++] = '%';
    p[j] = '\0';
    return p;
}

static const char *sq_issue_order(const char *sort)
{
    if (sort && strcmp(sort, "new") == 0)
        return " ORDER BY i.first_seen DESC, i.id DESC";
    if (sort && strcmp(sort, "freq") == 0)
        return " ORDER BY i.times_seen DESC, i.id DESC";
    if (sort && strcmp(sort, "user") == 0)
        return " ORDER BY i.user_count DESC, i.id DESC";
    return " ORDER BY i.last_seen DESC, i.id DESC";
}

/* The WHERE clause of q with named parameters, in the order sq_issue_bind() binds them.
 * environment/release match when any event of the issue carries that value. */
static void sq_issue_where(struct sq_sqltext *t, const struct store_issue_query *q)
{
    sq_sql_add(t, "SELECT " ISSUE_COLS ISSUE_FROM " WHERE 1");
    if (q->project_id)
        sq_sql_add(t, " AND i.project_id = :project");
    if (q->org_id)
        sq_sql_add(t, " AND p.org_id = :org");
    if (q->status)
        sq_sql_add(t, " AND i.status = :status");
    if (q->level)
        sq_sql_add(t, " AND i.level = :level");
    if (q->environment)
        sq_sql_add(t, " AND EXISTS (SELECT 1 FROM events e WHERE e.issue_id = i.id"
                      " AND e.environment = :env)");
    if (q->release)
        sq_sql_add(t, " AND EXISTS (SELECT 1 FROM events e WHERE e.issue_id = i.id"
                      " AND e.release = :release)");
    if (q->text)
        sq_sql_add(t, " AND (i.title LIKE :text ESCAPE '\\' OR i.culprit LIKE :text ESCAPE '\\'"
                      " OR EXISTS (SELECT 1 FROM events e WHERE e.issue_id = i.id"
                      " AND e.message LIKE :text ESCAPE '\\'))");
    sq_sql_add(t, sq_issue_order(q->sort));
    sq_sql_add(t, " LIMIT :limit OFFSET :offset");
}

static void sq_bind_named_text(struct sq_q *q, const char *name, const char *v)
{
    q->next = sqlite3_bind_parameter_index(q->s, name);
    if (q->next > 0 && v)
        sq_text(q, v);
}

static void sq_bind_named_int(struct sq_q *q, const char *name, int64_t v)
{
    q->next = sqlite3_bind_parameter_index(q->s, name);
    if (q->next > 0)
        sq_int(q, v);
}

static void sq_issue_bind(struct sq_q *sq, const struct store_issue_query *q, const char *like)
{
    sq_bind_named_int(sq, ":project", q->project_id);
    sq_bind_named_int(sq, ":org", q->org_id);
    sq_bind_named_text(sq, ":status", q->status);
    sq_bind_named_text(sq, ":level", q->level);
    sq_bind_named_text(sq, ":env", q->environment);
    sq_bind_named_text(sq, ":release", q->release);
    sq_bind_named_text(sq, ":text", like);
    sq_bind_named_int(sq, ":limit", q->limit);
    sq_bind_named_int(sq, ":offset", q->offset);
}

static enum err sq_issue_list(struct store *st, struct arena *a, const struct store_issue_query *q,
                              struct store_issue **rows, size_t *n)
{
    struct sq_store *s = sq_of(st);
    struct sq_sqltext sql = {.len = 0};
    const char *like = q->text ? sq_like_pattern(a, q->text) : NULL;
    if (q->text && !like)
        return E_TOOBIG;
    sq_issue_where(&sql, q);
    struct sq_conn *c = sq_acquire(s);
    struct sq_q sq = {.db = c->db, .owned = true, .rc = SQLITE_OK};
    void *p = NULL;
    enum err e = E_OK;
    int rc = sqlite3_prepare_v2(c->db, sql.p, (int)sql.len, &sq.s, NULL);
    if (rc != SQLITE_OK) {
        e = sq_err(c->db, rc, NULL, "prepare issue list");
        goto out;
    }
    sq_issue_bind(&sq, q, like);
    e = sq_list(&sq, a, sq_fill_issue, sizeof **rows, &p, n);
    *rows = p;
out:
    sq_done(&sq);
    sq_release(s, c);
    return e;
}

static enum err sq_issue_by_id(struct store *st, struct arena *a, int64_t id,
                               struct store_issue *out)
{
    return sq_get_by_id(st, SQ_ISSUE_BY_ID, id, a, sq_fill_issue, out);
}

static enum err sq_issue_set_status(struct store *st, int64_t id, const char *status)
{
    struct sq_store *s = sq_of(st);
    struct sq_conn *c = sq_acquire(s);
    struct sq_q q;
    int changes = 0;
    enum err e = sq_prep(c, SQ_ISSUE_SET_STATUS, &q);
    if (!e) {
        sq_text(&q, status);
        sq_int(&q, id);
        e = sq_run(&q, NULL, "set issue status", &changes);
    }
    sq_release(s, c);
    return e ? e : changes ? E_OK : E_NOTFOUND;
}

/* Events and distinct users go with the issue (ON DELETE CASCADE). */
static enum err sq_issue_delete(struct store *st, int64_t id)
{
    struct sq_store *s = sq_of(st);
    struct sq_conn *c = sq_acquire(s);
    struct sq_q q;
    int changes = 0;
    enum err e = sq_begin(c, NULL);
    if (!e)
        e = sq_prep(c, SQ_ISSUE_DELETE, &q);
    if (!e) {
        sq_int(&q, id);
        e = sq_run(&q, NULL, "delete issue", &changes);
    }
    if (!e && !changes)
        e = E_NOTFOUND;
    e = sq_finish(c, e, NULL);
    sq_release(s, c);
    return e;
}

/* ---- events ----------------------------------------------------------------------------- */

static enum err sq_event_list_for_issue(struct store *st, struct arena *a, int64_t issue_id,
                                        int limit, int64_t offset, struct store_event_row **rows,
                                        size_t *n)
{
    struct sq_store *s = sq_of(st);
    struct sq_conn *c = sq_acquire(s);
    struct sq_q q;
    void *p = NULL;
    enum err e = sq_prep(c, SQ_EVENT_LIST, &q);
    if (!e) {
        sq_int(&q, issue_id);
        sq_int(&q, limit);
        sq_int(&q, offset);
        e = sq_list(&q, a, sq_fill_event, sizeof **rows, &p, n);
        *rows = p;
    }
    sq_release(s, c);
    return e;
}

static enum err sq_event_edge_for_issue(struct store *st, struct arena *a, int64_t issue_id,
                                        bool latest, struct store_event_row *out)
{
    return sq_get_by_id(st, latest ? SQ_EVENT_LATEST : SQ_EVENT_OLDEST, issue_id, a, sq_fill_event,
                        out);
}

static enum err sq_event_by_id(struct store *st, struct arena *a, int64_t project_id,
                               const char *event_id, struct store_event_row *out)
{
    struct sq_store *s = sq_of(st);
    struct sq_conn *c = sq_acquire(s);
    struct sq_q q;
    enum err e = sq_prep(c, SQ_EVENT_BY_ID, &q);
    if (!e) {
        sq_int(&q, project_id);
        sq_text(&q, event_id);
        e = sq_one(&q, a, sq_fill_event, out);
    }
    sq_release(s, c);
    return e;
}

static int64_t sq_event_count(struct store *st, int64_t project_id)
{
    int64_t n = -1;
    enum sq_stmt id = project_id ? SQ_EVENT_COUNT : SQ_EVENT_COUNT_ALL;
    return sq_count(st, id, project_id, &n) ? -1 : n;
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
    .issue_list = sq_issue_list,
    .issue_by_id = sq_issue_by_id,
    .issue_set_status = sq_issue_set_status,
    .issue_delete = sq_issue_delete,
    .event_list_for_issue = sq_event_list_for_issue,
    .event_edge_for_issue = sq_event_edge_for_issue,
    .event_by_id = sq_event_by_id,
    .event_count = sq_event_count,
};
