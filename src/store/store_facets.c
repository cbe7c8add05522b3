/* store_facets: store_facets_run() and store_facets_prune() — the storage half of the facets
 * job (worker/facets.c): per-issue tag values and hourly counts, counted from committed events
 * after ingest, never by it.
 *
 * DESIGN
 * - One connection for a whole pass; on PostgreSQL a session advisory lock on it makes one node
 *   do the work (the others return skipped); explicit short transactions on it write.
 * - The cursor (facets_cursor) says which events are counted. SQLite (one writer, row ids that
 *   can be reused after the newest rows are deleted) walks (received, id); PostgreSQL walks the
 *   events' id (each partition's primary key index) and stops at the first event received
 *   less than `lag` seconds ago: ids are taken in ingest transactions that commit a little
 *   later, and the lag lets them commit before the cursor passes them. Both read only events
 *   received at least `lag` seconds ago.
 * - A batch is read and decoded outside any transaction (events are immutable), aggregated in
 *   memory (sorted tuples), then written with the cursor in one short transaction.
 * - facet_rebuild lists issues whose counts must be recomputed (a merge moved events into them;
 *   retention removed some of theirs): their rows are deleted and recounted from their events
 *   up to the cursor — the events after it are counted by the normal pass. A row leaves the
 *   queue only if nobody queued the issue again meanwhile (gen).
 * - Tag values' first_seen/last_seen and the hourly buckets use the events' received time, the
 *   clock retention deletes by, so "counts an expired event" is exactly "first_seen is older
 *   than the issue's oldest remaining event" (store_facets_prune). */
#include "store/store_facets_int.h"

#include <stdlib.h>
#include <string.h>

#define FX_LOCK_KEY 7291005    /* pg advisory lock: the facets job */
#define FX_REBUILDS_PER_RUN 20 /* issues rebuilt per pass at most */

struct fx_cursor {
    double received;
    int64_t id;
};

/* ---- statements on the pass's connection -------------------------------------------------- */

static enum err fx_begin(struct store_q_conn *c, struct fx_run *r)
{
    return fx_exec(c, r, si_is_pg(r->st) ? "BEGIN" : "BEGIN IMMEDIATE", NULL);
}

static enum err fx_end(struct store_q_conn *c, struct fx_run *r, enum err e)
{
    if (!e)
        return fx_exec(c, r, "COMMIT", NULL);
    (void)fx_exec(c, r, "ROLLBACK", NULL);
    return e;
}

static enum err fx_fill_cursor(struct si_out *out, const struct store_q_row *r, void *dst)
{
    struct fx_cursor *cur = dst;
    cur->received = out->o->col_real(r, 0);
    cur->id = out->o->col_int(r, 1);
    return E_OK;
}

static enum err fx_cursor_get(struct store_q_conn *c, struct fx_run *r, struct fx_cursor *cur)
{
    struct si_out out = {.o = r->o, .fill = fx_fill_cursor, .one = cur};
    *cur = (struct fx_cursor){0, 0};
    return si_run(c, r->o, "SELECT received, row_id FROM facets_cursor WHERE name = 'facets'", NULL,
                  &out, NULL);
}

static enum err fx_cursor_set(struct store_q_conn *c, struct fx_run *r, const struct fx_cursor *cur)
{
    struct store_q_params p = {0};
    si_p_real(&p, cur->received);
    si_p_int(&p, cur->id);
    return fx_exec(c, r,
                   "INSERT INTO facets_cursor (name, received, row_id) VALUES ('facets', $1, $2) "
                   "ON CONFLICT (name) DO UPDATE SET received = excluded.received, "
                   "row_id = excluded.row_id",
                   &p);
}

/* ---- reading events ------------------------------------------------------------------------ */

static enum err fx_read(struct store_q_conn *c, struct fx_run *r, struct si_sql *t,
                        struct store_event_row **rows, size_t *n)
{
    if (t->bad)
        return E_INVALID;
    struct si_out out = {.o = r->o, .a = r->a, .fill = si_fill_event, .elsize = sizeof **rows};
    enum err e = si_run(c, r->o, t->p, &t->params, &out, NULL);
    *rows = out.rows;
    *n = e ? 0 : out.n;
    return e;
}

/* The next batch after cur, received at most `until`. */
static enum err fx_read_batch(struct store_q_conn *c, struct fx_run *r, const struct fx_cursor *cur,
                              struct store_event_row **rows, size_t *n)
{
    struct si_sql t = {.len = 0};
    si_add(&t, "SELECT " SI_EVENT_COLS " FROM events e WHERE ");
    if (si_is_pg(r->st)) {
        si_int(&t, "e.id > ? ORDER BY e.id", cur->id);
    } else {
        si_real(&t, "e.received <= ?", r->now - r->lag);
        si_real(&t, " AND (e.received > ? OR (e.received = ?", cur->received);
        si_int(&t, " AND e.id > ?)) ORDER BY e.received, e.id", cur->id);
    }
    si_int(&t, " LIMIT ?", (int64_t)r->batch);
    return fx_read(c, r, &t, rows, n);
}

/* One batch of the normal pass; *full when it came back full. */
static enum err fx_pass_batch(struct store_q_conn *c, struct fx_run *r, bool *full)
{
    struct fx_cursor cur;
    struct store_event_row *rows = NULL;
    size_t n = 0, used = 0;
    fx_reset(r);
    enum err e = fx_cursor_get(c, r, &cur);
    if (!e)
        e = fx_read_batch(c, r, &cur, &rows, &n);
    bool cut = false; /* ended early: enough distinct counts for one write */
    for (; !e && used < n && rows[used].received <= r->now - r->lag && !cut; used++) {
        e = fx_take(r, &rows[used]);
        cur = (struct fx_cursor){rows[used].received, rows[used].id};
        cut = r->ntuples >= FX_TUPLES_MAX && used + 1 < n;
    }
    *full = !e && (cut || (n == r->batch && used == n));
    if (e || used == 0)
        return e;
    e = fx_begin(c, r);
    if (!e) {
        enum err w = fx_flush(c, r);
        e = fx_end(c, r, w ? w : fx_cursor_set(c, r, &cur));
    }
    if (!e)
        r->out->events += (int64_t)used;
    return e;
}

/* ---- rebuilds ---------------------------------------------------------------------------- */

static enum err fx_fill_pair(struct si_out *out, const struct store_q_row *r, void *dst)
{
    int64_t *v = dst;
    v[0] = out->o->col_int(r, 0);
    v[1] = out->o->col_int(r, 1);
    return E_OK;
}

/* The issue's events up to the cursor, after (pos_received, pos_id). */
static enum err fx_read_issue(struct store_q_conn *c, struct fx_run *r, int64_t issue,
                              const struct fx_cursor *cur, const struct fx_cursor *pos,
                              struct store_event_row **rows, size_t *n)
{
    struct si_sql t = {.len = 0};
    si_int(&t, "SELECT " SI_EVENT_COLS " FROM events e WHERE e.issue_id = ?", issue);
    if (si_is_pg(r->st)) {
        si_int(&t, " AND e.id <= ?", cur->id);
    } else {
        si_real(&t, " AND (e.received < ? OR (e.received = ?", cur->received);
        si_int(&t, " AND e.id <= ?))", cur->id);
    }
    si_real(&t, " AND (e.received > ? OR (e.received = ?", pos->received);
    si_int(&t, " AND e.id > ?)) ORDER BY e.received, e.id", pos->id);
    si_int(&t, " LIMIT ?", (int64_t)r->batch);
    return fx_read(c, r, &t, rows, n);
}

static enum err fx_issue_clear(struct store_q_conn *c, struct fx_run *r, int64_t issue)
{
    struct store_q_params p = {0};
    si_p_int(&p, issue);
    enum err e = fx_begin(c, r);
    if (e)
        return e;
    e = fx_exec(c, r, "DELETE FROM issue_tag_values WHERE issue_id = $1", &p);
    if (!e)
        e = fx_exec(c, r, "DELETE FROM issue_stats WHERE issue_id = $1", &p);
    return fx_end(c, r, e);
}

/* Recounts one queued issue from scratch; the queue row goes unless re-queued (gen). */
static enum err fx_rebuild(struct store_q_conn *c, struct fx_run *r, int64_t issue, int64_t gen)
{
    struct fx_cursor cur, pos = {0, 0};
    enum err e = fx_cursor_get(c, r, &cur);
    if (!e)
        e = fx_issue_clear(c, r, issue);
    for (size_t n = r->batch; !e && n == r->batch;) {
        struct store_event_row *rows = NULL;
        fx_reset(r);
        e = fx_read_issue(c, r, issue, &cur, &pos, &rows, &n);
        for (size_t k = 0; !e && k < n; k++) {
            e = fx_take(r, &rows[k]);
            pos = (struct fx_cursor){rows[k].received, rows[k].id};
        }
        if (!e && n > 0 && !(e = fx_begin(c, r)))
            e = fx_end(c, r, fx_flush(c, r));
    }
    struct store_q_params p = {0};
    si_p_int(&p, issue);
    si_p_int(&p, gen);
    if (!e)
        e = fx_exec(c, r, "DELETE FROM facet_rebuild WHERE issue_id = $1 AND gen = $2", &p);
    if (!e)
        r->out->rebuilt++;
    return e;
}

static enum err fx_rebuilds(struct store_q_conn *c, struct fx_run *r)
{
    enum err e = E_OK;
    for (int k = 0; k < FX_REBUILDS_PER_RUN && !e; k++) {
        int64_t pair[2] = {0, 0};
        struct si_out out = {.o = r->o, .fill = fx_fill_pair, .one = pair};
        struct store_q_params p = {0};
        si_p_int(&p, 0);
        e = si_run(c, r->o,
                   "SELECT issue_id, gen FROM facet_rebuild WHERE issue_id > $1 "
                   "ORDER BY issue_id LIMIT 1",
                   &p, &out, NULL);
        if (e || !out.found)
            break;
        e = fx_rebuild(c, r, pair[0], pair[1]);
    }
    return e;
}

/* ---- the pass ---------------------------------------------------------------------------- */

static enum err fx_fill_bool(struct si_out *out, const struct store_q_row *r, void *dst)
{
    *(bool *)dst = out->o->col_bool(r, 0);
    return E_OK;
}

static enum err fx_lock(struct store_q_conn *c, struct fx_run *r, bool take, bool *got)
{
    struct si_out out = {.o = r->o, .fill = fx_fill_bool, .one = got};
    struct store_q_params p = {0};
    si_p_int(&p, FX_LOCK_KEY);
    return si_run(c, r->o,
                  take ? "SELECT pg_try_advisory_lock(CAST($1 AS BIGINT))"
                       : "SELECT pg_advisory_unlock(CAST($1 AS BIGINT))",
                  &p, &out, NULL);
}

static enum err fx_work(struct store_q_conn *c, void *ctx)
{
    struct fx_run *r = ctx;
    bool got = true, unlocked = false;
    enum err e = si_is_pg(r->st) ? fx_lock(c, r, true, &got) : E_OK;
    if (e || !got) {
        r->out->skipped = !e;
        return e;
    }
    e = fx_rebuilds(c, r);
    bool full = false;
    if (!e)
        e = fx_pass_batch(c, r, &full);
    r->out->more = full;
    if (si_is_pg(r->st)) {
        enum err u = fx_lock(c, r, false, &unlocked);
        e = e ? e : u;
    }
    return e;
}

enum err store_facets_run(struct store *st, size_t batch, double now, double lag,
                          store_facets_decode_fn decode, void *ctx, struct store_facets_result *out,
                          struct errinfo *ei)
{
    SI_ENTER(st);
    SI_CHECK(batch > 0 && batch <= STORE_BATCH_MAX && lag >= 0 && decode && out);
    memset(out, 0, sizeof *out);
    struct fx_run r = {.st = st,
                       .o = st->ops->orgs,
                       .batch = batch,
                       .now = now,
                       .lag = lag,
                       .decode = decode,
                       .ctx = ctx,
                       .out = out,
                       .ei = ei};
    enum err e = st->ops->orgs->with_conn(st, false, fx_work, &r);
    fx_release(&r);
    return e;
}

enum err store_facets_prune(struct store *st, double cutoff, int64_t *queued)
{
    SI_ENTER(st);
    SI_CHECK(queued);
    struct store_q_params p = {0};
    si_p_real(&p, cutoff);
    *queued = 0;
    return si_exec(st,
                   "INSERT INTO facet_rebuild (issue_id) SELECT DISTINCT t.issue_id FROM "
                   "issue_tag_values t WHERE t.first_seen < $1 AND t.first_seen < coalesce("
                   "(SELECT min(e.received) FROM events e WHERE e.issue_id = t.issue_id), $1) "
                   "ON CONFLICT (issue_id) DO UPDATE SET gen = facet_rebuild.gen + 1",
                   &p, NULL, queued);
}
