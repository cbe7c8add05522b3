/* sqlite_int: what the files of the SQLite backend share — the handle and its connections,
 * statement ids, query, row and transaction helpers (sqlite.c) and the store operations the
 * other files implement (sqlite_ingest.c, sqlite_accounts.c, sqlite_issues.c,
 * sqlite_retention.c). sqlite.c has the DESIGN paragraph. */
#ifndef SNAG_STORE_SQLITE_INT_H
#define SNAG_STORE_SQLITE_INT_H

#include <pthread.h>
#include <sqlite3.h>

#include "store/store_int.h"

#define SQ_POOL_SIZE 4

/* Every fixed statement; its SQL text is sq_sql[id] in sqlite.c. */
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
    SQ_ING_ISSUE_REOPEN,
    SQ_RET_MARK,
    SQ_RET_DELETE,
    SQ_RET_PENDING,
    SQ_RET_STATS,
    SQ_RET_USERS_PRUNE,
    SQ_RET_ISSUE_UPDATE,
    SQ_RET_DONE,
    SQ__MAX
};

/* The issue columns and joins, shared by sq_sql[] and the issue list built per call. */
#define ISSUE_COLS                                                                                 \
    "i.id, i.project_id, i.short_num, p.slug, i.hash, i.title, i.culprit, i.type, i.level, "       \
    "i.status, i.metadata, i.first_seen, i.last_seen, i.times_seen, i.user_count, i.platform, "    \
    "i.logger"
#define ISSUE_FROM " FROM issues i JOIN projects p ON p.id = i.project_id"

/* ---- connections and the pool (sqlite.c) ------------------------------------------------ */

/* Statements of the shared-SQL drivers (store_q.h), kept prepared per connection and found
 * again by their text: preparing a query's SQL anew on every call was most of the cost of
 * small API queries (an issue list page runs two per issue). */
#define SQ_STMT_CACHE 64
struct sq_cached_stmt {
    uint64_t hash; /* of the SQL text */
    sqlite3_stmt *s;
    bool busy; /* being stepped: neither handed out again nor evicted */
};

struct sq_conn {
    sqlite3 *db;
    sqlite3_stmt *stmts[SQ__MAX];
    struct sq_cached_stmt cache[SQ_STMT_CACHE];
    bool in_use;
};

/* A prepared statement for sql on c: from c's cache, or prepared now and cached (*slot its
 * cache entry), or — when the entry is busy — prepared for this use only (*slot NULL). Hand
 * it back with sq_cache_release(). NULL with *rc set when sql does not prepare. */
sqlite3_stmt *sq_cache_acquire(struct sq_conn *c, const char *sql, struct sq_cached_stmt **slot,
                               int *rc);
void sq_cache_release(sqlite3_stmt *s, struct sq_cached_stmt *slot);

struct sq_store {
    struct store base;
    struct sq_conn writer;
    pthread_mutex_t writer_mu;
    struct sq_conn pool[SQ_POOL_SIZE];
    pthread_mutex_t pool_mu;
    pthread_cond_t pool_cv;
    struct sq_ckpt *ckpt; /* background WAL checkpoints (sqlite_ingest.c); NULL if none */
};

static inline struct sq_store *sq_of(struct store *st)
{
    return (struct sq_store *)st;
}

/* Starts the thread that checkpoints the WAL for the writer connection (without one, the
 * writer keeps SQLite's automatic checkpoints); stop it before closing the writer. */
void sq_ckpt_start(struct sq_store *s, const char *path);
void sq_ckpt_stop(struct sq_store *s);

/* A pool connection; blocks until one is free. */
struct sq_conn *sq_acquire(struct sq_store *s);
void sq_release(struct sq_store *s, struct sq_conn *c);
/* Maps a SQLite result code to the project's errors; what names the operation. */
enum err sq_err(sqlite3 *db, int rc, struct errinfo *ei, const char *what);

/* ---- queries: prepare, bind, step (sqlite.c) -------------------------------------------- */

/* A statement in use: binds go to the next parameter; the first bind error is kept. */
struct sq_q {
    sqlite3 *db;
    sqlite3_stmt *s;
    int next, rc;
    bool owned; /* prepared for this call only: finalize instead of reset */
};

enum err sq_prep(struct sq_conn *c, enum sq_stmt id, struct sq_q *q);
void sq_int(struct sq_q *q, int64_t v);
void sq_real(struct sq_q *q, double v);
/* NULL binds SQL NULL. The text is borrowed until sq_done(). */
void sq_text(struct sq_q *q, const char *v);
void sq_blob(struct sq_q *q, const void *p, size_t n);
int sq_step(struct sq_q *q);
void sq_done(struct sq_q *q);
/* Runs a statement that returns no rows (or ignores them); *changes may be NULL. */
enum err sq_run(struct sq_q *q, struct errinfo *ei, const char *what, int *changes);
/* Runs a statement whose first row's first column is an integer: E_NOTFOUND if no row. */
enum err sq_run_int(struct sq_q *q, struct errinfo *ei, const char *what, int64_t *out);

/* ---- rows into the caller's arena (sqlite.c) -------------------------------------------- */

struct sq_row {
    sqlite3_stmt *s;
    struct arena *a;
    bool oom; /* the arena ran out of budget */
};

typedef void (*sq_fill_fn)(struct sq_row *r, void *out);

/* Column col as an arena string; NULL stays NULL. */
const char *sq_col_text(struct sq_row *r, int col);
int64_t sq_col_int(struct sq_row *r, int col);
double sq_col_real(struct sq_row *r, int col);
void sq_fill_user(struct sq_row *r, void *out);
void sq_fill_org(struct sq_row *r, void *out);
void sq_fill_team(struct sq_row *r, void *out);
void sq_fill_project(struct sq_row *r, void *out);
void sq_fill_key(struct sq_row *r, void *out);
void sq_fill_issue(struct sq_row *r, void *out);
void sq_fill_event(struct sq_row *r, void *out);
/* One row into out: E_NOTFOUND when there is none. */
enum err sq_one(struct sq_q *q, struct arena *a, sq_fill_fn fill, void *out);
/* All rows into an arena array of elsize-byte structs. */
enum err sq_list(struct sq_q *q, struct arena *a, sq_fill_fn fill, size_t elsize, void **rows,
                 size_t *n);

/* ---- generic lookups on a pool connection (sqlite.c) ------------------------------------ */

/* One row by a text key, preceded by an integer one when the statement takes two parameters
 * (e.g. org_id, slug). */
enum err sq_get_by_text(struct store *st, enum sq_stmt id, int64_t k1, const char *k2,
                        struct arena *a, sq_fill_fn fill, void *out);
enum err sq_get_by_id(struct store *st, enum sq_stmt id, int64_t key, struct arena *a,
                      sq_fill_fn fill, void *out);
/* A list by one integer key (or none when key is 0 and the statement takes none). */
enum err sq_list_by_id(struct store *st, enum sq_stmt id, int64_t key, struct arena *a,
                       sq_fill_fn fill, size_t elsize, void **rows, size_t *n);
enum err sq_count(struct store *st, enum sq_stmt id, int64_t key, int64_t *out);

/* ---- transactions (sqlite.c) ------------------------------------------------------------ */

/* BEGIN IMMEDIATE. */
enum err sq_begin(struct sq_conn *c, struct errinfo *ei);
/* Ends the transaction: commit when e is E_OK (its failure becomes the result), else
 * roll back. Returns the outcome. */
enum err sq_finish(struct sq_conn *c, enum err e, struct errinfo *ei);

/* ---- operations implemented by the other files ------------------------------------------ */

enum err sq_ingest_batch(struct store *st, struct store_event_in *evs, size_t n,
                         struct errinfo *ei);

enum err sq_user_create(struct store *st, const char *email, const char *password_hash,
                        bool is_superuser, int64_t *id_out, struct errinfo *ei);
enum err sq_user_by_email(struct store *st, struct arena *a, const char *email,
                          struct store_user *out);
enum err sq_user_by_id(struct store *st, struct arena *a, int64_t id, struct store_user *out);
enum err sq_user_set_password(struct store *st, int64_t user_id, const char *hash);
int64_t sq_user_count(struct store *st);
enum err sq_token_create(struct store *st, int64_t user_id, const char *token_hash,
                         const char *label, const char *scopes, int64_t *id_out);
enum err sq_token_lookup(struct store *st, struct arena *a, const char *token_hash,
                         struct store_user *user_out, const char **scopes_out);
enum err sq_org_create(struct store *st, int64_t owner_user_id, const char *slug, const char *name,
                       struct arena *a, struct store_org *out);
enum err sq_org_by_slug(struct store *st, struct arena *a, const char *slug, struct store_org *out);
enum err sq_org_list_for_user(struct store *st, struct arena *a, int64_t user_id, bool superuser,
                              struct store_org **rows, size_t *n);
enum err sq_org_member_role(struct store *st, struct arena *a, int64_t org_id, int64_t user_id,
                            const char **role_out);
enum err sq_team_create(struct store *st, int64_t org_id, const char *slug, const char *name,
                        struct arena *a, struct store_team *out);
enum err sq_team_by_slug(struct store *st, struct arena *a, int64_t org_id, const char *slug,
                         struct store_team *out);
enum err sq_team_list(struct store *st, struct arena *a, int64_t org_id, struct store_team **rows,
                      size_t *n);
enum err sq_project_create(struct store *st, int64_t org_id, int64_t team_id, const char *slug,
                           const char *name, const char *platform, struct arena *a,
                           struct store_project *out);
enum err sq_project_by_slug(struct store *st, struct arena *a, int64_t org_id, const char *slug,
                            struct store_project *out);
enum err sq_project_by_id(struct store *st, struct arena *a, int64_t id, struct store_project *out);
enum err sq_project_list(struct store *st, struct arena *a, int64_t org_id,
                         struct store_project **rows, size_t *n);
enum err sq_key_create(struct store *st, int64_t project_id, const char *public_key,
                       const char *label, struct arena *a, struct store_key *out);
enum err sq_key_list(struct store *st, struct arena *a, int64_t project_id, struct store_key **rows,
                     size_t *n);
enum err sq_key_by_public(struct store *st, struct arena *a, const char *public_key,
                          struct store_key *out);

enum err sq_issue_by_id(struct store *st, struct arena *a, int64_t id, struct store_issue *out);
enum err sq_issue_set_status(struct store *st, int64_t id, const char *status);
enum err sq_issue_delete(struct store *st, int64_t id);
enum err sq_event_edge_for_issue(struct store *st, struct arena *a, int64_t issue_id, bool latest,
                                 struct store_event_row *out);
enum err sq_event_by_id(struct store *st, struct arena *a, int64_t project_id, const char *event_id,
                        struct store_event_row *out);
int64_t sq_event_count(struct store *st, int64_t project_id);

enum err sq_retention_run(struct store *st, double cutoff, size_t max_batch,
                          const atomic_bool *stop, struct store_retention_result *out,
                          struct errinfo *ei);
enum err sq_partitions_maintain(struct store *st, double now, int *created, struct errinfo *ei);

#endif
