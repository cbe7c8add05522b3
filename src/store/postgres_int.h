/* postgres_int: what the files of the PostgreSQL backend share — the handle and its
 * connections (postgres.c), the fixed SQL texts (postgres_sql.c), parameter and row helpers
 * (postgres_rows.c) and the store operations the other files implement (postgres_ingest.c,
 * postgres_accounts.c, postgres_issues.c, postgres_retention.c). postgres.c has the DESIGN
 * paragraph. */
#ifndef SNAG_STORE_POSTGRES_INT_H
#define SNAG_STORE_POSTGRES_INT_H

#include <libpq-fe.h>
#include <pthread.h>

#include "core/buf.h"
#include "store/store_int.h"

#define PG_POOL_SIZE 4
#define PG_MAX_PARAMS 32
#define PG_TOKEN_TOUCH_SECS 60.0    /* last_used is refreshed at most this often */
#define PG_LIVE_CHANNEL "snag_live" /* the NOTIFY channel of live updates across nodes */

/* Every fixed statement; prepared once per connection on first use, named "s<id>". */
enum pg_stmt {
    PG_PING,
    PG_MIG_LOCK,
    PG_MIG_VERSION,
    PG_MIG_RECORD,
    PG_USER_INSERT,
    PG_USER_BY_EMAIL,
    PG_USER_BY_ID,
    PG_USER_SET_PASSWORD,
    PG_USER_COUNT,
    PG_TOKEN_INSERT,
    PG_TOKEN_LOOKUP,
    PG_TOKEN_TOUCH,
    PG_ORG_INSERT,
    PG_ORG_BY_SLUG,
    PG_ORG_LIST_ALL,
    PG_ORG_LIST_USER,
    PG_MEMBER_ROLE,
    PG_TEAM_INSERT,
    PG_TEAM_BY_SLUG,
    PG_TEAM_LIST,
    PG_PROJECT_INSERT,
    PG_PROJECT_BY_SLUG,
    PG_PROJECT_BY_ID,
    PG_PROJECT_LIST,
    PG_KEY_INSERT,
    PG_KEY_LIST,
    PG_KEY_BY_PUBLIC,
    PG_ISSUE_BY_ID,
    PG_ISSUE_SET_STATUS,
    PG_ISSUE_DELETE,
    PG_EVENT_LATEST,
    PG_EVENT_OLDEST,
    PG_EVENT_BY_ID,
    PG_EVENT_COUNT,
    PG_EVENT_COUNT_ALL,
    PG_ING_CLAIM,
    PG_ING_DUP_FIND,
    PG_ING_ISSUE_FIND,
    PG_ING_PROJECT_LOCK,
    PG_ING_COUNTER,
    PG_ING_ISSUE_INSERT,
    PG_ING_ISSUE_LOCK,
    PG_ING_EVENT_INSERT,
    PG_ING_ISSUE_UPDATE,
    PG_ING_ISSUE_SORT_KEYS,
    PG_ING_FAST_EVENTS,
    PG_LOCK_TIMEOUT,
    PG_TRY_LOCK,
    PG_UNLOCK,
    PG_PRT_ADD,
    PG_RET_DROP,
    PG_RET_DEFAULT,
    PG_RET_EVENT_IDS,
    PG_RET_CLAIM,
    PG_RET_USERS_PRUNE,
    PG_RET_ISSUE_EMPTY,
    PG_RET_ISSUE_UPDATE,
    PG_LIVE_NOTIFY,
    PG__MAX
};

extern const char *const pg_sql[PG__MAX];

/* ---- connections (postgres.c) ----------------------------------------------------------- */

struct pg_conn {
    PGconn *db;             /* NULL until first used */
    bool prepared[PG__MAX]; /* statements prepared on this session */
    bool in_use;            /* handed out by pg_acquire() */
    bool broken;            /* lost, or left mid-transaction: reset before the next use */
};

struct pg_live;

/* ---- the ingest writer's issue hints (postgres_icache.c) --------------------------------- */

#define PG_ICACHE_SLOTS 4096
#define PG_ICACHE_WAYS 8      /* slots a key may take, from its home slot on */
#define PG_ICACHE_HASH_MAX 64 /* longer grouping hashes are not remembered */

struct pg_icache_slot {
    int64_t project_id;
    int64_t issue_id;
    char hash[PG_ICACHE_HASH_MAX + 1];
};

struct pg_icache {
    struct pg_icache_slot *slots; /* PG_ICACHE_SLOTS, or NULL until the first put */
};

/* The issue remembered for (project_id, hash), or 0. */
int64_t pg_icache_get(const struct pg_icache *c, int64_t project_id, const char *hash);
void pg_icache_put(struct pg_icache *c, int64_t project_id, const char *hash, int64_t issue_id);
/* Forgets everything (and frees the slots). */
void pg_icache_clear(struct pg_icache *c);

struct pg_store {
    struct store base;
    char *url;
    char node[17]; /* this handle's random id: live notifications it sent itself are skipped */
    struct pg_live *live; /* the live listener (postgres_live.c), under live_mu; NULL: none */
    pthread_mutex_t live_mu;
    struct pg_conn writer;   /* store_ingest_batch() and store_migrate() */
    struct pg_icache icache; /* the writer's issue hints, under writer_mu */
    pthread_mutex_t writer_mu;
    struct pg_conn pool[PG_POOL_SIZE];
    pthread_mutex_t pool_mu;
    pthread_cond_t pool_cv;
};

static inline struct pg_store *pg_of(struct store *st)
{
    return (struct pg_store *)st;
}

/* A new connection with snag's defaults (timeouts, keepalives) and url's settings: with
 * wait, connected (or failed: check PQstatus); without, only started, for PQconnectPoll. NULL
 * only when libpq is out of memory. */
PGconn *pg_connect(const char *url, bool wait);
/* A pool connection, connected (or reconnected) and ready; E_UNAVAILABLE when the server
 * cannot be reached (the connection is then back in the pool). */
enum err pg_acquire(struct pg_store *s, struct pg_conn **out, struct errinfo *ei);
void pg_release(struct pg_store *s, struct pg_conn *c);
/* Connects c if it never was, resets it if it broke. */
enum err pg_conn_ready(struct pg_store *s, struct pg_conn *c, struct errinfo *ei);

/* ---- parameters and execution (postgres_rows.c, postgres.c) ------------------------------ */

/* Parameters of one statement: text values, or binary ones (bytea, arrays). Values are
 * borrowed until the statement ran; numbers are formatted into num[]. */
struct pg_params {
    int n;
    const char *v[PG_MAX_PARAMS];
    int len[PG_MAX_PARAMS];
    int fmt[PG_MAX_PARAMS];
    char num[PG_MAX_PARAMS][32];
};

void pg_p_int(struct pg_params *p, int64_t v);
void pg_p_real(struct pg_params *p, double v);
void pg_p_text(struct pg_params *p, const char *v); /* NULL binds SQL NULL */
void pg_p_bool(struct pg_params *p, bool v);
void pg_p_bin(struct pg_params *p, const void *v, size_t n); /* binary format */

/* Runs statement id on c. On success *res (if res is not NULL) holds the result, which the
 * caller PQclear()s. Errors: E_CONFLICT (unique violation), E_NOTFOUND (foreign key),
 * E_UNAVAILABLE (connection lost — c is then marked broken —, server shutting down,
 * deadlock, serialization failure, lock or statement timeout), E_DB. */
enum err pg_exec(struct pg_conn *c, enum pg_stmt id, const struct pg_params *p, PGresult **res,
                 struct errinfo *ei);
/* The same for SQL text built per call (never from values: those go in p). p may be NULL. */
enum err pg_exec_sql(struct pg_conn *c, const char *sql, const struct pg_params *p, PGresult **res,
                     struct errinfo *ei);
/* A read-only statement on a pool connection; retried once on a fresh connection when the
 * one it got turns out dead (the server restarted while it sat idle in the pool). */
enum err pg_read(struct pg_store *s, enum pg_stmt id, const struct pg_params *p, PGresult **res);

/* Maps a failed result (or none: the connection's own error) to the project's errors, as
 * pg_exec() documents; marks c broken when the connection is gone. */
enum err pg_err(struct pg_conn *c, const PGresult *res, struct errinfo *ei);
/* Prepares statement id on c (named "s<id>"); pg_exec() does it on first use. */
enum err pg_prepare(struct pg_conn *c, enum pg_stmt id, struct errinfo *ei);

enum err pg_begin(struct pg_conn *c, struct errinfo *ei);
/* Commits when e is E_OK (a commit failure becomes the result), else rolls back. */
enum err pg_finish(struct pg_conn *c, enum err e, struct errinfo *ei);

/* ---- pipelines (postgres_pipe.c) --------------------------------------------------------- */

/* Statements sent together and read back in order; postgres_pipe.c has the DESIGN. */
struct pg_pipe {
    struct pg_conn *c;
    struct errinfo *ei;
    int queued;   /* statements sent whose results are not read yet */
    bool synced;  /* the sync that ends the pipeline was sent */
    enum err err; /* the first failure; sticks */
    /* SQLSTATEs the caller expects and handles, comma-separated (NULL: none): one fails the
     * pipeline with E_CONFLICT, is kept in failed_state and logs nothing */
    const char *expected_states;
    char failed_state[6]; /* "" while no expected state failed it */
};

/* Prepares those of ids that c has not prepared yet (outside a pipeline). */
enum err pg_prepare_all(struct pg_conn *c, const enum pg_stmt *ids, size_t n, struct errinfo *ei);
/* Enters pipeline mode; expected_states as in struct pg_pipe (NULL: none). */
enum err pg_pipe_begin(struct pg_pipe *pp, struct pg_conn *c, const char *expected_states,
                       struct errinfo *ei);
/* Whether the pipeline failed with expected SQLSTATE state (NULL: with any of them). */
bool pg_pipe_failed_with(const struct pg_pipe *pp, const char *state);
/* Queues COMMIT last, asks the server to answer it at once (before it reads the sync), sends
 * the pipeline and ends it (pg_pipe_end). Returns the first failure — but E_OK once COMMIT
 * was answered OK, even when the connection is lost right after. */
enum err pg_pipe_commit(struct pg_pipe *pp);
/* Queues a prepared statement (p may be NULL); its values are copied at once. */
void pg_pipe_send(struct pg_pipe *pp, enum pg_stmt id, const struct pg_params *p);
/* Queues fixed SQL without parameters (BEGIN, COMMIT). */
void pg_pipe_send_sql(struct pg_pipe *pp, const char *sql);
/* Records a failure found on the client side (nothing more is sent). */
void pg_pipe_fail(struct pg_pipe *pp, enum err e);
/* Ends the pipeline and sends it; returns the sticky error. */
enum err pg_pipe_sync(struct pg_pipe *pp);
/* The next sent statement's result (*res, which the caller PQclear()s), or the error. */
enum err pg_pipe_result(struct pg_pipe *pp, PGresult **res);
/* Reads and checks the results not read yet, leaves pipeline mode; the first error. */
enum err pg_pipe_end(struct pg_pipe *pp);

/* ---- rows into the caller's arena (postgres_rows.c) -------------------------------------- */

struct pg_row {
    const PGresult *res;
    int row;
    struct arena *a;
    bool oom; /* the arena ran out of budget */
};

typedef void (*pg_fill_fn)(struct pg_row *r, void *out);

const char *pg_col_text(struct pg_row *r, int col); /* NULL stays NULL */
int64_t pg_col_int(struct pg_row *r, int col);
double pg_col_real(struct pg_row *r, int col);
bool pg_col_bool(struct pg_row *r, int col);
/* A bytea column (text format) decoded into the arena; NULL and empty give NULL, 0. */
const void *pg_col_bytea(struct pg_row *r, int col, size_t *len);
int64_t pg_res_int(const PGresult *res, int row, int col);
/* Rows changed by an INSERT/UPDATE/DELETE. */
int64_t pg_res_changes(const PGresult *res);

/* The first row into out (E_NOTFOUND when there is none); res is cleared. */
enum err pg_one(PGresult *res, struct arena *a, pg_fill_fn fill, void *out);
/* All rows into an arena array of elsize-byte structs; res is cleared. */
enum err pg_list(PGresult *res, struct arena *a, pg_fill_fn fill, size_t elsize, void **rows,
                 size_t *n);
/* pg_read() then pg_one() / pg_list(). */
enum err pg_get(struct pg_store *s, enum pg_stmt id, const struct pg_params *p, struct arena *a,
                pg_fill_fn fill, void *out);
enum err pg_get_list(struct pg_store *s, enum pg_stmt id, const struct pg_params *p,
                     struct arena *a, pg_fill_fn fill, size_t elsize, void **rows, size_t *n);

/* Binary-format one-dimensional arrays for unnest() parameters (int8[], float8[], text[],
 * bytea[]), in the wire format. Appends never fail on the spot: the first error (E_TOOBIG)
 * sticks and pg_array_done() returns it. */
struct pg_array {
    struct buf b;
    size_t count_at; /* offset of the element count in b */
    int32_t count;
    bool has_null;
    enum err err;
};

void pg_array_init(struct pg_array *arr, unsigned elem_oid);
void pg_array_free(struct pg_array *arr);
void pg_array_int(struct pg_array *arr, int64_t v);
void pg_array_real(struct pg_array *arr, double v);
void pg_array_bytes(struct pg_array *arr, const void *v, size_t n); /* NULL: SQL NULL */
void pg_array_text(struct pg_array *arr, const char *v);            /* NULL: SQL NULL */
/* Patches the header and adds the array to p as a binary parameter (borrowed until the
 * statement ran). Returns the first append error. */
enum err pg_array_done(struct pg_array *arr, struct pg_params *p) WUR;

#define PG_OID_BYTEA 17
#define PG_OID_INT8 20
#define PG_OID_TEXT 25
#define PG_OID_FLOAT8 701

/* ---- operations implemented by the other files ------------------------------------------ */

enum err pg_ingest_batch(struct store *st, struct store_event_in *evs, size_t n,
                         struct errinfo *ei);

enum err pg_user_create(struct store *st, const char *email, const char *password_hash,
                        bool is_superuser, int64_t *id_out, struct errinfo *ei);
enum err pg_user_by_email(struct store *st, struct arena *a, const char *email,
                          struct store_user *out);
enum err pg_user_by_id(struct store *st, struct arena *a, int64_t id, struct store_user *out);
enum err pg_user_set_password(struct store *st, int64_t user_id, const char *password_hash);
int64_t pg_user_count(struct store *st);
enum err pg_token_create(struct store *st, int64_t user_id, const char *token_hash,
                         const char *label, const char *scopes, int64_t *id_out);
enum err pg_token_lookup(struct store *st, struct arena *a, const char *token_hash,
                         struct store_user *user_out, const char **scopes_out);
enum err pg_org_create(struct store *st, int64_t owner_user_id, const char *slug, const char *name,
                       struct arena *a, struct store_org *out);
enum err pg_org_by_slug(struct store *st, struct arena *a, const char *slug, struct store_org *out);
enum err pg_org_list_for_user(struct store *st, struct arena *a, int64_t user_id, bool superuser,
                              struct store_org **rows, size_t *n);
enum err pg_org_member_role(struct store *st, struct arena *a, int64_t org_id, int64_t user_id,
                            const char **role_out);
enum err pg_team_create(struct store *st, int64_t org_id, const char *slug, const char *name,
                        struct arena *a, struct store_team *out);
enum err pg_team_by_slug(struct store *st, struct arena *a, int64_t org_id, const char *slug,
                         struct store_team *out);
enum err pg_team_list(struct store *st, struct arena *a, int64_t org_id, struct store_team **rows,
                      size_t *n);
enum err pg_project_create(struct store *st, int64_t org_id, int64_t team_id, const char *slug,
                           const char *name, const char *platform, struct arena *a,
                           struct store_project *out);
enum err pg_project_by_slug(struct store *st, struct arena *a, int64_t org_id, const char *slug,
                            struct store_project *out);
enum err pg_project_by_id(struct store *st, struct arena *a, int64_t id, struct store_project *out);
enum err pg_project_list(struct store *st, struct arena *a, int64_t org_id,
                         struct store_project **rows, size_t *n);
enum err pg_key_create(struct store *st, int64_t project_id, const char *public_key,
                       const char *label, struct arena *a, struct store_key *out);
enum err pg_key_list(struct store *st, struct arena *a, int64_t project_id, struct store_key **rows,
                     size_t *n);
enum err pg_key_by_public(struct store *st, struct arena *a, const char *public_key,
                          struct store_key *out);

enum err pg_issue_by_id(struct store *st, struct arena *a, int64_t id, struct store_issue *out);
enum err pg_issue_set_status(struct store *st, int64_t id, const char *status);
enum err pg_issue_delete(struct store *st, int64_t id);
enum err pg_event_edge_for_issue(struct store *st, struct arena *a, int64_t issue_id, bool latest,
                                 struct store_event_row *out);
enum err pg_event_by_id(struct store *st, struct arena *a, int64_t project_id, const char *event_id,
                        struct store_event_row *out);
int64_t pg_event_count(struct store *st, int64_t project_id);

enum err pg_retention_run(struct store *st, double cutoff, size_t max_batch,
                          const atomic_bool *stop, struct store_retention_result *out,
                          struct errinfo *ei);
enum err pg_partitions_maintain(struct store *st, double now, int *created, struct errinfo *ei);

/* ---- live updates across nodes (postgres_live.c) ----------------------------------------- */

/* Inside the ingest transaction's pipeline pp: queues the announcement of the batch's stored
 * (non-duplicate) events to the other nodes' listeners, as node; one statement, none when
 * nothing new was stored. A failure is recorded in pp. */
void pg_live_notify(struct pg_pipe *pp, const char *node, const struct store_event_in *evs,
                    size_t n);
enum err pg_live_listen(struct store *st, store_live_fn fn, void *ctx);
void pg_live_stop(struct store *st);

#endif
