/* store_issues_ext: store.h's issue search (Sentry's query language in store terms, keyset
 * pages), the per-user issue state, bulk updates and deletes, merging with hash aliases, and
 * the event reads the API's next/previous links and project lists need. Portable SQL over the
 * query driver of store_orgs_int.h; SQL text is built from constant fragments only, every
 * value is a bound parameter.
 *
 * DESIGN
 * - Keyset pages: rows are ordered by (sort column, id) descending and a page continues
 *   strictly after (or, for a previous page, before) the cursor's (value, id), so rows that
 *   arrive or move to the top meanwhile never shift the page boundaries: nothing already
 *   listed is repeated and nothing not yet listed is skipped — except an issue whose own sort
 *   value moves across the cursor while the pages are read (as in Sentry).
 * - Tag filters read issue_tag_values, kept asynchronously by the facets job, so a tag search
 *   trails ingest by the job's lag; level is the issue's, environment and release are read
 *   from the events (exact at once).
 * - A merge moves everything of the merged issues to the parent in one transaction that first
 *   locks all of their rows, so no ingest transaction adds an event to an issue being deleted
 *   unseen; their hashes become aliases of the parent. */
#include "store/store_issues_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"

/* ---- search ------------------------------------------------------------------------------ */

static const char *si_sort_col(const char *sort)
{
    if (sort && strcmp(sort, "new") == 0)
        return "i.first_seen";
    if (sort && strcmp(sort, "freq") == 0)
        return "i.times_seen";
    if (sort && strcmp(sort, "user") == 0)
        return "i.user_count";
    return "i.last_seen";
}

double store_issue_sort_value(const struct store_issue *row, const char *sort)
{
    const char *c = si_sort_col(sort);
    if (strcmp(c, "i.first_seen") == 0)
        return row->first_seen;
    if (strcmp(c, "i.times_seen") == 0)
        return (double)row->count;
    if (strcmp(c, "i.user_count") == 0)
        return (double)row->user_count;
    return row->last_seen;
}

/* "(?, ?, …)" of values, each bound as text. */
static void si_text_list(struct si_sql *t, const char *const *v, size_t n)
{
    si_add(t, "(");
    for (size_t i = 0; i < n; i++)
        si_text(t, i ? ", ?" : "?", v[i]);
    si_add(t, ")");
}

static void si_where_filter(struct si_sql *t, const struct store_search_filter *f, int64_t user_id)
{
    si_add(t, f->negated ? " AND NOT " : " AND ");
    switch (f->field) {
    case STORE_SF_LEVEL:
        si_add(t, "(i.level IN ");
        si_text_list(t, f->values, f->nvalues);
        si_add(t, ")");
        return;
    case STORE_SF_ENVIRONMENT:
    case STORE_SF_RELEASE:
        si_add(t, f->field == STORE_SF_RELEASE
                      ? "EXISTS (SELECT 1 FROM events e WHERE e.issue_id = i.id AND e.release IN "
                      : "EXISTS (SELECT 1 FROM events e WHERE e.issue_id = i.id AND "
                        "e.environment IN ");
        si_text_list(t, f->values, f->nvalues);
        si_add(t, ")");
        return;
    case STORE_SF_HAS:
        si_text(t,
                "EXISTS (SELECT 1 FROM issue_tag_values tv WHERE tv.issue_id = i.id "
                "AND tv.key = ?)",
                f->key);
        return;
    case STORE_SF_ASSIGNED:
        si_int(t,
               "EXISTS (SELECT 1 FROM issue_assignees a JOIN users u ON u.id = a.user_id "
               "WHERE a.issue_id = i.id AND (a.user_id = ? OR u.email IN ",
               user_id);
        si_text_list(t, f->values, f->nvalues);
        si_add(t, " OR CAST(u.id AS TEXT) IN ");
        si_text_list(t, f->values, f->nvalues);
        si_add(t, "))");
        return;
    case STORE_SF_TAG:
    default:
        si_text(t,
                "EXISTS (SELECT 1 FROM issue_tag_values tv WHERE tv.issue_id = i.id "
                "AND tv.key = ? AND tv.value IN ",
                f->key);
        si_text_list(t, f->values, f->nvalues);
        si_add(t, ")");
        return;
    }
}

static void si_where_status(struct si_sql *t, unsigned statuses)
{
    static const char *const names[] = {"'unresolved'", "'resolved'", "'ignored'"};
    if (!statuses)
        return;
    si_add(t, " AND i.status IN (");
    bool first = true;
    for (unsigned b = 0; b < 3; b++) {
        if (!(statuses & (1u << b)))
            continue;
        si_add(t, first ? names[b] : ", ");
        if (!first)
            si_add(t, names[b]);
        first = false;
    }
    si_add(t, ")");
}

static void si_where_flags(struct si_sql *t, const struct store_issue_search *q)
{
    if (q->flags & STORE_IS_UNASSIGNED)
        si_add(t, " AND NOT EXISTS (SELECT 1 FROM issue_assignees a WHERE a.issue_id = i.id)");
    if (q->flags & STORE_IS_ASSIGNED)
        si_add(t, " AND EXISTS (SELECT 1 FROM issue_assignees a WHERE a.issue_id = i.id)");
    if (q->flags & STORE_IS_BOOKMARKED)
        si_int(t,
               " AND EXISTS (SELECT 1 FROM issue_bookmarks b WHERE b.issue_id = i.id "
               "AND b.user_id = ?)",
               q->user_id);
}

/* "%text%" (lowercased) for LIKE … ESCAPE '\', pattern characters escaped. */
static char *si_like(struct arena *a, const char *text)
{
    size_t n = strlen(text), j = 0;
    char *p = arena_alloc(a, 2 * n + 3);
    if (!p)
        return NULL;
    p[j++] = '%';
    for (size_t i = 0; i < n; i++) {
        char c = text[i];
        if (c == '%' || c == '_' || c == '\\')
            p[j++] = '\\';
        p[j++] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
    }
    p[j++] = '%';
    p[j] = '\0';
    return p;
}

/* ",1,2,3," of ids: matched with LIKE so that any number of ids is one parameter. */
static char *si_id_set(struct arena *a, const int64_t *ids, size_t n)
{
    char *s = arena_strdup(a, ",");
    for (size_t i = 0; s && i < n; i++)
        s = arena_printf(a, "%s%lld,", s, (long long)ids[i]);
    return s;
}

static void si_where_scope(struct si_sql *t, struct arena *a, const struct store_issue_search *q)
{
    si_int(t, " WHERE p.org_id = ?", q->org_id);
    if (q->nprojects) {
        si_add(t, " AND i.project_id IN (");
        for (size_t k = 0; k < q->nprojects; k++)
            si_int(t, k ? ", ?" : "?", q->project_ids[k]);
        si_add(t, ")");
    }
    if (q->nids) {
        const char *set = si_id_set(a, q->ids, q->nids);
        t->bad |= !set;
        si_text(t, " AND ? LIKE '%,' || CAST(i.id AS TEXT) || ',%'", set);
    }
    if (q->nenvironments) {
        si_add(t, " AND EXISTS (SELECT 1 FROM events e WHERE e.issue_id = i.id AND "
                  "e.environment IN ");
        si_text_list(t, q->environments, q->nenvironments);
        si_add(t, ")");
    }
}

static void si_where_text(struct si_sql *t, struct arena *a, const char *text)
{
    const char *like = si_like(a, text);
    t->bad |= !like;
    si_text(t,
            " AND (lower(i.title) LIKE ? ESCAPE '\\' OR lower(i.culprit) LIKE ? ESCAPE '\\' "
            "OR EXISTS (SELECT 1 FROM events e WHERE e.issue_id = i.id AND "
            "lower(e.message) LIKE ? ESCAPE '\\'))",
            like);
}

/* PostgreSQL's coarse sort keys of an issue (0010_issue_hot.sql), as the database computes
 * them: floor(last_seen / 60) and length(times_seen::text). */
static int64_t si_last_seen_minute(double last_seen)
{
    return (int64_t)floor(last_seen / 60);
}

static int si_times_seen_digits(int64_t times_seen)
{
    int n = times_seen < 0 ? 2 : 1; /* the sign is a character too */
    for (int64_t v = times_seen; v >= 10 || v <= -10; v /= 10)
        n++;
    return n;
}

/* On PostgreSQL the last-seen and event-count orders read an index on a coarse key
 * (0010_issue_hot.sql): the index gives the keys in order and only the issues sharing one
 * are sorted. The cursor's key bounds the index scan. */
struct si_coarse {
    const char *col;
    int64_t key;
};

static bool si_coarse_key(const char *col, double v, struct si_coarse *k)
{
    v = isnan(v) ? 0 : v > 1e15 ? 1e15 : v < -1e15 ? -1e15 : v; /* a defined integer conversion */
    if (strcmp(col, "i.last_seen") == 0)
        *k = (struct si_coarse){"i.last_seen_minute", si_last_seen_minute(v)};
    else if (strcmp(col, "i.times_seen") == 0)
        *k = (struct si_coarse){"i.times_seen_digits", si_times_seen_digits((int64_t)v)};
    else
        return false;
    return true;
}

/* The cursor's condition and the ORDER BY / LIMIT of the page. */
static void si_page(struct si_sql *t, const struct store_issue_search *q, bool pg)
{
    const char *col = si_sort_col(q->sort);
    bool prev = q->cursor && q->cursor->prev;
    struct si_coarse k;
    bool coarse = pg && si_coarse_key(col, q->cursor ? q->cursor->value : 0, &k);
    char frag[256];
    if (q->cursor) {
        if (coarse) {
            snprintf(frag, sizeof frag, " AND %s %s ?", k.col, prev ? ">=" : "<=");
            si_int(t, frag, k.key);
        }
        snprintf(frag, sizeof frag, " AND (%s %s ? OR (%s = ? AND i.id %s ", col, prev ? ">" : "<",
                 col, prev ? ">" : "<");
        si_real(t, frag, q->cursor->value);
        si_int(t, "?))", q->cursor->id);
    }
    const char *dir = prev ? "ASC" : "DESC";
    if (coarse)
        snprintf(frag, sizeof frag, " ORDER BY %s %s, %s %s, i.id %s", k.col, dir, col, dir, dir);
    else
        snprintf(frag, sizeof frag, " ORDER BY %s %s, i.id %s", col, dir, dir);
    si_add(t, frag);
    si_int(t, " LIMIT ?", (int64_t)q->limit + 1);
}

static void si_search_sql(struct si_sql *t, struct arena *a, const struct store_issue_search *q,
                          bool pg)
{
    si_add(t, "SELECT " SI_ISSUE_COLS SI_ISSUE_FROM);
    si_where_scope(t, a, q);
    si_where_status(t, q->statuses);
    si_where_flags(t, q);
    for (size_t k = 0; k < q->nfilters; k++)
        si_where_filter(t, &q->filters[k], q->user_id);
    if (q->text && *q->text)
        si_where_text(t, a, q->text);
    if (q->since > 0 && pg)
        si_int(t, " AND i.last_seen_minute >= ?", si_last_seen_minute(q->since));
    if (q->since > 0)
        si_real(t, " AND i.last_seen >= ?", q->since);
    if (q->until > 0)
        si_real(t, " AND i.first_seen <= ?", q->until);
    si_page(t, q, pg);
}

static size_t si_search_values(const struct store_issue_search *q)
{
    size_t n = q->nprojects + q->nenvironments;
    for (size_t k = 0; k < q->nfilters; k++)
        n += q->filters[k].nvalues + (q->filters[k].key != NULL);
    return n;
}

enum err store_issue_search(struct store *st, struct arena *a, const struct store_issue_search *q,
                            struct store_issue **rows, size_t *n, bool *more)
{
    SI_ENTER(st);
    SI_CHECK(a && q && rows && n && more && q->limit > 0 && q->limit <= STORE_LIST_MAX);
    SI_CHECK(si_search_values(q) <= STORE_SEARCH_VALUES_MAX);
    struct si_sql *t = arena_calloc(a, 1, sizeof *t);
    if (!t)
        return E_TOOBIG;
    si_search_sql(t, a, q, si_is_pg(st));
    if (t->bad)
        return E_INVALID;
    void *p = NULL;
    enum err e = si_list(st, a, t->p, &t->params, si_fill_issue, sizeof **rows, &p, n);
    if (e)
        return e;
    struct store_issue *r = p;
    *more = *n > (size_t)q->limit;
    if (*more)
        *n = (size_t)q->limit;
    if (q->cursor && q->cursor->prev) /* fetched in ascending order: back to the list's */
        for (size_t i = 0; i < *n / 2; i++) {
            struct store_issue tmp = r[i];
            r[i] = r[*n - 1 - i];
            r[*n - 1 - i] = tmp;
        }
    *rows = r;
    return E_OK;
}

/* ---- state and updates ------------------------------------------------------------------- */

static enum err si_fill_state(struct si_out *out, const struct store_q_row *r, void *dst)
{
    struct store_issue_state *s = dst;
    const struct store_orgs_ops *o = out->o;
    s->assignee_id = o->col_int(r, 0);
    s->bookmarked = o->col_int(r, 2) > 0;
    s->seen = o->col_int(r, 3) > 0;
    s->num_comments = o->col_int(r, 4);
    s->user_reports = o->col_int(r, 5);
    return si_text_col(out, r, 1, &s->assignee_email);
}

enum err store_issue_state(struct store *st, struct arena *a, int64_t issue_id, int64_t user_id,
                           struct store_issue_state *out)
{
    SI_ENTER(st);
    SI_CHECK(a && out);
    struct store_q_params p = {0};
    si_p_int(&p, issue_id);
    si_p_int(&p, user_id);
    memset(out, 0, sizeof *out);
    return si_one(st, a,
                  "SELECT (SELECT a.user_id FROM issue_assignees a WHERE a.issue_id = $1), "
                  "(SELECT u.email FROM issue_assignees a JOIN users u ON u.id = a.user_id "
                  "WHERE a.issue_id = $1), "
                  "(SELECT count(*) FROM issue_bookmarks b WHERE b.issue_id = $1 AND "
                  "b.user_id = $2), "
                  "(SELECT count(*) FROM issue_seen s WHERE s.issue_id = $1 AND s.user_id = $2), "
                  "(SELECT count(*) FROM issue_comments c WHERE c.issue_id = $1), "
                  "(SELECT count(*) FROM user_reports r WHERE r.issue_id = $1)",
                  &p, si_fill_state, out);
}

struct si_update {
    const struct store_orgs_ops *o;
    const int64_t *ids;
    size_t n;
    const struct store_issue_update *u;
    int64_t changed;
};

/* Runs sql with $1 the issue and, when nparams > 1, $2 the user and $3 the time. */
static enum err si_upd(struct store_q_conn *c, const struct si_update *w, const char *sql,
                       int nparams, int64_t id, int64_t user)
{
    struct store_q_params p = {0};
    si_p_int(&p, id);
    if (nparams > 1)
        si_p_int(&p, user);
    if (nparams > 2)
        si_p_real(&p, clock_now());
    return si_run(c, w->o, sql, &p, NULL, NULL);
}

static enum err si_update_flags(struct store_q_conn *c, const struct si_update *w, int64_t id)
{
    const struct store_issue_update *u = w->u;
    enum err e = E_OK;
    if (u->bookmarked >= 0)
        e = si_upd(c, w,
                   u->bookmarked ? "INSERT INTO issue_bookmarks (issue_id, user_id) "
                                   "VALUES ($1, $2) ON CONFLICT DO NOTHING"
                                 : "DELETE FROM issue_bookmarks WHERE issue_id = $1 AND "
                                   "user_id = $2",
                   2, id, u->user_id);
    if (!e && u->seen > 0)
        e = si_upd(c, w,
                   "INSERT INTO issue_seen (issue_id, user_id, seen) VALUES ($1, $2, $3) "
                   "ON CONFLICT DO NOTHING",
                   3, id, u->user_id);
    if (!e && u->seen == 0)
        e = si_upd(c, w, "DELETE FROM issue_seen WHERE issue_id = $1 AND user_id = $2", 2, id,
                   u->user_id);
    if (!e && u->set_assignee)
        e = si_upd(c, w, "DELETE FROM issue_assignees WHERE issue_id = $1", 1, id, 0);
    if (!e && u->set_assignee && u->assignee_id > 0)
        e = si_upd(c, w, "INSERT INTO issue_assignees (issue_id, user_id) VALUES ($1, $2)", 2, id,
                   u->assignee_id);
    return e;
}

static enum err si_update_work(struct store_q_conn *c, void *ctx)
{
    struct si_update *w = ctx;
    enum err e = E_OK;
    for (size_t k = 0; k < w->n && !e; k++) {
        int64_t found = 0;
        struct store_q_params p = {0};
        si_p_int(&p, w->ids[k]);
        si_p_text(&p, w->u->status);
        e = si_run(c, w->o,
                   "UPDATE issues SET status = coalesce(CAST($2 AS TEXT), status) WHERE id = $1",
                   &p, NULL, &found);
        if (!e && found > 0) {
            w->changed++;
            e = si_update_flags(c, w, w->ids[k]);
        }
    }
    return e;
}

enum err store_issue_update_many(struct store *st, const int64_t *ids, size_t n,
                                 const struct store_issue_update *u, int64_t *changed)
{
    SI_ENTER(st);
    SI_CHECK((ids || n == 0) && u && changed);
    SI_CHECK(!u->status || strcmp(u->status, "unresolved") == 0 ||
             strcmp(u->status, "resolved") == 0 || strcmp(u->status, "ignored") == 0);
    struct si_update w = {st->ops->orgs, ids, n, u, 0};
    enum err e = st->ops->orgs->with_conn(st, true, si_update_work, &w);
    *changed = e ? 0 : w.changed;
    return e;
}

enum err store_issue_delete_many(struct store *st, const int64_t *ids, size_t n, int64_t *deleted)
{
    SI_ENTER(st);
    SI_CHECK((ids || n == 0) && deleted);
    *deleted = 0;
    enum err e = E_OK;
    for (size_t k = 0; k < n && !e; k++) {
        e = store_issue_delete(st, ids[k]);
        if (e == E_NOTFOUND)
            e = E_OK;
        else if (!e)
            (*deleted)++;
    }
    return e;
}

enum err store_issue_alias_find(struct store *st, int64_t project_id, const char *hash,
                                int64_t *issue_id)
{
    SI_ENTER(st);
    SI_CHECK(hash && issue_id);
    struct store_q_params p = {0};
    si_p_int(&p, project_id);
    si_p_text(&p, hash);
    return si_one(st, NULL,
                  "SELECT issue_id FROM issue_aliases WHERE project_id = $1 AND hash = $2", &p,
                  si_fill_int, issue_id);
}
