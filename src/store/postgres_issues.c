/* postgres_issues: issues and events on PostgreSQL — the filtered issue list (the one query
 * whose SQL is built per call, from constant fragments with numbered parameters), status
 * changes, deletion and the event reads. events is partitioned by received time: reads by
 * issue use the (issue_id, received, id) index of each partition, reads by event_id go
 * through event_ids, which names the partition and row. */
#include "store/postgres_int.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

/* ---- row fillers ------------------------------------------------------------------------ */

static void pg_fill_issue(struct pg_row *r, void *out)
{
    struct store_issue *i = out;
    i->id = pg_col_int(r, 0);
    i->project_id = pg_col_int(r, 1);
    i->short_num = pg_col_int(r, 2);
    i->project_slug = pg_col_text(r, 3);
    i->hash = pg_col_text(r, 4);
    i->title = pg_col_text(r, 5);
    i->culprit = pg_col_text(r, 6);
    i->type = pg_col_text(r, 7);
    i->level = pg_col_text(r, 8);
    i->status = pg_col_text(r, 9);
    i->metadata_json = pg_col_text(r, 10);
    i->first_seen = pg_col_real(r, 11);
    i->last_seen = pg_col_real(r, 12);
    i->count = pg_col_int(r, 13);
    i->user_count = pg_col_int(r, 14);
    i->platform = pg_col_text(r, 15);
    i->logger = pg_col_text(r, 16);
}

static void pg_fill_event(struct pg_row *r, void *out)
{
    struct store_event_row *ev = out;
    ev->id = pg_col_int(r, 0);
    ev->project_id = pg_col_int(r, 1);
    ev->issue_id = pg_col_int(r, 2);
    snprintf(ev->event_id, sizeof ev->event_id, "%s", PQgetvalue(r->res, r->row, 3));
    ev->timestamp = pg_col_real(r, 4);
    ev->received = pg_col_real(r, 5);
    ev->data = pg_col_bytea(r, 6, &ev->data_len);
}

/* ---- the issue list --------------------------------------------------------------------- */

#define ISSUE_SELECT                                                                               \
    "SELECT i.id, i.project_id, i.short_num, p.slug, i.hash, i.title, i.culprit, i.type, "         \
    "i.level, i.status, i.metadata, i.first_seen, i.last_seen, i.times_seen, i.user_count, "       \
    "i.platform, i.logger "                                                                        \
    "FROM issues i JOIN projects p ON p.id = i.project_id WHERE true"

/* SQL text under construction from constant fragments; values go to params as $n. */
struct pg_sqltext {
    char p[2048];
    size_t len;
    struct pg_params params;
};

static void pg_sql_add(struct pg_sqltext *t, const char *frag)
{
    size_t n = strlen(frag);
    assert(t->len + n < sizeof t->p); /* fragments are constants that fit */
    memcpy(t->p + t->len, frag, n + 1);
    t->len += n;
}

/* The number the next parameter will get, as "$n" text. */
static const char *pg_sql_next(struct pg_sqltext *t, char buf[16])
{
    snprintf(buf, 16, "$%d", t->params.n + 1);
    return buf;
}

/* frag with every '?' standing for the parameter bound next (one value, used n times). */
static void pg_sql_cond(struct pg_sqltext *t, const char *frag)
{
    char num[16];
    pg_sql_next(t, num);
    for (const char *q = strchr(frag, '?'); q; q = strchr(frag, '?')) {
        char part[256];
        size_t n = (size_t)(q - frag);
        assert(n < sizeof part);
        memcpy(part, frag, n);
        part[n] = '\0';
        pg_sql_add(t, part);
        pg_sql_add(t, num);
        frag = q + 1;
    }
    pg_sql_add(t, frag);
}

static void pg_sql_text(struct pg_sqltext *t, const char *frag, const char *v)
{
    if (!v)
        return;
    pg_sql_cond(t, frag);
    pg_p_text(&t->params, v);
}

static void pg_sql_int(struct pg_sqltext *t, const char *frag, int64_t v)
{
    pg_sql_cond(t, frag);
    pg_p_int(&t->params, v);
}

/* "%text%" for ILIKE … ESCAPE '\', with the pattern characters of text escaped. */
static char *pg_like_pattern(struct arena *a, const char *text)
{
    size_t n = strlen(text);
    char *p = arena_alloc(a, 2 * n + 3);
    if (!p)
        return NULL;
    size_t j = 0;
    p[j++] = '%';
    for (size_t i = 0; i < n; i++) {
        if (text[i] == '%' || text[i] == '_' || text[i] == '\\')
            p[j++] = '\\';
        p[j++] = text[i];
    }
    p[j++] = '%';
    p[j] = '\0';
    return p;
}

static const char *pg_issue_order(const char *sort)
{
    if (sort && strcmp(sort, "new") == 0)
        return " ORDER BY i.first_seen DESC, i.id DESC";
    if (sort && strcmp(sort, "freq") == 0)
        return " ORDER BY i.times_seen DESC, i.id DESC";
    if (sort && strcmp(sort, "user") == 0)
        return " ORDER BY i.user_count DESC, i.id DESC";
    return " ORDER BY i.last_seen DESC, i.id DESC";
}

/* environment/release match when any event of the issue carries that value. */
static void pg_issue_where(struct pg_sqltext *t, const struct store_issue_query *q,
                           const char *like)
{
    pg_sql_add(t, ISSUE_SELECT);
    if (q->project_id)
        pg_sql_int(t, " AND i.project_id = ?", q->project_id);
    if (q->org_id)
        pg_sql_int(t, " AND p.org_id = ?", q->org_id);
    pg_sql_text(t, " AND i.status = ?", q->status);
    pg_sql_text(t, " AND i.level = ?", q->level);
    pg_sql_text(t,
                " AND EXISTS (SELECT 1 FROM events e WHERE e.issue_id = i.id"
                " AND e.environment = ?)",
                q->environment);
    pg_sql_text(t,
                " AND EXISTS (SELECT 1 FROM events e WHERE e.issue_id = i.id"
                " AND e.release = ?)",
                q->release);
    pg_sql_text(t,
                " AND (i.title ILIKE ? ESCAPE '\\' OR i.culprit ILIKE ? ESCAPE '\\'"
                " OR EXISTS (SELECT 1 FROM events e WHERE e.issue_id = i.id"
                " AND e.message ILIKE ? ESCAPE '\\'))",
                like);
    pg_sql_add(t, pg_issue_order(q->sort));
    pg_sql_int(t, " LIMIT ?", q->limit);
    pg_sql_int(t, " OFFSET ?", q->offset);
}

enum err pg_issue_list(struct store *st, struct arena *a, const struct store_issue_query *q,
                       struct store_issue **rows, size_t *n)
{
    struct pg_store *s = pg_of(st);
    struct pg_sqltext sql = {.len = 0};
    PGresult *res = NULL;
    struct pg_conn *c = NULL;
    void *arr = NULL;
    *rows = NULL;
    *n = 0;
    const char *like = q->text ? pg_like_pattern(a, q->text) : NULL;
    if (q->text && !like)
        return E_TOOBIG;
    pg_issue_where(&sql, q, like);
    enum err e = pg_acquire(s, &c, NULL);
    if (e)
        return e;
    e = pg_exec_sql(c, sql.p, &sql.params, &res, NULL);
    pg_release(s, c);
    if (e)
        return e;
    e = pg_list(res, a, pg_fill_issue, sizeof **rows, &arr, n);
    *rows = arr;
    return e;
}

/* ---- issues ----------------------------------------------------------------------------- */

enum err pg_issue_by_id(struct store *st, struct arena *a, int64_t id, struct store_issue *out)
{
    struct pg_params p = {.n = 0};
    pg_p_int(&p, id);
    return pg_get(pg_of(st), PG_ISSUE_BY_ID, &p, a, pg_fill_issue, out);
}

/* A one-statement write on a pool connection; *n gets its row count, or with rows_count
 * the integer in its first row. */
static enum err pg_write_count(struct pg_store *s, enum pg_stmt id, const struct pg_params *p,
                               bool rows_count, int64_t *n)
{
    PGresult *res = NULL;
    struct pg_conn *c = NULL;
    enum err e = pg_acquire(s, &c, NULL);
    if (e)
        return e;
    e = pg_exec(c, id, p, &res, NULL);
    pg_release(s, c);
    if (e)
        return e;
    if (!rows_count)
        *n = pg_res_changes(res);
    else
        *n = PQntuples(res) > 0 ? pg_res_int(res, 0, 0) : 0;
    PQclear(res);
    return E_OK;
}

enum err pg_issue_set_status(struct store *st, int64_t id, const char *status)
{
    struct pg_params p = {.n = 0};
    int64_t changed = 0;
    pg_p_text(&p, status);
    pg_p_int(&p, id);
    enum err e = pg_write_count(pg_of(st), PG_ISSUE_SET_STATUS, &p, false, &changed);
    return e ? e : changed ? E_OK : E_NOTFOUND;
}

/* Events and distinct users go with the issue (ON DELETE CASCADE), its event_ids rows in
 * the same statement. */
enum err pg_issue_delete(struct store *st, int64_t id)
{
    struct pg_params p = {.n = 0};
    int64_t deleted = 0;
    pg_p_int(&p, id);
    enum err e = pg_write_count(pg_of(st), PG_ISSUE_DELETE, &p, true, &deleted);
    return e ? e : deleted ? E_OK : E_NOTFOUND;
}

/* ---- events ----------------------------------------------------------------------------- */

enum err pg_event_list_for_issue(struct store *st, struct arena *a, int64_t issue_id, int limit,
                                 int64_t offset, struct store_event_row **rows, size_t *n)
{
    struct pg_params p = {.n = 0};
    void *arr = NULL;
    pg_p_int(&p, issue_id);
    pg_p_int(&p, limit);
    pg_p_int(&p, offset);
    enum err e =
        pg_get_list(pg_of(st), PG_EVENT_LIST, &p, a, pg_fill_event, sizeof **rows, &arr, n);
    *rows = arr;
    return e;
}

enum err pg_event_edge_for_issue(struct store *st, struct arena *a, int64_t issue_id, bool latest,
                                 struct store_event_row *out)
{
    struct pg_params p = {.n = 0};
    pg_p_int(&p, issue_id);
    return pg_get(pg_of(st), latest ? PG_EVENT_LATEST : PG_EVENT_OLDEST, &p, a, pg_fill_event, out);
}

enum err pg_event_by_id(struct store *st, struct arena *a, int64_t project_id, const char *event_id,
                        struct store_event_row *out)
{
    struct pg_params p = {.n = 0};
    pg_p_int(&p, project_id);
    pg_p_text(&p, event_id);
    return pg_get(pg_of(st), PG_EVENT_BY_ID, &p, a, pg_fill_event, out);
}

int64_t pg_event_count(struct store *st, int64_t project_id)
{
    struct pg_params p = {.n = 0};
    PGresult *res = NULL;
    if (project_id)
        pg_p_int(&p, project_id);
    enum err e = pg_read(pg_of(st), project_id ? PG_EVENT_COUNT : PG_EVENT_COUNT_ALL, &p, &res);
    if (e)
        return -1;
    int64_t n = PQntuples(res) > 0 ? pg_res_int(res, 0, 0) : -1;
    PQclear(res);
    return n;
}
