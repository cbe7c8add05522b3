/* sqlite_issues: the SQLite backend's issue list (its WHERE clause built per call from the
 * filters), issue reads and changes, and the events of an issue. */
#include "store/sqlite_int.h"

#include <assert.h>
#include <string.h>

/* ---- issues ----------------------------------------------------------------------------- */

/* SQL text under construction from constant fragments (never from values). */
struct sq_sqltext {
    char p[2048];
    size_t len;
};

static void sq_sql_add(struct sq_sqltext *t, const char *frag)
{
    size_t n = strlen(frag);
    assert(t->len + n < sizeof t->p); /* fragments are constants that fit */
    memcpy(t->p + t->len, frag, n + 1);
    t->len += n;
}

/* "%text%" for LIKE … ESCAPE '\', with the pattern characters of text escaped. */
static char *sq_like_pattern(struct arena *a, const char *text)
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

static const char *sq_issue_order(const char *sort)
{
    if (sort && strcmp(sort, "new") == 0)
        return " ORDER BY i.first_seen DESC, i.id DESC";
    if (sort && strcmp(sort, "freq") == 0)
        return " ORDER BY i.times_seen DESC, i.id DESC";
    if (sort && strcmp(sort, "user") == 0)
        return " ORDER BY i.user_count DESC, i.id DESC";
    return " ORDER BY i.last_seen DESC, i.id DESC";
}

/* The WHERE clause of q with named parameters, in the order sq_issue_bind() binds them.
 * environment/release match when any event of the issue carries that value. */
static void sq_issue_where(struct sq_sqltext *t, const struct store_issue_query *q)
{
    sq_sql_add(t, "SELECT " ISSUE_COLS ISSUE_FROM " WHERE 1");
    if (q->project_id)
        sq_sql_add(t, " AND i.project_id = :project");
    if (q->org_id)
        sq_sql_add(t, " AND p.org_id = :org");
    if (q->status)
        sq_sql_add(t, " AND i.status = :status");
    if (q->level)
        sq_sql_add(t, " AND i.level = :level");
    if (q->environment)
        sq_sql_add(t, " AND EXISTS (SELECT 1 FROM events e WHERE e.issue_id = i.id"
                      " AND e.environment = :env)");
    if (q->release)
        sq_sql_add(t, " AND EXISTS (SELECT 1 FROM events e WHERE e.issue_id = i.id"
                      " AND e.release = :release)");
    if (q->text)
        sq_sql_add(t, " AND (i.title LIKE :text ESCAPE '\\' OR i.culprit LIKE :text ESCAPE '\\'"
                      " OR EXISTS (SELECT 1 FROM events e WHERE e.issue_id = i.id"
                      " AND e.message LIKE :text ESCAPE '\\'))");
    sq_sql_add(t, sq_issue_order(q->sort));
    sq_sql_add(t, " LIMIT :limit OFFSET :offset");
}

static void sq_bind_named_text(struct sq_q *q, const char *name, const char *v)
{
    q->next = sqlite3_bind_parameter_index(q->s, name);
    if (q->next > 0 && v)
        sq_text(q, v);
}

static void sq_bind_named_int(struct sq_q *q, const char *name, int64_t v)
{
    q->next = sqlite3_bind_parameter_index(q->s, name);
    if (q->next > 0)
        sq_int(q, v);
}

static void sq_issue_bind(struct sq_q *sq, const struct store_issue_query *q, const char *like)
{
    sq_bind_named_int(sq, ":project", q->project_id);
    sq_bind_named_int(sq, ":org", q->org_id);
    sq_bind_named_text(sq, ":status", q->status);
    sq_bind_named_text(sq, ":level", q->level);
    sq_bind_named_text(sq, ":env", q->environment);
    sq_bind_named_text(sq, ":release", q->release);
    sq_bind_named_text(sq, ":text", like);
    sq_bind_named_int(sq, ":limit", q->limit);
    sq_bind_named_int(sq, ":offset", q->offset);
}

enum err sq_issue_list(struct store *st, struct arena *a, const struct store_issue_query *q,
                       struct store_issue **rows, size_t *n)
{
    struct sq_store *s = sq_of(st);
    struct sq_sqltext sql = {.len = 0};
    const char *like = q->text ? sq_like_pattern(a, q->text) : NULL;
    if (q->text && !like)
        return E_TOOBIG;
    sq_issue_where(&sql, q);
    struct sq_conn *c = sq_acquire(s);
    struct sq_q sq = {.db = c->db, .owned = true, .rc = SQLITE_OK};
    void *p = NULL;
    enum err e = E_OK;
    int rc = sqlite3_prepare_v2(c->db, sql.p, (int)sql.len, &sq.s, NULL);
    if (rc != SQLITE_OK) {
        e = sq_err(c->db, rc, NULL, "prepare issue list");
        goto out;
    }
    sq_issue_bind(&sq, q, like);
    e = sq_list(&sq, a, sq_fill_issue, sizeof **rows, &p, n);
    *rows = p;
out:
    sq_done(&sq);
    sq_release(s, c);
    return e;
}

enum err sq_issue_by_id(struct store *st, struct arena *a, int64_t id, struct store_issue *out)
{
    return sq_get_by_id(st, SQ_ISSUE_BY_ID, id, a, sq_fill_issue, out);
}

enum err sq_issue_set_status(struct store *st, int64_t id, const char *status)
{
    struct sq_store *s = sq_of(st);
    struct sq_conn *c = sq_acquire(s);
    struct sq_q q;
    int changes = 0;
    enum err e = sq_prep(c, SQ_ISSUE_SET_STATUS, &q);
    if (!e) {
        sq_text(&q, status);
        sq_int(&q, id);
        e = sq_run(&q, NULL, "set issue status", &changes);
    }
    sq_release(s, c);
    return e ? e : changes ? E_OK : E_NOTFOUND;
}

/* Events and distinct users go with the issue (ON DELETE CASCADE). */
enum err sq_issue_delete(struct store *st, int64_t id)
{
    struct sq_store *s = sq_of(st);
    struct sq_conn *c = sq_acquire(s);
    struct sq_q q;
    int changes = 0;
    enum err e = sq_begin(c, NULL);
    if (!e)
        e = sq_prep(c, SQ_ISSUE_DELETE, &q);
    if (!e) {
        sq_int(&q, id);
        e = sq_run(&q, NULL, "delete issue", &changes);
    }
    if (!e && !changes)
        e = E_NOTFOUND;
    e = sq_finish(c, e, NULL);
    sq_release(s, c);
    return e;
}

/* ---- events ----------------------------------------------------------------------------- */

enum err sq_event_list_for_issue(struct store *st, struct arena *a, int64_t issue_id, int limit,
                                 int64_t offset, struct store_event_row **rows, size_t *n)
{
    struct sq_store *s = sq_of(st);
    struct sq_conn *c = sq_acquire(s);
    struct sq_q q;
    void *p = NULL;
    enum err e = sq_prep(c, SQ_EVENT_LIST, &q);
    if (!e) {
        sq_int(&q, issue_id);
        sq_int(&q, limit);
        sq_int(&q, offset);
        e = sq_list(&q, a, sq_fill_event, sizeof **rows, &p, n);
        *rows = p;
    }
    sq_release(s, c);
    return e;
}

enum err sq_event_edge_for_issue(struct store *st, struct arena *a, int64_t issue_id, bool latest,
                                 struct store_event_row *out)
{
    return sq_get_by_id(st, latest ? SQ_EVENT_LATEST : SQ_EVENT_OLDEST, issue_id, a, sq_fill_event,
                        out);
}

enum err sq_event_by_id(struct store *st, struct arena *a, int64_t project_id, const char *event_id,
                        struct store_event_row *out)
{
    struct sq_store *s = sq_of(st);
    struct sq_conn *c = sq_acquire(s);
    struct sq_q q;
    enum err e = sq_prep(c, SQ_EVENT_BY_ID, &q);
    if (!e) {
        sq_int(&q, project_id);
        sq_text(&q, event_id);
        e = sq_one(&q, a, sq_fill_event, out);
    }
    sq_release(s, c);
    return e;
}

int64_t sq_event_count(struct store *st, int64_t project_id)
{
    int64_t n = -1;
    enum sq_stmt id = project_id ? SQ_EVENT_COUNT : SQ_EVENT_COUNT_ALL;
    return sq_count(st, id, project_id, &n) ? -1 : n;
}
