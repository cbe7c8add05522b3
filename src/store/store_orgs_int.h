/* store_orgs_int: how store_orgs.c reaches a backend. The organization resources (store.h's
 * members, invitations, teams, project settings and key management) are written once, in
 * store_orgs.c, as portable SQL; each backend supplies only a small query driver —
 * connection with an optional transaction, one statement with bound parameters, and column
 * accessors — reached through store_ops.orgs (sqlite_orgs.c, postgres_orgs.c).
 *
 * The SQL dialect both engines accept: parameters are $1, $2, … (SQLite binds them by
 * name, so each may appear several times and in any order); a parameter whose type
 * PostgreSQL cannot infer from its context is wrapped in CAST(… AS TEXT|INTEGER|BIGINT);
 * booleans are written TRUE/FALSE or as comparisons; RETURNING is available. */
#ifndef SNAG_STORE_STORE_ORGS_INT_H
#define SNAG_STORE_STORE_ORGS_INT_H

#include "store/store_int.h"

#define STORE_Q_PARAMS_MAX 32

enum store_q_type { SQT_NULL, SQT_INT, SQT_REAL, SQT_TEXT, SQT_BOOL, SQT_BLOB };

struct store_q_param {
    enum store_q_type t;
    int64_t i;
    double r;
    const char *s; /* SQT_TEXT: NUL-terminated; SQT_BLOB: len bytes */
    size_t len;
};

/* Parameters $1..$n of one statement, each of which the SQL must use (PostgreSQL infers
 * their types from it); text is borrowed until the statement ran. */
struct store_q_params {
    int n;
    struct store_q_param v[STORE_Q_PARAMS_MAX];
};

/* One result row while a row callback runs; res and row belong to the backend. */
struct store_q_row {
    void *res;
    int row;
};

struct store_q_conn; /* a backend connection, valid inside store_orgs_ops.with_conn */

/* Called once per result row; a non-zero result stops the statement with that error. */
typedef enum err (*store_q_row_fn)(const struct store_q_row *r, void *ctx);
/* The work run on a connection. */
typedef enum err (*store_q_work_fn)(struct store_q_conn *c, void *ctx);

struct store_orgs_ops {
    /* Runs work on a pool connection; with tx inside a write transaction, committed when
     * work returns E_OK (a commit failure becomes the result) and rolled back otherwise. */
    enum err (*with_conn)(struct store *st, bool tx, store_q_work_fn work, void *ctx);
    /* Runs sql; row (may be NULL) sees each row; *changes (may be NULL) gets the rows an
     * INSERT, UPDATE or DELETE changed. E_CONFLICT on a unique violation. */
    enum err (*exec)(struct store_q_conn *c, const char *sql, const struct store_q_params *p,
                     store_q_row_fn row, void *ctx, int64_t *changes);
    bool (*col_null)(const struct store_q_row *r, int col);
    int64_t (*col_int)(const struct store_q_row *r, int col);
    double (*col_real)(const struct store_q_row *r, int col);
    bool (*col_bool)(const struct store_q_row *r, int col);
    /* The column's text, valid until the callback returns; NULL for SQL NULL. */
    const char *(*col_text)(const struct store_q_row *r, int col);
    /* A blob (bytea) column copied into a; NULL and empty give NULL, 0 (and NULL on E_TOOBIG
     * with *len set to SIZE_MAX). */
    const void *(*col_blob)(const struct store_q_row *r, int col, struct arena *a, size_t *len);
};

extern const struct store_orgs_ops sq_orgs_ops; /* sqlite_orgs.c */
extern const struct store_orgs_ops pg_orgs_ops; /* postgres_orgs.c */

#endif
