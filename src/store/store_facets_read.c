/* store_facets_read: the reads of the facets the job keeps — an issue's tag keys with their
 * totals, the values of a key with counts and first/last seen, and the counts per hour or per
 * day (days summed from the hourly buckets) of an issue or of whole projects, every bucket of
 * the range present. */
#include "store/store_issues_int.h"

#include <math.h>
#include <string.h>

/* Search-only keys (user.id …) are kept for is:/user.*: filters, not shown as tags. */
#define FX_VISIBLE "key NOT IN ('user.id', 'user.email', 'user.username', 'user.ip')"
#define FX_STATS_MAX 1000
/* Projects per statement of store_project_stats: the parameters left after the range. */
#define FX_PROJECTS_PER_QUERY (STORE_Q_PARAMS_MAX - 2)

static enum err fx_fill_key(struct si_out *out, const struct store_q_row *r, void *dst)
{
    struct store_tag_key *k = dst;
    k->total = out->o->col_int(r, 1);
    k->unique_values = out->o->col_int(r, 2);
    return si_text_col(out, r, 0, &k->key);
}

enum err store_issue_tag_keys(struct store *st, struct arena *a, int64_t issue_id,
                              struct store_tag_key **rows, size_t *n)
{
    SI_ENTER(st);
    SI_CHECK(a && rows && n);
    struct store_q_params p = {0};
    si_p_int(&p, issue_id);
    return si_list(st, a,
                   "SELECT key, sum(times_seen), count(*) FROM issue_tag_values "
                   "WHERE issue_id = $1 AND " FX_VISIBLE " GROUP BY key ORDER BY key LIMIT 1000",
                   &p, fx_fill_key, sizeof **rows, (void **)rows, n);
}

static enum err fx_fill_value(struct si_out *out, const struct store_q_row *r, void *dst)
{
    struct store_tag_value *v = dst;
    v->count = out->o->col_int(r, 2);
    v->first_seen = out->o->col_real(r, 3);
    v->last_seen = out->o->col_real(r, 4);
    enum err e = si_text_col(out, r, 0, &v->key);
    return e ? e : si_text_col(out, r, 1, &v->value);
}

enum err store_issue_tag_values(struct store *st, struct arena *a, int64_t issue_id,
                                const char *key, int limit, struct store_tag_value **rows,
                                size_t *n)
{
    SI_ENTER(st);
    SI_CHECK(a && rows && n && limit > 0 && limit <= STORE_LIST_MAX);
    struct store_q_params p = {0};
    si_p_int(&p, issue_id);
    si_p_text(&p, key);
    si_p_int(&p, limit);
    return si_list(st, a,
                   "SELECT key, value, times_seen, first_seen, last_seen FROM issue_tag_values "
                   "WHERE issue_id = $1 AND (key = CAST($2 AS TEXT) OR (CAST($2 AS TEXT) IS NULL "
                   "AND " FX_VISIBLE ")) ORDER BY times_seen DESC, key, value LIMIT $3",
                   &p, fx_fill_value, sizeof **rows, (void **)rows, n);
}

static enum err fx_fill_bucket(struct si_out *out, const struct store_q_row *r, void *dst)
{
    struct store_stat_bucket *b = dst;
    b->start = out->o->col_real(r, 0);
    b->count = out->o->col_int(r, 1);
    return E_OK;
}

/* count series of empty buckets of step seconds over [since, until]: *first is the start
 * of the first bucket (since rounded down), *nb the buckets per series (at most
 * FX_STATS_MAX, else E_INVALID). */
static enum err fx_buckets(struct arena *a, size_t count, double since, double until, double step,
                           double *first, size_t *nb, struct store_stat_bucket **out)
{
    *first = floor(since / step) * step;
    double want = floor((until - *first) / step) + 1;
    if (want > FX_STATS_MAX)
        return E_INVALID;
    *nb = (size_t)want;
    *out = arena_calloc(a, count ? count : 1, *nb * sizeof **out);
    if (!*out)
        return E_TOOBIG;
    for (size_t k = 0; k < count * *nb; k++)
        (*out)[k].start = *first + (double)(k % *nb) * step;
    return E_OK;
}

enum err store_issue_stats(struct store *st, struct arena *a, int64_t issue_id, double since,
                           double until, double step, struct store_stat_bucket **rows, size_t *n)
{
    SI_ENTER(st);
    SI_CHECK(a && rows && n && step >= 3600 && until >= since);
    double first;
    size_t nb;
    struct store_stat_bucket *out, *hours = NULL;
    enum err e = fx_buckets(a, 1, since, until, step, &first, &nb, &out);
    if (e)
        return e;
    struct store_q_params p = {0};
    si_p_int(&p, issue_id);
    si_p_real(&p, first);
    si_p_real(&p, until);
    size_t nh = 0;
    e = si_list(st, a,
                "SELECT bucket_start, count FROM issue_stats WHERE issue_id = $1 AND "
                "bucket_start >= $2 AND bucket_start <= $3 ORDER BY bucket_start",
                &p, fx_fill_bucket, sizeof *hours, (void **)&hours, &nh);
    for (size_t k = 0; !e && k < nh; k++) {
        size_t at = (size_t)((hours[k].start - first) / step);
        if (at < nb)
            out[at].count += hours[k].count;
    }
    *rows = e ? NULL : out;
    *n = e ? 0 : nb;
    return e;
}

/* store_project_stats' rows: each adds to the buckets of the projects it belongs to. */
struct fx_projects {
    const struct store_orgs_ops *o;
    const int64_t *ids;
    size_t n, from, to; /* ids[from..to): the statement running */
    double first, until, step;
    size_t nb;
    struct store_stat_bucket *out;
};

static enum err fx_project_row(const struct store_q_row *r, void *ctx)
{
    struct fx_projects *f = ctx;
    int64_t pid = f->o->col_int(r, 0);
    double at = floor((f->o->col_real(r, 1) - f->first) / f->step);
    if (at < 0 || at >= (double)f->nb)
        return E_OK;
    for (size_t k = f->from; k < f->to; k++)
        if (f->ids[k] == pid)
            f->out[k * f->nb + (size_t)at].count += f->o->col_int(r, 2);
    return E_OK;
}

/* One statement per FX_PROJECTS_PER_QUERY projects, on one connection. */
static enum err fx_projects_work(struct store_q_conn *c, void *ctx)
{
    struct fx_projects *f = ctx;
    enum err e = E_OK;
    for (f->from = 0; !e && f->from < f->n; f->from = f->to) {
        f->to = f->n - f->from > FX_PROJECTS_PER_QUERY ? f->from + FX_PROJECTS_PER_QUERY : f->n;
        struct si_sql t = {0};
        si_add(&t, "SELECT i.project_id, s.bucket_start, sum(s.count) FROM issue_stats s "
                   "JOIN issues i ON i.id = s.issue_id WHERE ");
        si_real(&t, "s.bucket_start >= ?", f->first);
        si_real(&t, " AND s.bucket_start <= ? AND i.project_id IN (", f->until);
        for (size_t k = f->from; k < f->to; k++)
            si_int(&t, k > f->from ? ", ?" : "?", f->ids[k]);
        si_add(&t, ") GROUP BY i.project_id, s.bucket_start");
        e = t.bad ? E_INVALID : f->o->exec(c, t.p, &t.params, fx_project_row, f, NULL);
    }
    return e;
}

enum err store_project_stats(struct store *st, struct arena *a, const int64_t *project_ids,
                             size_t n, double since, double until, double step,
                             struct store_stat_bucket **rows, size_t *nb)
{
    SI_ENTER(st);
    SI_CHECK(a && rows && nb && (project_ids || n == 0) && step >= 3600 && until >= since);
    struct fx_projects f = {.o = st->ops->orgs, .ids = project_ids, .n = n, .until = until};
    f.step = step;
    enum err e = fx_buckets(a, n, since, until, step, &f.first, &f.nb, &f.out);
    if (!e && n > 0)
        e = st->ops->orgs->with_conn(st, false, fx_projects_work, &f);
    *rows = e ? NULL : f.out;
    *nb = e ? 0 : f.nb;
    return e;
}
