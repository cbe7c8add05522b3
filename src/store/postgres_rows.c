/* postgres_rows: values in and out of PostgreSQL — statement parameters (text format, or
 * binary for bytea and arrays), results decoded from text format into the caller's arena,
 * and binary-format arrays for the batch statements. Nothing here touches a connection
 * except pg_get()/pg_get_list(), which run a read through pg_read(). */
#include "store/postgres_int.h"

#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Arrays of a batch never come near this; it only keeps a runaway from eating memory. */
#define PG_ARRAY_MAX ((size_t)1 << 30)

/* ---- parameters ------------------------------------------------------------------------- */

static void pg_p_add(struct pg_params *p, const char *v, int len, int fmt)
{
    if (p->n >= PG_MAX_PARAMS)
        abort(); /* statement texts are constants: a programming error */
    p->v[p->n] = v;
    p->len[p->n] = len;
    p->fmt[p->n] = fmt;
    p->n++;
}

void pg_p_int(struct pg_params *p, int64_t v)
{
    char *s = p->num[p->n < PG_MAX_PARAMS ? p->n : 0];
    snprintf(s, sizeof p->num[0], "%lld", (long long)v);
    pg_p_add(p, s, 0, 0);
}

/* %.17g round-trips every double exactly. */
void pg_p_real(struct pg_params *p, double v)
{
    char *s = p->num[p->n < PG_MAX_PARAMS ? p->n : 0];
    snprintf(s, sizeof p->num[0], "%.17g", v);
    pg_p_add(p, s, 0, 0);
}

void pg_p_text(struct pg_params *p, const char *v)
{
    pg_p_add(p, v, 0, 0);
}

void pg_p_bool(struct pg_params *p, bool v)
{
    pg_p_add(p, v ? "t" : "f", 0, 0);
}

void pg_p_bin(struct pg_params *p, const void *v, size_t n)
{
    pg_p_add(p, v, (int)n, 1);
}

/* ---- columns ---------------------------------------------------------------------------- */

const char *pg_col_text(struct pg_row *r, int col)
{
    if (PQgetisnull(r->res, r->row, col))
        return NULL;
    char *p = arena_strndup(r->a, PQgetvalue(r->res, r->row, col),
                            (size_t)PQgetlength(r->res, r->row, col));
    if (!p)
        r->oom = true;
    return p;
}

int64_t pg_res_int(const PGresult *res, int row, int col)
{
    return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

int64_t pg_res_changes(const PGresult *res)
{
    return strtoll(PQcmdTuples((PGresult *)(uintptr_t)res), NULL, 10);
}

int64_t pg_col_int(struct pg_row *r, int col)
{
    return pg_res_int(r->res, r->row, col);
}

double pg_col_real(struct pg_row *r, int col)
{
    return strtod(PQgetvalue(r->res, r->row, col), NULL);
}

bool pg_col_bool(struct pg_row *r, int col)
{
    return PQgetvalue(r->res, r->row, col)[0] == 't';
}

static int pg_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* bytea's text output is "\x" and two hex digits a byte (bytea_output = hex, the default
 * since 9.0; the connection sets it explicitly). */
const void *pg_col_bytea(struct pg_row *r, int col, size_t *len)
{
    *len = 0;
    const char *t = PQgetvalue(r->res, r->row, col);
    size_t n = (size_t)PQgetlength(r->res, r->row, col);
    if (PQgetisnull(r->res, r->row, col) || n < 4 || t[0] != '\\' || t[1] != 'x')
        return NULL;
    size_t out_len = (n - 2) / 2;
    unsigned char *out = arena_alloc(r->a, out_len);
    if (!out) {
        r->oom = true;
        return NULL;
    }
    for (size_t i = 0; i < out_len; i++) {
        int hi = pg_hexval(t[2 + 2 * i]), lo = pg_hexval(t[3 + 2 * i]);
        out[i] = (unsigned char)((hi < 0 ? 0 : hi) << 4 | (lo < 0 ? 0 : lo));
    }
    *len = out_len;
    return out;
}

/* ---- results ---------------------------------------------------------------------------- */

enum err pg_one(PGresult *res, struct arena *a, pg_fill_fn fill, void *out)
{
    enum err e = E_NOTFOUND;
    if (PQntuples(res) > 0) {
        struct pg_row r = {res, 0, a, false};
        fill(&r, out);
        e = r.oom ? E_TOOBIG : E_OK;
    }
    PQclear(res);
    return e;
}

enum err pg_list(PGresult *res, struct arena *a, pg_fill_fn fill, size_t elsize, void **rows,
                 size_t *n)
{
    enum err e = E_OK;
    size_t count = (size_t)PQntuples(res);
    char *arr = arena_calloc(a, count ? count : 1, elsize);
    if (!arr) {
        e = E_TOOBIG;
        goto out;
    }
    for (size_t i = 0; i < count; i++) {
        struct pg_row r = {res, (int)i, a, false};
        fill(&r, arr + i * elsize);
        if (r.oom) {
            e = E_TOOBIG;
            goto out;
        }
    }
out:
    PQclear(res);
    *rows = e ? NULL : arr;
    *n = e ? 0 : count;
    return e;
}

enum err pg_get(struct pg_store *s, enum pg_stmt id, const struct pg_params *p, struct arena *a,
                pg_fill_fn fill, void *out)
{
    PGresult *res = NULL;
    enum err e = pg_read(s, id, p, &res);
    return e ? e : pg_one(res, a, fill, out);
}

enum err pg_get_list(struct pg_store *s, enum pg_stmt id, const struct pg_params *p,
                     struct arena *a, pg_fill_fn fill, size_t elsize, void **rows, size_t *n)
{
    PGresult *res = NULL;
    *rows = NULL;
    *n = 0;
    enum err e = pg_read(s, id, p, &res);
    return e ? e : pg_list(res, a, fill, elsize, rows, n);
}

/* ---- binary arrays ---------------------------------------------------------------------- */

/* array_recv's layout: ndim, has-null flag, element type, then per dimension its length and
 * lower bound, then each element as a length (-1 for NULL) and its bytes, big-endian. */
static enum err pg_array_u32(struct pg_array *arr, uint32_t v)
{
    uint32_t be = htobe32(v);
    return buf_append(&arr->b, &be, sizeof be);
}

void pg_array_init(struct pg_array *arr, unsigned elem_oid)
{
    memset(arr, 0, sizeof *arr);
    buf_init(&arr->b, PG_ARRAY_MAX);
    enum err e = pg_array_u32(arr, 1);
    e = e ? e : pg_array_u32(arr, 0);
    e = e ? e : pg_array_u32(arr, elem_oid);
    arr->count_at = arr->b.len;
    e = e ? e : pg_array_u32(arr, 0); /* length, patched by pg_array_done() */
    e = e ? e : pg_array_u32(arr, 1); /* lower bound */
    if (e)
        abort(); /* 20 bytes under a 1 GiB cap */
}

void pg_array_free(struct pg_array *arr)
{
    buf_free(&arr->b);
}

static void pg_array_elem(struct pg_array *arr, const void *v, size_t n)
{
    if (arr->err)
        return;
    if (n > INT32_MAX) {
        arr->err = E_TOOBIG;
        return;
    }
    arr->err = pg_array_u32(arr, (uint32_t)n);
    if (!arr->err && n)
        arr->err = buf_append(&arr->b, v, n);
    if (!arr->err)
        arr->count++;
}

void pg_array_int(struct pg_array *arr, int64_t v)
{
    uint64_t be = htobe64((uint64_t)v);
    pg_array_elem(arr, &be, sizeof be);
}

void pg_array_real(struct pg_array *arr, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    bits = htobe64(bits);
    pg_array_elem(arr, &bits, sizeof bits);
}

void pg_array_bytes(struct pg_array *arr, const void *v, size_t n)
{
    if (v) {
        pg_array_elem(arr, v, n);
        return;
    }
    if (arr->err)
        return;
    arr->has_null = true;
    arr->err = pg_array_u32(arr, UINT32_MAX); /* length -1: NULL */
    if (!arr->err)
        arr->count++;
}

void pg_array_text(struct pg_array *arr, const char *v)
{
    pg_array_bytes(arr, v, v ? strlen(v) : 0);
}

enum err pg_array_done(struct pg_array *arr, struct pg_params *p)
{
    if (arr->err)
        return arr->err;
    uint32_t be = htobe32((uint32_t)arr->count);
    memcpy(arr->b.p + arr->count_at, &be, sizeof be);
    be = htobe32(arr->has_null ? 1 : 0);
    memcpy(arr->b.p + 4, &be, sizeof be);
    pg_p_bin(p, arr->b.p, arr->b.len);
    return E_OK;
}
