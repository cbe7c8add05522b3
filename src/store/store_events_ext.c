/* store_events_ext: the event reads of the API beyond store.c's — an event's neighbours in its
 * issue (the next/previous links of an event's detail) and keyset pages of a project's or an
 * issue's events, newest first: each page continues strictly after the (received, id) of the
 * last row of the one before, so events that arrive meanwhile never shift it. */
#include "store/store_issues_int.h"

#include <string.h>

static enum err si_fill_event_id(struct si_out *out, const struct store_q_row *r, void *dst)
{
    const char *s = out->o->col_text(r, 0);
    char *d = dst;
    size_t n = s ? strlen(s) : 0;
    if (n > 32)
        n = 32;
    memcpy(d, s ? s : "", n);
    d[n] = '\0';
    return E_OK;
}

static enum err si_neighbour(struct store *st, const char *sql, int64_t issue_id,
                             const struct store_event_row *of, char out[33])
{
    struct store_q_params p = {0};
    si_p_int(&p, issue_id);
    si_p_real(&p, of->received);
    si_p_int(&p, of->id);
    out[0] = '\0';
    enum err e = si_one(st, NULL, sql, &p, si_fill_event_id, out);
    return e == E_NOTFOUND ? E_OK : e;
}

enum err store_event_neighbours(struct store *st, int64_t issue_id,
                                const struct store_event_row *of, char next[33], char prev[33])
{
    SI_ENTER(st);
    SI_CHECK(of && next && prev);
    enum err e = si_neighbour(st,
                              "SELECT e.event_id FROM events e WHERE e.issue_id = $1 AND "
                              "(e.received > $2 OR (e.received = $2 AND e.id > $3)) "
                              "ORDER BY e.received, e.id LIMIT 1",
                              issue_id, of, next);
    return e ? e
             : si_neighbour(st,
                            "SELECT e.event_id FROM events e WHERE e.issue_id = $1 AND "
                            "(e.received < $2 OR (e.received = $2 AND e.id < $3)) "
                            "ORDER BY e.received DESC, e.id DESC LIMIT 1",
                            issue_id, of, prev);
}

/* A page of events of `col` = owner after the keyset position. */
static enum err si_event_page(struct store *st, struct arena *a, const char *col, int64_t owner,
                              double before_received, int64_t before_id, int limit,
                              struct store_event_row **rows, size_t *n, bool *more)
{
    SI_CHECK(a && rows && n && more && limit > 0 && limit <= STORE_LIST_MAX);
    struct si_sql t = {.len = 0};
    si_add(&t, "SELECT " SI_EVENT_COLS " FROM events e WHERE ");
    si_add(&t, col);
    si_int(&t, " = ?", owner);
    if (before_id > 0) {
        si_real(&t, " AND (e.received < ? OR (e.received = ?", before_received);
        si_int(&t, " AND e.id < ?))", before_id);
    }
    si_int(&t, " ORDER BY e.received DESC, e.id DESC LIMIT ?", (int64_t)limit + 1);
    if (t.bad)
        return E_INVALID;
    void *p = NULL;
    enum err e = si_list(st, a, t.p, &t.params, si_fill_event, sizeof **rows, &p, n);
    *rows = p;
    *more = !e && *n > (size_t)limit;
    if (*more)
        *n = (size_t)limit;
    return e;
}

enum err store_event_list_project(struct store *st, struct arena *a, int64_t project_id,
                                  double before_received, int64_t before_id, int limit,
                                  struct store_event_row **rows, size_t *n, bool *more)
{
    SI_ENTER(st);
    return si_event_page(st, a, "e.project_id", project_id, before_received, before_id, limit, rows,
                         n, more);
}

enum err store_event_list_issue(struct store *st, struct arena *a, int64_t issue_id,
                                double before_received, int64_t before_id, int limit,
                                struct store_event_row **rows, size_t *n, bool *more)
{
    SI_ENTER(st);
    return si_event_page(st, a, "e.issue_id", issue_id, before_received, before_id, limit, rows, n,
                         more);
}
