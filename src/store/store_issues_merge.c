/* store_issues_merge: store_issue_merge() — several issues of a project become one. The
 * parent is the issue with the most events (ties: the newest); the others' events, distinct
 * users, comments, user reports and aliases move to it, their hashes become its aliases (so
 * ingest keeps sending their events to it), the counters are recomputed from the merged rows
 * and the others are deleted; the parent's facets are queued for a rebuild (facet_rebuild),
 * which the facets job recomputes from its events. One transaction: the issue rows are locked
 * first, in id order, the same order ingest locks them in. */
#include "store/store_issues_int.h"

#include <stdlib.h>
#include <string.h>

#define SI_MERGE_MAX 100

struct si_merge_issue {
    int64_t id, project_id, times_seen;
    double first_seen, last_seen;
    const char *hash;
};

struct si_merge {
    const struct store_orgs_ops *o;
    struct arena *a;
    const int64_t *ids;
    size_t n;
    struct si_merge_issue rows[SI_MERGE_MAX];
    int64_t parent;
    bool pg; /* PostgreSQL: the coarse sort keys follow (0010_issue_hot.sql) */
};

static enum err si_fill_merge(struct si_out *out, const struct store_q_row *r, void *dst)
{
    struct si_merge_issue *m = dst;
    m->id = out->o->col_int(r, 0);
    m->project_id = out->o->col_int(r, 1);
    m->times_seen = out->o->col_int(r, 2);
    m->first_seen = out->o->col_real(r, 3);
    m->last_seen = out->o->col_real(r, 4);
    return si_text_col(out, r, 5, &m->hash);
}

/* Locks and reads each issue; E_NOTFOUND when one is missing, E_INVALID across projects. */
static enum err si_merge_load(struct store_q_conn *c, struct si_merge *w)
{
    for (size_t k = 0; k < w->n; k++) {
        struct store_q_params p = {0};
        si_p_int(&p, w->ids[k]);
        struct si_out out = {.o = w->o, .a = w->a, .fill = si_fill_merge, .one = &w->rows[k]};
        enum err e = si_run(c, w->o,
                            "UPDATE issues SET status = status WHERE id = $1 RETURNING id, "
                            "project_id, times_seen, first_seen, last_seen, hash",
                            &p, &out, NULL);
        if (e)
            return e;
        if (!out.found)
            return E_NOTFOUND;
        if (w->rows[k].project_id != w->rows[0].project_id)
            return E_INVALID;
    }
    return E_OK;
}

static size_t si_merge_pick(const struct si_merge *w)
{
    size_t best = 0;
    for (size_t k = 1; k < w->n; k++) {
        const struct si_merge_issue *a = &w->rows[k], *b = &w->rows[best];
        if (a->times_seen > b->times_seen ||
            (a->times_seen == b->times_seen &&
             (a->last_seen > b->last_seen || (a->last_seen == b->last_seen && a->id > b->id))))
            best = k;
    }
    return best;
}

/* Moves one child's rows to the parent and deletes it. */
static enum err si_merge_child(struct store_q_conn *c, struct si_merge *w,
                               const struct si_merge_issue *child)
{
    static const char *const moves[] = {
        "UPDATE events SET issue_id = $1 WHERE issue_id = $2",
        ("INSERT INTO issue_users (issue_id, user_key) SELECT $1, user_key FROM issue_users "
         "WHERE issue_id = $2 ON CONFLICT DO NOTHING"), /* parenthesised: one string */
        "UPDATE issue_aliases SET issue_id = $1 WHERE issue_id = $2",
        "UPDATE issue_comments SET issue_id = $1 WHERE issue_id = $2",
        "UPDATE user_reports SET issue_id = $1 WHERE issue_id = $2",
        "DELETE FROM issues WHERE id = $2 AND $1 > 0",
    };
    struct store_q_params p = {0};
    si_p_int(&p, w->parent);
    si_p_int(&p, child->id);
    enum err e = E_OK;
    for (size_t k = 0; k < sizeof moves / sizeof *moves && !e; k++)
        e = si_run(c, w->o, moves[k], &p, NULL, NULL);
    struct store_q_params al = {0};
    si_p_int(&al, child->project_id);
    si_p_text(&al, child->hash);
    si_p_int(&al, w->parent);
    return e ? e
             : si_run(c, w->o,
                      "INSERT INTO issue_aliases (project_id, hash, issue_id) VALUES ($1, $2, $3) "
                      "ON CONFLICT (project_id, hash) DO UPDATE SET issue_id = excluded.issue_id",
                      &al, NULL, NULL);
}

/* The parent's counters from the merged issues', its users recounted; facets queued. */
static enum err si_merge_counters(struct store_q_conn *c, struct si_merge *w)
{
    int64_t times = 0;
    double lo = w->rows[0].first_seen, hi = w->rows[0].last_seen;
    for (size_t k = 0; k < w->n; k++) {
        times += w->rows[k].times_seen;
        lo = w->rows[k].first_seen < lo ? w->rows[k].first_seen : lo;
        hi = w->rows[k].last_seen > hi ? w->rows[k].last_seen : hi;
    }
    struct store_q_params p = {0};
    si_p_int(&p, w->parent);
    si_p_int(&p, times);
    si_p_real(&p, lo);
    si_p_real(&p, hi);
    enum err e = si_run(c, w->o,
                        "UPDATE issues SET times_seen = $2, first_seen = $3, last_seen = $4, "
                        "user_count = (SELECT count(*) FROM issue_users WHERE issue_id = $1) "
                        "WHERE id = $1",
                        &p, NULL, NULL);
    struct store_q_params q = {0};
    si_p_int(&q, w->parent);
    if (!e && w->pg)
        e = si_run(c, w->o, "UPDATE issues SET " STORE_PG_SORT_KEYS_SET " WHERE id = $1", &q, NULL,
                   NULL);
    return e ? e
             : si_run(c, w->o,
                      "INSERT INTO facet_rebuild (issue_id) VALUES ($1) ON CONFLICT (issue_id) "
                      "DO UPDATE SET gen = facet_rebuild.gen + 1",
                      &q, NULL, NULL);
}

static enum err si_merge_work(struct store_q_conn *c, void *ctx)
{
    struct si_merge *w = ctx;
    enum err e = si_merge_load(c, w);
    if (e)
        return e;
    size_t pk = si_merge_pick(w);
    w->parent = w->rows[pk].id;
    for (size_t k = 0; k < w->n && !e; k++)
        if (k != pk)
            e = si_merge_child(c, w, &w->rows[k]);
    return e ? e : si_merge_counters(c, w);
}

static int si_cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

enum err store_issue_merge(struct store *st, const int64_t *ids, size_t n, int64_t *parent)
{
    SI_ENTER(st);
    SI_CHECK(ids && n >= 2 && n <= SI_MERGE_MAX && parent);
    struct arena *a = arena_new(0);
    struct si_merge *w = arena_calloc(a, 1, sizeof *w);
    int64_t *sorted = arena_calloc(a, n, sizeof *sorted);
    enum err e = w && sorted ? E_OK : E_NOMEM;
    if (e)
        goto out;
    memcpy(sorted, ids, n * sizeof *ids);
    qsort(sorted, n, sizeof *sorted, si_cmp_id);
    for (size_t k = 1; k < n; k++)
        if (sorted[k] == sorted[k - 1]) {
            e = E_INVALID;
            goto out;
        }
    *w = (struct si_merge){.o = st->ops->orgs, .a = a, .ids = sorted, .n = n, .pg = si_is_pg(st)};
    e = st->ops->orgs->with_conn(st, true, si_merge_work, w);
    if (!e)
        *parent = w->parent;
out:
    arena_free(a);
    return e;
}
