/* postgres_ingest: store_ingest_batch() on PostgreSQL — a whole batch in one transaction on
 * the writer connection, with a fixed handful of set-based statements whatever the batch
 * size (each takes the batch as binary arrays and unnest()s them), sent in pipelines
 * (postgres_pipe.c): one round trip per batch in the steady state (the fast path), two
 * when the batch's issues must be looked up (more only to create issues).
 *
 * DESIGN
 * - Duplicates inside the batch are folded in C first (the first occurrence wins) and the
 *   first occurrences grouped by (project_id, hash).
 * - The fast path: when the writer remembers the issue of every group (postgres_icache.c,
 *   filled by the usual path below), the whole transaction goes in one pipeline — BEGIN; one
 *   statement that claims the event_ids with a plain INSERT and inserts the events; (5)–(7)
 *   below; COMMIT — betting that the remembered issues still exist and that no event_id was
 *   stored before. A lost bet fails a statement before COMMIT runs (the issue lock: 40001,
 *   the claim: 23505): the writer rolls back, forgets its issues when one was gone, and takes
 *   the usual path for the same batch. Locks are taken in the same order as there.
 * - The usual path, below, is also the only one that creates issues and tells duplicates.
 * - First pipeline: BEGIN; (1) claim the event_ids (INSERT … ON CONFLICT DO NOTHING
 *   RETURNING): the ones returned are new and get their events row id, the others are
 *   duplicates; (2) look up the issue of every group.
 * - Then, only when some event was not claimed, (3) look up the duplicates' issues. The
 *   groups keep the claimed events only. Only when some group has no issue
 *   yet, one statement at a time: lock the projects involved (SELECT … FOR UPDATE, in id
 *   order), look again, take short numbers by bumping the projects' counters and insert the
 *   missing issues.
 * - Second pipeline: (4) insert the events (no foreign keys: this locks no issue, so it
 *   runs while another node's writer holds them), (5) lock the batch's issues in id order,
 *   failing when one is gone (then the events go with the rollback), (6) insert the
 *   (issue, user) pairs and update each issue once: count, first/last seen, user
 *   count, newest fields, resolved → unresolved; (7) announce the stored events to the other
 *   nodes (pg_live_notify; PostgreSQL delivers that at commit); COMMIT ends the pipeline
 *   (pg_pipe_commit: an answered COMMIT counts even if the connection drops right after).
 *   Any failure rolls the whole transaction back.
 * - Several nodes on one database: an event_id claimed by a concurrent transaction makes
 *   the claim wait for its outcome, so an event is stored (and counted) once. Issues of a
 *   project are only created by a writer holding the project's row lock, and it looks for
 *   them again after taking it (READ COMMITTED: a new snapshot per statement), so two
 *   writers never create the same issue nor waste a short number. Counters move inside the
 *   locked issue rows, so no increment is lost. Locks are taken in one global order —
 *   event_ids (sorted), projects (sorted), issues (sorted) — so writers do not deadlock
 *   (a deadlock or serialization error would still only cost a 503 and a retry).
 * - "Newest" fields come from the group's newest event (latest timestamp, later in the
 *   batch on a tie) and replace the issue's when that event is at least as new as
 *   last_seen; a NULL field keeps the issue's value (SQLite applies events one by one, which
 *   differs only when the newest event lacks a field an older one of the batch had). */
#include "store/postgres_int.h"

#include <stdlib.h>
#include <string.h>

/* ---- the batch -------------------------------------------------------------------------- */

struct pg_group {
    int64_t project_id;
    const char *hash;
    int64_t issue_id;
    size_t newest; /* event index: latest timestamp, later in the batch on a tie */
    double min_ts;
    int64_t count;
};

struct pg_batch {
    struct pg_conn *c;
    struct store_event_in *evs;
    size_t n;
    struct arena *a;
    struct errinfo *ei;
    size_t *first; /* per event: the first event of the batch with its event_id */
    size_t *uniq;  /* first events, sorted by (project_id, event_id) */
    size_t nuniq;
    int64_t *row_id;  /* per event: its events row id when claimed (stored), else 0 */
    size_t *group_of; /* per claimed event: index into groups */
    struct pg_group *groups;
    size_t ngroups;
    struct pg_icache *icache; /* the writer's issue hints */
};

/* Sizes here follow the batch, which the ingest writer bounds; the arena is unbounded. */
static void *pg_ing_calloc(struct pg_batch *b, size_t n, size_t size)
{
    void *p = arena_calloc(b->a, n ? n : 1, size);
    if (!p)
        abort();
    return p;
}

struct pg_key {
    int64_t project_id;
    const char *s;
    size_t idx;
};

static int pg_key_cmp(const void *x, const void *y)
{
    const struct pg_key *k1 = x, *k2 = y;
    if (k1->project_id != k2->project_id)
        return k1->project_id < k2->project_id ? -1 : 1;
    int c = strcmp(k1->s, k2->s);
    if (c)
        return c;
    return k1->idx < k2->idx ? -1 : k1->idx > k2->idx;
}

/* ---- arrays for one statement ----------------------------------------------------------- */

struct pg_arrays {
    struct pg_array arr[PG_MAX_PARAMS];
    int n;
};

static void pg_arrays_init(struct pg_arrays *x, const unsigned *oids, int n)
{
    x->n = n;
    for (int i = 0; i < n; i++)
        pg_array_init(&x->arr[i], oids[i]);
}

static void pg_arrays_free(struct pg_arrays *x)
{
    for (int i = 0; i < x->n; i++)
        pg_array_free(&x->arr[i]);
}

/* The arrays as parameters $1..$n of p (borrowed until x is freed); the first append error,
 * with its detail in ei. */
static enum err pg_arrays_params(struct pg_arrays *x, struct pg_params *p, struct errinfo *ei)
{
    enum err e = E_OK;
    for (int i = 0; i < x->n && !e; i++)
        e = pg_array_done(&x->arr[i], p);
    return e ? errinfo_set(ei, e, "batch too large") : E_OK;
}

/* Runs id with the arrays as $1..$n, then frees them; *res as pg_exec(). */
static enum err pg_arrays_run(struct pg_batch *b, struct pg_arrays *x, enum pg_stmt id,
                              PGresult **res)
{
    struct pg_params p = {.n = 0};
    enum err e = pg_arrays_params(x, &p, b->ei);
    if (!e)
        e = pg_exec(b->c, id, &p, res, b->ei);
    pg_arrays_free(x);
    return e;
}

/* Queues id with the arrays as $1..$n in pipeline pp, then frees them. */
static void pg_arrays_send(struct pg_pipe *pp, struct pg_arrays *x, enum pg_stmt id)
{
    struct pg_params p = {.n = 0};
    enum err e = pg_arrays_params(x, &p, pp->ei);
    if (e)
        pg_pipe_fail(pp, e);
    else
        pg_pipe_send(pp, id, &p);
    pg_arrays_free(x);
}

/* Result rows (ord, value): ord is the 1-based position in the arrays sent; sel maps it
 * back to an index. Calls set(b, index, value) for each row whose ord is in range. */
static void pg_each_ord(struct pg_batch *b, PGresult *res, const size_t *sel, size_t nsel,
                        void (*set)(struct pg_batch *b, size_t idx, int64_t v))
{
    for (int r = 0; r < PQntuples(res); r++) {
        int64_t ord = pg_res_int(res, r, 0);
        if (ord >= 1 && (size_t)ord <= nsel)
            set(b, sel[ord - 1], pg_res_int(res, r, 1));
    }
    PQclear(res);
}

/* ---- (1) event ids ---------------------------------------------------------------------- */

/* Folds duplicates inside the batch and sorts the first occurrences by key. */
static void pg_ing_dedupe(struct pg_batch *b)
{
    struct pg_key *keys = pg_ing_calloc(b, b->n, sizeof *keys);
    for (size_t i = 0; i < b->n; i++)
        keys[i] = (struct pg_key){b->evs[i].project_id, b->evs[i].event_id, i};
    qsort(keys, b->n, sizeof *keys, pg_key_cmp);
    b->first = pg_ing_calloc(b, b->n, sizeof *b->first);
    b->uniq = pg_ing_calloc(b, b->n, sizeof *b->uniq);
    for (size_t i = 0; i < b->n; i++) {
        bool same = i > 0 && keys[i].project_id == keys[i - 1].project_id &&
                    strcmp(keys[i].s, keys[i - 1].s) == 0;
        if (!same)
            b->uniq[b->nuniq++] = keys[i].idx;
        b->first[keys[i].idx] = b->uniq[b->nuniq - 1];
    }
}

static void pg_set_row_id(struct pg_batch *b, size_t idx, int64_t v)
{
    b->row_id[idx] = v;
}

static void pg_ing_claim_send(struct pg_batch *b, struct pg_pipe *pp)
{
    static const unsigned oids[] = {PG_OID_INT8, PG_OID_TEXT, PG_OID_FLOAT8};
    struct pg_arrays x;
    pg_arrays_init(&x, oids, 3);
    for (size_t i = 0; i < b->nuniq; i++) {
        const struct store_event_in *ev = &b->evs[b->uniq[i]];
        pg_array_int(&x.arr[0], ev->project_id);
        pg_array_text(&x.arr[1], ev->event_id);
        pg_array_real(&x.arr[2], ev->received);
    }
    pg_arrays_send(pp, &x, PG_ING_CLAIM);
}

static void pg_set_dup_issue(struct pg_batch *b, size_t idx, int64_t v)
{
    b->evs[idx].issue_id = v;
}

/* Events stored before this batch (not claimed): duplicates, and the issue they went to.
 * A statement of its own, run only when there are some: asked for every event, its lookup
 * in the partitioned events table would cost more than the round trip it saves. */
static enum err pg_ing_dups(struct pg_batch *b)
{
    static const unsigned oids[] = {PG_OID_INT8, PG_OID_TEXT};
    struct pg_arrays x;
    PGresult *res = NULL;
    size_t *sel = pg_ing_calloc(b, b->nuniq, sizeof *sel), nsel = 0;
    for (size_t i = 0; i < b->nuniq; i++) {
        if (b->row_id[b->uniq[i]] == 0) {
            sel[nsel++] = b->uniq[i];
            b->evs[b->uniq[i]].duplicate = true;
        }
    }
    if (nsel == 0)
        return E_OK;
    pg_arrays_init(&x, oids, 2);
    for (size_t i = 0; i < nsel; i++) {
        pg_array_int(&x.arr[0], b->evs[sel[i]].project_id);
        pg_array_text(&x.arr[1], b->evs[sel[i]].event_id);
    }
    enum err e = pg_arrays_run(b, &x, PG_ING_DUP_FIND, &res);
    if (!e)
        pg_each_ord(b, res, sel, nsel, pg_set_dup_issue);
    return e;
}

/* ---- (2) groups and their issues -------------------------------------------------------- */

static void pg_group_add(struct pg_group *g, const struct store_event_in *evs, size_t idx)
{
    const struct store_event_in *ev = &evs[idx];
    if (g->count == 0 || ev->timestamp < g->min_ts)
        g->min_ts = ev->timestamp;
    if (g->count == 0 || ev->timestamp >= evs[g->newest].timestamp)
        g->newest = idx;
    g->count++;
}

/* Groups the batch's first occurrences by (project_id, hash), sorted — before the claim, so
 * their issues can be looked up in the same pipeline; pg_ing_group_claimed() then keeps the
 * claimed events only. */
static void pg_ing_group(struct pg_batch *b)
{
    struct pg_key *keys = pg_ing_calloc(b, b->nuniq, sizeof *keys);
    for (size_t i = 0; i < b->nuniq; i++)
        keys[i] =
            (struct pg_key){b->evs[b->uniq[i]].project_id, b->evs[b->uniq[i]].hash, b->uniq[i]};
    qsort(keys, b->nuniq, sizeof *keys, pg_key_cmp);
    b->groups = pg_ing_calloc(b, b->nuniq, sizeof *b->groups);
    b->group_of = pg_ing_calloc(b, b->n, sizeof *b->group_of);
    for (size_t i = 0; i < b->nuniq; i++) {
        bool same = i > 0 && keys[i].project_id == keys[i - 1].project_id &&
                    strcmp(keys[i].s, keys[i - 1].s) == 0;
        if (!same)
            b->groups[b->ngroups++] =
                (struct pg_group){.project_id = keys[i].project_id, .hash = keys[i].s};
        b->group_of[keys[i].idx] = b->ngroups - 1;
    }
}

/* Counts the claimed events into their groups (in batch order: the later wins a tie for
 * newest) and drops the groups left without any, keeping the order. */
static void pg_ing_group_claimed(struct pg_batch *b)
{
    size_t *to = pg_ing_calloc(b, b->ngroups, sizeof *to), kept = 0;
    for (size_t i = 0; i < b->n; i++)
        if (b->row_id[i] && b->first[i] == i)
            pg_group_add(&b->groups[b->group_of[i]], b->evs, i);
    for (size_t g = 0; g < b->ngroups; g++) {
        to[g] = kept;
        if (b->groups[g].count)
            b->groups[kept++] = b->groups[g];
    }
    for (size_t i = 0; i < b->n; i++)
        if (b->row_id[i] && b->first[i] == i)
            b->group_of[i] = to[b->group_of[i]];
    b->ngroups = kept;
}

static void pg_set_group_issue(struct pg_batch *b, size_t idx, int64_t v)
{
    b->groups[idx].issue_id = v;
}

/* The groups without an issue yet as (project_id, hash) arrays; sel[] maps their position. */
static void pg_ing_issue_keys(struct pg_batch *b, struct pg_arrays *x, size_t *sel, size_t *nsel)
{
    static const unsigned oids[] = {PG_OID_INT8, PG_OID_TEXT};
    pg_arrays_init(x, oids, 2);
    *nsel = 0;
    for (size_t g = 0; g < b->ngroups; g++) {
        if (b->groups[g].issue_id)
            continue;
        sel[(*nsel)++] = g;
        pg_array_int(&x->arr[0], b->groups[g].project_id);
        pg_array_text(&x->arr[1], b->groups[g].hash);
    }
}

/* Finds the issues of the groups that have none yet; *missing counts those still without. */
static enum err pg_ing_issue_find(struct pg_batch *b, size_t *missing)
{
    struct pg_arrays x;
    PGresult *res = NULL;
    size_t *sel = pg_ing_calloc(b, b->ngroups, sizeof *sel), nsel = 0;
    pg_ing_issue_keys(b, &x, sel, &nsel);
    enum err e = pg_arrays_run(b, &x, PG_ING_ISSUE_FIND, &res);
    if (e)
        return e;
    pg_each_ord(b, res, sel, nsel, pg_set_group_issue);
    *missing = 0;
    for (size_t i = 0; i < nsel; i++)
        *missing += b->groups[sel[i]].issue_id == 0;
    return E_OK;
}

/* ---- the first pipeline: claim, duplicates, issues -------------------------------------- */

/* BEGIN, the claim and the groups' issues in one round trip. */
static enum err pg_ing_lookup(struct pg_batch *b)
{
    struct pg_pipe pp;
    struct pg_arrays x;
    PGresult *res = NULL;
    size_t *sel = pg_ing_calloc(b, b->ngroups, sizeof *sel), nsel = 0;
    b->row_id = pg_ing_calloc(b, b->n, sizeof *b->row_id);
    if (pg_pipe_begin(&pp, b->c, NULL, b->ei))
        return pg_pipe_end(&pp);
    pg_pipe_send_sql(&pp, "BEGIN");
    pg_ing_claim_send(b, &pp);
    pg_ing_issue_keys(b, &x, sel, &nsel);
    pg_arrays_send(&pp, &x, PG_ING_ISSUE_FIND);
    if (!pg_pipe_sync(&pp) && !pg_pipe_result(&pp, &res)) { /* BEGIN */
        PQclear(res);
        if (!pg_pipe_result(&pp, &res))
            pg_each_ord(b, res, b->uniq, b->nuniq, pg_set_row_id);
        if (!pg_pipe_result(&pp, &res))
            pg_each_ord(b, res, sel, nsel, pg_set_group_issue);
    }
    return pg_pipe_end(&pp);
}

/* ---- (3) new issues --------------------------------------------------------------------- */

/* The distinct projects of the groups without an issue, in id order (groups are sorted),
 * with how many issues each needs; returns their number. */
static size_t pg_ing_new_projects(struct pg_batch *b, int64_t *ids, int64_t *counts)
{
    size_t np = 0;
    for (size_t g = 0; g < b->ngroups; g++) {
        if (b->groups[g].issue_id)
            continue;
        if (np == 0 || ids[np - 1] != b->groups[g].project_id) {
            ids[np] = b->groups[g].project_id;
            counts[np++] = 0;
        }
        counts[np - 1]++;
    }
    return np;
}

static enum err pg_ing_int_list(struct pg_batch *b, enum pg_stmt id, const int64_t *v,
                                const int64_t *v2, size_t n, PGresult **res)
{
    static const unsigned oids[] = {PG_OID_INT8, PG_OID_INT8};
    struct pg_arrays x;
    pg_arrays_init(&x, oids, v2 ? 2 : 1);
    for (size_t i = 0; i < n; i++) {
        pg_array_int(&x.arr[0], v[i]);
        if (v2)
            pg_array_int(&x.arr[1], v2[i]);
    }
    return pg_arrays_run(b, &x, id, res);
}

/* Locks the projects (in id order); E_NOTFOUND when one does not exist. */
static enum err pg_ing_lock_projects(struct pg_batch *b, const int64_t *ids, size_t np)
{
    PGresult *res = NULL;
    enum err e = pg_ing_int_list(b, PG_ING_PROJECT_LOCK, ids, NULL, np, &res);
    if (e)
        return e;
    size_t found = (size_t)PQntuples(res);
    PQclear(res);
    return found == np ? E_OK : errinfo_set(b->ei, E_NOTFOUND, "project not found");
}

/* Bumps each project's counter by counts[i]; next[i] gets its first new short number. */
static enum err pg_ing_counters(struct pg_batch *b, const int64_t *ids, const int64_t *counts,
                                size_t np, int64_t *next)
{
    PGresult *res = NULL;
    enum err e = pg_ing_int_list(b, PG_ING_COUNTER, ids, counts, np, &res);
    if (e)
        return e;
    for (int r = 0; r < PQntuples(res); r++) {
        int64_t id = pg_res_int(res, r, 0), counter = pg_res_int(res, r, 1);
        for (size_t i = 0; i < np; i++)
            if (ids[i] == id)
                next[i] = counter - counts[i] + 1;
    }
    PQclear(res);
    return E_OK;
}

/* Inserts the issues of the groups still without one, numbered from next[] per project. */
static enum err pg_ing_issue_insert(struct pg_batch *b, const int64_t *ids, int64_t *next,
                                    size_t np)
{
    static const unsigned oids[] = {PG_OID_INT8,   PG_OID_TEXT, PG_OID_INT8, PG_OID_TEXT,
                                    PG_OID_TEXT,   PG_OID_TEXT, PG_OID_TEXT, PG_OID_TEXT,
                                    PG_OID_FLOAT8, PG_OID_TEXT, PG_OID_TEXT};
    struct pg_arrays x;
    PGresult *res = NULL;
    size_t *sel = pg_ing_calloc(b, b->ngroups, sizeof *sel), nsel = 0, p = 0;
    pg_arrays_init(&x, oids, 11);
    for (size_t g = 0; g < b->ngroups; g++) {
        const struct pg_group *grp = &b->groups[g];
        if (grp->issue_id)
            continue;
        while (p < np && ids[p] != grp->project_id)
            p++;
        const struct store_event_in *ev = &b->evs[grp->newest];
        sel[nsel++] = g;
        pg_array_int(&x.arr[0], grp->project_id);
        pg_array_text(&x.arr[1], grp->hash);
        pg_array_int(&x.arr[2], p < np ? next[p]++ : 0);
        pg_array_text(&x.arr[3], ev->title);
        pg_array_text(&x.arr[4], ev->culprit);
        pg_array_text(&x.arr[5], ev->type);
        pg_array_text(&x.arr[6], ev->level);
        pg_array_text(&x.arr[7], ev->metadata_json);
        pg_array_real(&x.arr[8], ev->timestamp);
        pg_array_text(&x.arr[9], ev->platform);
        pg_array_text(&x.arr[10], ev->logger);
    }
    enum err e = pg_arrays_run(b, &x, PG_ING_ISSUE_INSERT, &res);
    if (!e)
        pg_each_ord(b, res, sel, nsel, pg_set_group_issue);
    return e;
}

/* Creates the missing issues under the projects' row locks (see DESIGN). */
static enum err pg_ing_issue_create(struct pg_batch *b)
{
    int64_t *ids = pg_ing_calloc(b, b->ngroups, sizeof *ids);
    int64_t *counts = pg_ing_calloc(b, b->ngroups, sizeof *counts);
    int64_t *next = pg_ing_calloc(b, b->ngroups, sizeof *next);
    size_t missing = 0, np = pg_ing_new_projects(b, ids, counts);
    enum err e = pg_ing_lock_projects(b, ids, np);
    if (!e) /* another node may have created some meanwhile */
        e = pg_ing_issue_find(b, &missing);
    if (e || missing == 0)
        return e;
    np = pg_ing_new_projects(b, ids, counts);
    e = pg_ing_counters(b, ids, counts, np, next);
    return e ? e : pg_ing_issue_insert(b, ids, next, np);
}

/* ---- (4)–(6) events and aggregates ------------------------------------------------------ */

/* The batch's issue ids as $1 of statement id: the lock, and the sort keys' update. */
static void pg_ing_issue_ids_send(struct pg_batch *b, struct pg_pipe *pp, enum pg_stmt id)
{
    static const unsigned oids[] = {PG_OID_INT8};
    struct pg_arrays x;
    pg_arrays_init(&x, oids, 1);
    for (size_t g = 0; g < b->ngroups; g++)
        pg_array_int(&x.arr[0], b->groups[g].issue_id);
    pg_arrays_send(pp, &x, id);
}

/* The types of an events row's columns: its row id, then what pg_ing_event_cols() appends
 * (PG_ING_EVENT_INSERT takes all 14, PG_ING_FAST_EVENTS the 13 after the row id). */
static const unsigned pg_ing_event_oids[] = {
    PG_OID_INT8, PG_OID_INT8, PG_OID_INT8, PG_OID_TEXT, PG_OID_FLOAT8, PG_OID_FLOAT8, PG_OID_TEXT,
    PG_OID_TEXT, PG_OID_TEXT, PG_OID_TEXT, PG_OID_TEXT, PG_OID_TEXT,   PG_OID_TEXT,   PG_OID_BYTEA};
#define PG_ING_EVENT_COLS (sizeof pg_ing_event_oids / sizeof *pg_ing_event_oids)

/* An event's columns after its row id, from arr[0] on (PG_ING_EVENT_COLS - 1 arrays). */
static void pg_ing_event_cols(struct pg_array *arr, const struct store_event_in *ev,
                              int64_t issue_id)
{
    pg_array_int(&arr[0], ev->project_id);
    pg_array_int(&arr[1], issue_id);
    pg_array_text(&arr[2], ev->event_id);
    pg_array_real(&arr[3], ev->timestamp);
    pg_array_real(&arr[4], ev->received);
    pg_array_text(&arr[5], ev->level);
    pg_array_text(&arr[6], ev->platform);
    pg_array_text(&arr[7], ev->environment);
    pg_array_text(&arr[8], ev->release);
    pg_array_text(&arr[9], ev->transaction);
    pg_array_text(&arr[10], ev->user_key);
    pg_array_text(&arr[11], ev->message);
    pg_array_bytes(&arr[12], ev->data_len ? ev->data : NULL, ev->data_len);
}

static void pg_ing_event_row(struct pg_arrays *x, const struct store_event_in *ev, int64_t row_id,
                             int64_t issue_id)
{
    pg_array_int(&x->arr[0], row_id);
    pg_ing_event_cols(&x->arr[1], ev, issue_id);
}

static void pg_ing_events_send(struct pg_batch *b, struct pg_pipe *pp)
{
    struct pg_arrays x;
    pg_arrays_init(&x, pg_ing_event_oids, PG_ING_EVENT_COLS);
    for (size_t i = 0; i < b->n; i++)
        if (b->row_id[i] && b->first[i] == i)
            pg_ing_event_row(&x, &b->evs[i], b->row_id[i], b->groups[b->group_of[i]].issue_id);
    pg_arrays_send(pp, &x, PG_ING_EVENT_INSERT);
}

/* The first group of g's issue: after a merge, the parent's own hash and its aliases are
 * groups of one issue, which must be updated once with their sum. */
static size_t pg_ing_issue_first(const struct pg_batch *b, size_t g)
{
    for (size_t k = 0; k < g; k++)
        if (b->groups[k].issue_id == b->groups[g].issue_id)
            return k;
    return g;
}

/* Folds every group into the first group of its issue: count, earliest and newest event. */
static void pg_ing_fold_issues(struct pg_batch *b, int64_t *count, double *min_ts, size_t *newest)
{
    for (size_t g = 0; g < b->ngroups; g++) {
        const struct pg_group *grp = &b->groups[g];
        size_t r = pg_ing_issue_first(b, g);
        if (r == g) {
            count[g] = grp->count;
            min_ts[g] = grp->min_ts;
            newest[g] = grp->newest;
            continue;
        }
        count[r] += grp->count;
        if (grp->min_ts < min_ts[r])
            min_ts[r] = grp->min_ts;
        if (b->evs[grp->newest].timestamp >= b->evs[newest[r]].timestamp)
            newest[r] = grp->newest;
    }
}

static void pg_ing_issue_update_send(struct pg_batch *b, struct pg_pipe *pp)
{
    static const unsigned oids[] = {PG_OID_INT8, PG_OID_INT8, PG_OID_FLOAT8, PG_OID_FLOAT8,
                                    PG_OID_TEXT, PG_OID_TEXT, PG_OID_TEXT,   PG_OID_TEXT,
                                    PG_OID_TEXT, PG_OID_INT8, PG_OID_TEXT};
    struct pg_arrays x;
    int64_t *count = pg_ing_calloc(b, b->ngroups, sizeof *count);
    double *min_ts = pg_ing_calloc(b, b->ngroups, sizeof *min_ts);
    size_t *newest = pg_ing_calloc(b, b->ngroups, sizeof *newest);
    pg_ing_fold_issues(b, count, min_ts, newest);
    pg_arrays_init(&x, oids, 11);
    for (size_t g = 0; g < b->ngroups; g++) {
        if (pg_ing_issue_first(b, g) != g)
            continue;
        const struct store_event_in *ev = &b->evs[newest[g]];
        pg_array_int(&x.arr[0], b->groups[g].issue_id);
        pg_array_int(&x.arr[1], count[g]);
        pg_array_real(&x.arr[2], min_ts[g]);
        pg_array_real(&x.arr[3], ev->timestamp);
        pg_array_text(&x.arr[4], ev->level);
        pg_array_text(&x.arr[5], ev->title);
        pg_array_text(&x.arr[6], ev->culprit);
        pg_array_text(&x.arr[7], ev->type);
        pg_array_text(&x.arr[8], ev->metadata_json);
    }
    for (size_t i = 0; i < b->n; i++) {
        const char *user = b->evs[i].user_key;
        if (!b->row_id[i] || b->first[i] != i || !user || !*user)
            continue;
        pg_array_int(&x.arr[9], b->groups[b->group_of[i]].issue_id);
        pg_array_text(&x.arr[10], user);
    }
    pg_arrays_send(pp, &x, PG_ING_ISSUE_UPDATE);
}

/* Copies the outcome into the events: stored ones get their group's issue, later copies
 * inside the batch are duplicates of the first (which comes earlier, so is done already). */
static void pg_ing_results(struct pg_batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        struct store_event_in *ev = &b->evs[i];
        if (b->first[i] != i) {
            ev->duplicate = true;
            ev->issue_id = b->evs[b->first[i]].issue_id;
        } else if (b->row_id[i]) {
            ev->issue_id = b->groups[b->group_of[i]].issue_id;
        }
    }
}

/* After the events: (5) the issues' lock, (6) their update and sort keys, (7) the
 * announcement. */
static void pg_ing_issues_send(struct pg_batch *b, struct pg_pipe *pp, const char *node)
{
    pg_ing_issue_ids_send(b, pp, PG_ING_ISSUE_LOCK);
    pg_ing_issue_update_send(b, pp);
    pg_ing_issue_ids_send(b, pp, PG_ING_ISSUE_SORT_KEYS);
    pg_live_notify(pp, node, b->evs, b->n);
}

/* The second pipeline: the writes, the announcement and COMMIT in one round trip. */
static enum err pg_ing_write(struct pg_batch *b, const char *node)
{
    struct pg_pipe pp;
    if (!b->ngroups) /* nothing new: only the claim's (empty) work to end */
        return pg_exec_sql(b->c, "COMMIT", NULL, NULL, b->ei);
    if (pg_pipe_begin(&pp, b->c, NULL, b->ei))
        return pg_pipe_end(&pp);
    pg_ing_events_send(b, &pp); /* takes no issue lock: goes first */
    pg_ing_issues_send(b, &pp, node);
    return pg_pipe_commit(&pp);
}

/* The statements every batch may run, prepared before the first pipeline. */
static const enum pg_stmt pg_ing_stmts[] = {
    PG_ING_CLAIM,           PG_ING_DUP_FIND,     PG_ING_ISSUE_FIND,
    PG_ING_ISSUE_LOCK,      PG_ING_EVENT_INSERT, PG_ING_ISSUE_UPDATE,
    PG_ING_ISSUE_SORT_KEYS, PG_LIVE_NOTIFY,      PG_ING_FAST_EVENTS};

/* Once per writer session: generic plans (the ingest statements' plans do not depend on
 * the arrays' contents, so planning them again for every batch is wasted), no sequential
 * scans, and the statements prepared before the first pipeline. Every ingest statement
 * touches at most a batch's rows by key, but while the issues table is small (a fresh
 * install, an error storm on a few issues) the planner chose to scan it whole, three times a
 * batch, and each batch's updates leave dead row versions behind for the next scan: that
 * was a fifth of the backend's time in `make bench DB=postgres`. */
static enum err pg_ing_session(struct pg_batch *b)
{
    enum err e = E_OK;
    if (!b->c->prepared[PG_ING_CLAIM])
        e = pg_exec_sql(b->c, "SET plan_cache_mode = force_generic_plan; SET enable_seqscan = off",
                        NULL, NULL, b->ei);
    if (!e)
        e = pg_prepare_all(b->c, pg_ing_stmts, sizeof pg_ing_stmts / sizeof *pg_ing_stmts, b->ei);
    return e;
}

/* ---- the fast path: every group's issue remembered --------------------------------------- */

/* Gives each group its remembered issue; false when one has none. */
static bool pg_ing_hinted(struct pg_batch *b)
{
    for (size_t g = 0; g < b->ngroups; g++) {
        struct pg_group *grp = &b->groups[g];
        grp->issue_id = pg_icache_get(b->icache, grp->project_id, grp->hash);
        if (!grp->issue_id)
            return false;
    }
    return true;
}

/* The batch's first occurrences, in claim order, as PG_ING_FAST_EVENTS's arrays. */
static void pg_ing_fast_events_send(struct pg_batch *b, struct pg_pipe *pp)
{
    struct pg_arrays x;
    pg_arrays_init(&x, pg_ing_event_oids + 1, PG_ING_EVENT_COLS - 1);
    for (size_t i = 0; i < b->nuniq; i++) {
        size_t k = b->uniq[i];
        pg_ing_event_cols(x.arr, &b->evs[k], b->groups[b->group_of[k]].issue_id);
    }
    pg_arrays_send(pp, &x, PG_ING_FAST_EVENTS);
}

/* One round trip, on the remembered issues and on the bet that no event_id of the batch was
 * stored before: BEGIN, the claim with the events, (5)–(7) as in pg_ing_write(), COMMIT.
 * *fallback when the bet is lost — a remembered issue is gone (the lock fails: 40001) or an
 * event was stored before (the claim fails: 23505), both before COMMIT runs — then the
 * transaction is rolled back here, nothing was written, and the caller takes the usual path. */
static enum err pg_ing_fast(struct pg_batch *b, const char *node, bool *fallback)
{
    struct pg_pipe pp;
    b->row_id = pg_ing_calloc(b, b->n, sizeof *b->row_id);
    for (size_t i = 0; i < b->nuniq; i++)
        b->row_id[b->uniq[i]] = -1; /* claimed, if the bet holds */
    pg_ing_group_claimed(b);
    pg_ing_results(b);
    if (pg_pipe_begin(&pp, b->c, "40001,23505", b->ei))
        return pg_pipe_end(&pp);
    pg_pipe_send_sql(&pp, "BEGIN");
    pg_ing_fast_events_send(b, &pp);
    pg_ing_issues_send(b, &pp, node);
    enum err e = pg_pipe_commit(&pp);
    *fallback = pg_pipe_failed_with(&pp, NULL);
    if (!*fallback)
        return e;
    if (pg_pipe_failed_with(&pp, "40001"))
        pg_icache_clear(b->icache); /* which hint failed is not known */
    return pg_exec_sql(b->c, "ROLLBACK", NULL, NULL, b->ei);
}

/* ---- the whole batch -------------------------------------------------------------------- */

/* Back to the state before any lookup: no groups, no outcome in the events. */
static void pg_ing_regroup(struct pg_batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        b->evs[i].issue_id = 0;
        b->evs[i].duplicate = false;
    }
    b->ngroups = 0;
    pg_ing_group(b);
}

/* The usual path: BEGIN … COMMIT, or an error with the transaction possibly still open (the
 * caller rolls it back). Remembers the groups' issues when it commits. */
static enum err pg_ing_looked_up(struct pg_batch *b, const char *node)
{
    size_t missing = 0;
    enum err e = pg_ing_lookup(b);
    if (!e)
        e = pg_ing_dups(b);
    if (e)
        return e;
    pg_ing_group_claimed(b);
    for (size_t g = 0; g < b->ngroups; g++)
        missing += b->groups[g].issue_id == 0;
    if (missing)
        e = pg_ing_issue_create(b);
    if (e)
        return e;
    pg_ing_results(b);
    e = pg_ing_write(b, node);
    for (size_t g = 0; g < b->ngroups && !e; g++)
        pg_icache_put(b->icache, b->groups[g].project_id, b->groups[g].hash, b->groups[g].issue_id);
    return e;
}

static enum err pg_ing_steps(struct pg_batch *b, const char *node)
{
    bool fallback = false;
    enum err e = pg_ing_session(b);
    if (e)
        return e;
    pg_ing_dedupe(b);
    pg_ing_group(b);
    if (pg_ing_hinted(b)) {
        e = pg_ing_fast(b, node, &fallback);
        if (e || !fallback)
            return e;
        pg_ing_regroup(b);
    }
    return pg_ing_looked_up(b, node);
}

enum err pg_ingest_batch(struct store *st, struct store_event_in *evs, size_t n, struct errinfo *ei)
{
    struct pg_store *s = pg_of(st);
    struct pg_batch b = {.c = &s->writer, .evs = evs, .n = n, .ei = ei, .icache = &s->icache};
    pthread_mutex_lock(&s->writer_mu);
    enum err e = pg_conn_ready(s, b.c, ei);
    if (e)
        goto out;
    b.a = arena_new(0);
    e = pg_ing_steps(&b, s->node);
    if (e)
        e = pg_finish(b.c, e, ei); /* rolls back what is left open */
    arena_free(b.a);
out:
    pthread_mutex_unlock(&s->writer_mu);
    return e;
}
