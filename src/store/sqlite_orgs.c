/* sqlite_orgs: the SQLite query driver behind store_orgs.c (store_orgs_int.h) — a pool
 * connection, BEGIN IMMEDIATE … COMMIT around a unit of work, and statements prepared per
 * call whose $n parameters are bound by name, so the portable SQL of store_orgs.c runs
 * unchanged. These are management calls (a few per API request), not ingest. */
#include "store/sqlite_int.h"
#include "store/store_orgs_int.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct store_q_conn {
    struct sq_conn c;
};

static enum err sqo_with_conn(struct store *st, bool tx, store_q_work_fn work, void *ctx)
{
    struct sq_store *s = sq_of(st);
    struct sq_conn *c = sq_acquire(s);
    enum err e = tx ? sq_begin(c, NULL) : E_OK;
    if (!e)
        e = work((struct store_q_conn *)c, ctx);
    if (tx)
        e = sq_finish(c, e, NULL);
    sq_release(s, c);
    return e;
}

static void sqo_bind(sqlite3_stmt *s, const struct store_q_params *p)
{
    for (int i = 0; p && i < p->n; i++) {
        char name[16];
        snprintf(name, sizeof name, "$%d", i + 1);
        int idx = sqlite3_bind_parameter_index(s, name);
        if (idx == 0)
            continue;
        switch (p->v[i].t) {
        case SQT_INT:
        case SQT_BOOL:
            sqlite3_bind_int64(s, idx, p->v[i].i);
            break;
        case SQT_REAL:
            sqlite3_bind_double(s, idx, p->v[i].r);
            break;
        case SQT_TEXT:
            sqlite3_bind_text(s, idx, p->v[i].s, -1, SQLITE_STATIC);
            break;
        case SQT_BLOB:
            sqlite3_bind_blob64(s, idx, p->v[i].s, p->v[i].len, SQLITE_STATIC);
            break;
        case SQT_NULL:
        default:
            sqlite3_bind_null(s, idx);
            break;
        }
    }
}

static enum err sqo_exec(struct store_q_conn *qc, const char *sql, const struct store_q_params *p,
                         store_q_row_fn row, void *ctx, int64_t *changes)
{
    sqlite3 *db = qc->c.db;
    struct sq_cached_stmt *slot;
    int rc;
    sqlite3_stmt *s = sq_cache_acquire(&qc->c, sql, &slot, &rc);
    enum err e = E_OK;
    if (!s)
        return sq_err(db, rc, NULL, "prepare");
    sqo_bind(s, p);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW && !e) {
        struct store_q_row r = {s, 0};
        if (row)
            e = row(&r, ctx);
    }
    if (!e && rc != SQLITE_DONE && rc != SQLITE_ROW)
        e = sq_err(db, rc, NULL, "organization resources");
    if (!e && changes)
        *changes = sqlite3_changes(db);
    sq_cache_release(s, slot);
    return e;
}

static sqlite3_stmt *sqo_stmt(const struct store_q_row *r)
{
    return r->res;
}

static bool sqo_col_null(const struct store_q_row *r, int col)
{
    return sqlite3_column_type(sqo_stmt(r), col) == SQLITE_NULL;
}

static int64_t sqo_col_int(const struct store_q_row *r, int col)
{
    return sqlite3_column_int64(sqo_stmt(r), col);
}

static double sqo_col_real(const struct store_q_row *r, int col)
{
    return sqlite3_column_double(sqo_stmt(r), col);
}

static bool sqo_col_bool(const struct store_q_row *r, int col)
{
    return sqlite3_column_int64(sqo_stmt(r), col) != 0;
}

static const char *sqo_col_text(const struct store_q_row *r, int col)
{
    return (const char *)sqlite3_column_text(sqo_stmt(r), col);
}

static const void *sqo_col_blob(const struct store_q_row *r, int col, struct arena *a, size_t *len)
{
    const void *p = sqlite3_column_blob(sqo_stmt(r), col);
    int n = sqlite3_column_bytes(sqo_stmt(r), col);
    void *dst = p && n > 0 ? arena_alloc(a, (size_t)n) : NULL;
    *len = dst ? (size_t)n : p && n > 0 ? SIZE_MAX : 0;
    if (dst)
        memcpy(dst, p, (size_t)n);
    return dst;
}

const struct store_orgs_ops sq_orgs_ops = {
    .with_conn = sqo_with_conn,
    .exec = sqo_exec,
    .col_null = sqo_col_null,
    .col_int = sqo_col_int,
    .col_real = sqo_col_real,
    .col_bool = sqo_col_bool,
    .col_text = sqo_col_text,
    .col_blob = sqo_col_blob,
};
