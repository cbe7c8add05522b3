/* postgres_issues: issues and events on PostgreSQL — reads, status changes, deletion and the
 * event reads (issue search and event pages are portable SQL in store_issues_ext.c /
 * store_events_ext.c). events is partitioned by received time: reads by issue use the
 * (issue_id, received, id) index of each partition, reads by event_id go through event_ids,
 * which names the partition and row. */
#include "store/postgres_int.h"

#include <stdio.h>

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

/* Events, their event_ids rows and distinct users go with the issue (the issues_deleted
 * trigger). */
enum err pg_issue_delete(struct store *st, int64_t id)
{
    struct pg_params p = {.n = 0};
    int64_t deleted = 0;
    pg_p_int(&p, id);
    enum err e = pg_write_count(pg_of(st), PG_ISSUE_DELETE, &p, false, &deleted);
    return e ? e : deleted ? E_OK : E_NOTFOUND;
}

/* ---- events ----------------------------------------------------------------------------- */

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
