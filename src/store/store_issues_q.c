/* store_issues_q: the helpers of store_issues_int.h — parameters, SQL text from constant
 * fragments, rows into the arena and statement runners over the query driver. */
#include "store/store_issues_int.h"

#include <stdio.h>
#include <string.h>

void si_add(struct si_sql *t, const char *frag)
{
    size_t n = strlen(frag);
    if (t->bad || t->len + n >= sizeof t->p) {
        t->bad = true;
        return;
    }
    memcpy(t->p + t->len, frag, n + 1);
    t->len += n;
}

void si_cond(struct si_sql *t, const char *frag)
{
    char num[16];
    snprintf(num, sizeof num, "$%d", t->params.n + 1);
    if (t->params.n >= STORE_Q_PARAMS_MAX)
        t->bad = true;
    for (const char *q = strchr(frag, '?'); q; q = strchr(frag, '?')) {
        char part[512];
        size_t n = (size_t)(q - frag);
        if (n >= sizeof part) {
            t->bad = true;
            return;
        }
        memcpy(part, frag, n);
        part[n] = '\0';
        si_add(t, part);
        si_add(t, num);
        frag = q + 1;
    }
    si_add(t, frag);
}

static void si_p_add(struct store_q_params *p, struct store_q_param v)
{
    if (p->n < STORE_Q_PARAMS_MAX)
        p->v[p->n] = v;
    p->n++;
}

void si_p_int(struct store_q_params *p, int64_t v)
{
    si_p_add(p, (struct store_q_param){.t = SQT_INT, .i = v});
}

void si_p_real(struct store_q_params *p, double v)
{
    si_p_add(p, (struct store_q_param){.t = SQT_REAL, .r = v});
}

void si_p_text(struct store_q_params *p, const char *v)
{
    si_p_add(p, (struct store_q_param){.t = v ? SQT_TEXT : SQT_NULL, .s = v});
}

void si_int(struct si_sql *t, const char *frag, int64_t v)
{
    si_cond(t, frag);
    si_p_int(&t->params, v);
}

void si_real(struct si_sql *t, const char *frag, double v)
{
    si_cond(t, frag);
    si_p_real(&t->params, v);
}

void si_text(struct si_sql *t, const char *frag, const char *v)
{
    si_cond(t, frag);
    si_p_text(&t->params, v);
}

enum err si_text_col(struct si_out *out, const struct store_q_row *r, int col, const char **dst)
{
    const char *s = out->o->col_text(r, col);
    *dst = s ? arena_strdup(out->a, s) : NULL;
    return s && !*dst ? E_TOOBIG : E_OK;
}

enum err si_fill_issue(struct si_out *out, const struct store_q_row *r, void *dst)
{
    struct store_issue *i = dst;
    const struct store_orgs_ops *o = out->o;
    i->id = o->col_int(r, 0);
    i->project_id = o->col_int(r, 1);
    i->short_num = o->col_int(r, 2);
    i->first_seen = o->col_real(r, 11);
    i->last_seen = o->col_real(r, 12);
    i->count = o->col_int(r, 13);
    i->user_count = o->col_int(r, 14);
    const char **texts[] = {&i->project_slug, &i->hash,  &i->title,  &i->culprit,
                            &i->type,         &i->level, &i->status, &i->metadata_json};
    static const int cols[] = {3, 4, 5, 6, 7, 8, 9, 10};
    enum err e = E_OK;
    for (size_t k = 0; k < sizeof cols / sizeof *cols && !e; k++)
        e = si_text_col(out, r, cols[k], texts[k]);
    if (!e)
        e = si_text_col(out, r, 15, &i->platform);
    return e ? e : si_text_col(out, r, 16, &i->logger);
}

enum err si_fill_event(struct si_out *out, const struct store_q_row *r, void *dst)
{
    struct store_event_row *ev = dst;
    const struct store_orgs_ops *o = out->o;
    ev->id = o->col_int(r, 0);
    ev->project_id = o->col_int(r, 1);
    ev->issue_id = o->col_int(r, 2);
    const char *eid = o->col_text(r, 3);
    snprintf(ev->event_id, sizeof ev->event_id, "%s", eid ? eid : "");
    ev->timestamp = o->col_real(r, 4);
    ev->received = o->col_real(r, 5);
    ev->data = o->col_blob(r, 6, out->a, &ev->data_len);
    return ev->data_len == SIZE_MAX ? E_TOOBIG : E_OK;
}

enum err si_fill_int(struct si_out *out, const struct store_q_row *r, void *dst)
{
    *(int64_t *)dst = out->o->col_int(r, 0);
    return E_OK;
}

enum err si_row(const struct store_q_row *r, void *ctx)
{
    struct si_out *out = ctx;
    if (out->one) {
        if (out->found)
            return E_OK;
        out->found = true;
        return out->fill(out, r, out->one);
    }
    if (out->n == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 16;
        void *rows = arena_alloc(out->a, cap * out->elsize);
        if (!rows)
            return E_TOOBIG;
        if (out->n)
            memcpy(rows, out->rows, out->n * out->elsize);
        out->rows = rows;
        out->cap = cap;
    }
    char *dst = (char *)out->rows + out->n * out->elsize;
    memset(dst, 0, out->elsize);
    out->n++;
    return out->fill(out, r, dst);
}

enum err si_run(struct store_q_conn *c, const struct store_orgs_ops *o, const char *sql,
                const struct store_q_params *p, struct si_out *out, int64_t *changes)
{
    if (p && p->n > STORE_Q_PARAMS_MAX)
        return E_INVALID;
    return o->exec(c, sql, p, out ? si_row : NULL, out, changes);
}

struct si_single {
    const struct store_orgs_ops *o;
    const char *sql;
    const struct store_q_params *p;
    struct si_out *out;
    int64_t *changes;
};

static enum err si_single_work(struct store_q_conn *c, void *ctx)
{
    struct si_single *w = ctx;
    return si_run(c, w->o, w->sql, w->p, w->out, w->changes);
}

enum err si_exec(struct store *st, const char *sql, const struct store_q_params *p,
                 struct si_out *out, int64_t *changes)
{
    struct si_single w = {st->ops->orgs, sql, p, out, changes};
    return st->ops->orgs->with_conn(st, false, si_single_work, &w);
}

enum err si_list(struct store *st, struct arena *a, const char *sql, const struct store_q_params *p,
                 si_fill_fn fill, size_t elsize, void **rows, size_t *n)
{
    struct si_out out = {.o = st->ops->orgs, .a = a, .fill = fill, .elsize = elsize};
    enum err e = si_exec(st, sql, p, &out, NULL);
    *rows = e ? NULL : out.rows;
    *n = e ? 0 : out.n;
    return e;
}

enum err si_one(struct store *st, struct arena *a, const char *sql, const struct store_q_params *p,
                si_fill_fn fill, void *one)
{
    struct si_out out = {.o = st->ops->orgs, .a = a, .fill = fill, .one = one};
    enum err e = si_exec(st, sql, p, &out, NULL);
    return e ? e : out.found ? E_OK : E_NOTFOUND;
}
