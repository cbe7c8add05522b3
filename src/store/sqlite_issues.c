/* sqlite_issues: the SQLite backend's issue reads and changes and the events of an issue.
 * Issue search and event pages are portable SQL in store_issues_ext.c / store_events_ext.c. */
#include "store/sqlite_int.h"

/* ---- issues ----------------------------------------------------------------------------- */

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
