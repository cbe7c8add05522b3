/* postgres_orgs: the PostgreSQL query driver behind store_orgs.c (store_orgs_int.h) — a pool
 * connection, BEGIN … COMMIT around a unit of work, and each statement sent with its
 * parameters in one round trip (PQexecParams, types inferred by the server). */
#include "store/postgres_int.h"
#include "store/store_orgs_int.h"

#include <stdint.h>
#include <stdlib.h>

struct store_q_conn {
    struct pg_conn c;
};

static enum err pgo_with_conn(struct store *st, bool tx, store_q_work_fn work, void *ctx)
{
    struct pg_store *s = pg_of(st);
    struct pg_conn *c = NULL;
    enum err e = pg_acquire(s, &c, NULL);
    if (e)
        return e;
    if (tx)
        e = pg_begin(c, NULL);
    if (!e)
        e = work((struct store_q_conn *)c, ctx);
    if (tx)
        e = pg_finish(c, e, NULL);
    pg_release(s, c);
    return e;
}

static void pgo_params(const struct store_q_params *in, struct pg_params *out)
{
    for (int i = 0; in && i < in->n && i < PG_MAX_PARAMS; i++) {
        switch (in->v[i].t) {
        case SQT_INT:
            pg_p_int(out, in->v[i].i);
            break;
        case SQT_BOOL:
            pg_p_bool(out, in->v[i].i != 0);
            break;
        case SQT_REAL:
            pg_p_real(out, in->v[i].r);
            break;
        case SQT_TEXT:
            pg_p_text(out, in->v[i].s);
            break;
        case SQT_BLOB:
            pg_p_bin(out, in->v[i].s, in->v[i].len);
            break;
        case SQT_NULL:
        default:
            pg_p_text(out, NULL);
            break;
        }
    }
}

static enum err pgo_exec(struct store_q_conn *qc, const char *sql, const struct store_q_params *p,
                         store_q_row_fn row, void *ctx, int64_t *changes)
{
    struct pg_params pp = {.n = 0};
    pgo_params(p, &pp);
    PGresult *res = NULL;
    enum err e = pg_exec_sql(&qc->c, sql, &pp, &res, NULL);
    if (e)
        return e;
    int n = PQntuples(res);
    for (int i = 0; i < n && !e && row; i++) {
        struct store_q_row r = {res, i};
        e = row(&r, ctx);
    }
    if (!e && changes)
        *changes = pg_res_changes(res);
    PQclear(res);
    return e;
}

static const PGresult *pgo_res(const struct store_q_row *r)
{
    return r->res;
}

static bool pgo_col_null(const struct store_q_row *r, int col)
{
    return PQgetisnull(pgo_res(r), r->row, col) != 0;
}

static int64_t pgo_col_int(const struct store_q_row *r, int col)
{
    return pgo_col_null(r, col) ? 0 : strtoll(PQgetvalue(pgo_res(r), r->row, col), NULL, 10);
}

static double pgo_col_real(const struct store_q_row *r, int col)
{
    return pgo_col_null(r, col) ? 0 : strtod(PQgetvalue(pgo_res(r), r->row, col), NULL);
}

static bool pgo_col_bool(const struct store_q_row *r, int col)
{
    return !pgo_col_null(r, col) && PQgetvalue(pgo_res(r), r->row, col)[0] == 't';
}

static const char *pgo_col_text(const struct store_q_row *r, int col)
{
    return pgo_col_null(r, col) ? NULL : PQgetvalue(pgo_res(r), r->row, col);
}

static const void *pgo_col_blob(const struct store_q_row *r, int col, struct arena *a, size_t *len)
{
    struct pg_row row = {pgo_res(r), r->row, a, false};
    const void *p = pg_col_bytea(&row, col, len);
    if (row.oom)
        *len = SIZE_MAX;
    return p;
}

const struct store_orgs_ops pg_orgs_ops = {
    .with_conn = pgo_with_conn,
    .exec = pgo_exec,
    .col_null = pgo_col_null,
    .col_int = pgo_col_int,
    .col_real = pgo_col_real,
    .col_bool = pgo_col_bool,
    .col_text = pgo_col_text,
    .col_blob = pgo_col_blob,
};
