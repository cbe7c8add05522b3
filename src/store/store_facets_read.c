/* store_facets_read: the reads of the facets the job keeps — an issue's tag keys with their
 * totals, the values of a key with counts and first/last seen, and the issue's counts per hour
 * or per day (days summed from the hourly buckets), every bucket of the range present. */
#include "store/store_issues_int.h"

#include <math.h>
#include <string.h>

/* Search-only keys (user.id …) are kept for is:/user.*: filters, not shown as tags. */
#define FX_VISIBLE "key NOT IN ('user.id', 'user.email', 'user.username', 'user.ip')"
#define FX_STATS_MAX 1000

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

enum err store_issue_stats(struct store *st, struct arena *a, int64_t issue_id, double since,
                           double until, double step, struct store_stat_bucket **rows, size_t *n)
{
    SI_ENTER(st);
    SI_CHECK(a && rows && n && step >= 3600 && until >= since);
    double first = floor(since / step) * step;
    size_t nb = (size_t)((until - first) / step) + 1;
    SI_CHECK(nb <= FX_STATS_MAX);
    struct store_stat_bucket *out = arena_calloc(a, nb, sizeof *out), *hours = NULL;
    if (!out)
        return E_TOOBIG;
    for (size_t k = 0; k < nb; k++)
        out[k].start = first + (double)k * step;
    struct store_q_params p = {0};
    si_p_int(&p, issue_id);
    si_p_real(&p, first);
    si_p_real(&p, until);
    size_t nh = 0;
    enum err e = si_list(st, a,
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
