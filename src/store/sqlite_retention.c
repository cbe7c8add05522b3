/* sqlite_retention: store_retention_run() on SQLite — deletes expired events in small
 * transactions on the writer connection, then recomputes the aggregates of the issues they
 * belonged to from the events that remain (and deletes the issues left empty).
 *
 * DESIGN
 * - Never stalls ingest: every transaction holds writer_mu (the ingest writer's lock) for
 *   at most max_batch event deletes, or SQ_RECOUNT_BATCH issue recounts, and the job sleeps
 *   briefly between transactions so a waiting ingest batch gets the lock first.
 * - Two phases: (1) delete batches, each recording the issues it touched in issue_recount
 *   in the same transaction; (2) recount batches, each recomputing some of those issues and
 *   removing them from issue_recount. An issue is recounted once per run however many of
 *   its events went, and a run cut short (stop, crash) is completed by the next one.
 *   Between the phases an issue's counters still include the deleted events, for a moment.
 * - No partitions on SQLite: store_partitions_maintain() has nothing to do. */
#include "store/sqlite_int.h"

#include <time.h>

#define SQ_RECOUNT_BATCH 50  /* issues recomputed per transaction */
#define SQ_YIELD_NS 2000000L /* pause between transactions: 2 ms */

static bool sq_stopping(const atomic_bool *stop)
{
    return stop && atomic_load(stop);
}

static void sq_yield(void)
{
    struct timespec ts = {0, SQ_YIELD_NS};
    nanosleep(&ts, NULL);
}

/* ---- phase 1: delete -------------------------------------------------------------------- */

/* Deletes up to max_batch expired events (and marks their issues); *n gets how many. */
static enum err sq_ret_delete_batch(struct sq_conn *c, double cutoff, size_t max_batch, int *n,
                                    struct errinfo *ei)
{
    struct sq_q q;
    enum err e = sq_begin(c, ei);
    if (e)
        return e;
    e = sq_prep(c, SQ_RET_MARK, &q);
    if (e)
        goto out;
    sq_real(&q, cutoff);
    sq_int(&q, (int64_t)max_batch);
    e = sq_run(&q, ei, "mark expired issues", NULL);
    if (!e)
        e = sq_prep(c, SQ_RET_DELETE, &q);
    if (e)
        goto out;
    sq_real(&q, cutoff);
    sq_int(&q, (int64_t)max_batch);
    e = sq_run(&q, ei, "delete expired events", n);
out:
    return sq_finish(c, e, ei);
}

/* ---- phase 2: recount ------------------------------------------------------------------- */

static enum err sq_ret_by_issue(struct sq_conn *c, enum sq_stmt id, int64_t issue_id,
                                struct errinfo *ei, const char *what)
{
    struct sq_q q;
    enum err e = sq_prep(c, id, &q);
    if (e)
        return e;
    sq_int(&q, issue_id);
    return sq_run(&q, ei, what, NULL);
}

/* The issue's remaining events: how many, oldest and newest timestamp. */
static enum err sq_ret_stats(struct sq_conn *c, int64_t issue_id, int64_t *n, double *lo,
                             double *hi, struct errinfo *ei)
{
    struct sq_q q;
    enum err e = sq_prep(c, SQ_RET_STATS, &q);
    if (e)
        return e;
    sq_int(&q, issue_id);
    int rc = sq_step(&q);
    if (rc == SQLITE_ROW) {
        *n = sqlite3_column_int64(q.s, 0);
        *lo = sqlite3_column_double(q.s, 1);
        *hi = sqlite3_column_double(q.s, 2);
    } else {
        e = sq_err(q.db, rc, ei, "count issue events");
    }
    sq_done(&q);
    return e;
}

static enum err sq_ret_update(struct sq_conn *c, int64_t issue_id, int64_t n, double lo, double hi,
                              struct errinfo *ei)
{
    struct sq_q q;
    enum err e = sq_ret_by_issue(c, SQ_RET_USERS_PRUNE, issue_id, ei, "prune issue users");
    if (!e)
        e = sq_prep(c, SQ_RET_ISSUE_UPDATE, &q);
    if (e)
        return e;
    sq_int(&q, issue_id);
    sq_int(&q, n);
    sq_real(&q, lo);
    sq_real(&q, hi);
    return sq_run(&q, ei, "update issue", NULL);
}

/* Recomputes one issue from its remaining events, or deletes it when none remain. */
static enum err sq_ret_recount_one(struct sq_conn *c, int64_t issue_id,
                                   struct store_retention_result *out, struct errinfo *ei)
{
    int64_t n = 0;
    double lo = 0, hi = 0;
    enum err e = sq_ret_stats(c, issue_id, &n, &lo, &hi, ei);
    if (!e && n == 0) {
        e = sq_ret_by_issue(c, SQ_ISSUE_DELETE, issue_id, ei, "delete empty issue");
        out->issues_deleted += sqlite3_changes(c->db);
    } else if (!e) {
        e = sq_ret_update(c, issue_id, n, lo, hi, ei);
        out->issues_updated++;
    }
    return e ? e : sq_ret_by_issue(c, SQ_RET_DONE, issue_id, ei, "unmark issue");
}

/* The next issues to recount (up to cap) into ids; *n gets how many. */
static enum err sq_ret_pending(struct sq_conn *c, int64_t *ids, size_t cap, size_t *n,
                               struct errinfo *ei)
{
    struct sq_q q;
    *n = 0;
    enum err e = sq_prep(c, SQ_RET_PENDING, &q);
    if (e)
        return e;
    sq_int(&q, (int64_t)cap);
    int rc;
    while ((rc = sq_step(&q)) == SQLITE_ROW && *n < cap)
        ids[(*n)++] = sqlite3_column_int64(q.s, 0);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        e = sq_err(q.db, rc, ei, "list issues to recount");
    sq_done(&q);
    return e;
}

/* One transaction of recounts; *n gets how many issues it handled (0: none left). */
static enum err sq_ret_recount_batch(struct sq_conn *c, struct store_retention_result *out,
                                     size_t *n, struct errinfo *ei)
{
    int64_t ids[SQ_RECOUNT_BATCH];
    enum err e = sq_begin(c, ei);
    if (e)
        return e;
    e = sq_ret_pending(c, ids, SQ_RECOUNT_BATCH, n, ei);
    for (size_t i = 0; i < *n && !e; i++)
        e = sq_ret_recount_one(c, ids[i], out, ei);
    return sq_finish(c, e, ei);
}

/* ---- the run ---------------------------------------------------------------------------- */

/* Phase 1: delete batches until one comes back short. */
static enum err sq_ret_deletes(struct sq_store *s, double cutoff, size_t max_batch,
                               const atomic_bool *stop, struct store_retention_result *out,
                               struct errinfo *ei)
{
    enum err e = E_OK;
    for (int n = (int)max_batch; !e && n == (int)max_batch; sq_yield()) {
        if (sq_stopping(stop)) {
            out->interrupted = true;
            break;
        }
        pthread_mutex_lock(&s->writer_mu);
        e = sq_ret_delete_batch(&s->writer, cutoff, max_batch, &n, ei);
        pthread_mutex_unlock(&s->writer_mu);
        out->events_deleted += e ? 0 : n;
    }
    return e;
}

/* Phase 2: recount batches until no issue is left to recount. */
static enum err sq_ret_recounts(struct sq_store *s, const atomic_bool *stop,
                                struct store_retention_result *out, struct errinfo *ei)
{
    enum err e = E_OK;
    for (size_t n = 1; !e && n > 0; sq_yield()) {
        if (sq_stopping(stop)) {
            out->interrupted = true;
            break;
        }
        struct store_retention_result batch = *out;
        pthread_mutex_lock(&s->writer_mu);
        e = sq_ret_recount_batch(&s->writer, &batch, &n, ei);
        pthread_mutex_unlock(&s->writer_mu);
        if (!e) /* a rolled-back batch counts nothing */
            *out = batch;
    }
    return e;
}

enum err sq_retention_run(struct store *st, double cutoff, size_t max_batch,
                          const atomic_bool *stop, struct store_retention_result *out,
                          struct errinfo *ei)
{
    struct sq_store *s = sq_of(st);
    enum err e = sq_ret_deletes(s, cutoff, max_batch, stop, out, ei);
    if (!e && !out->interrupted)
        e = sq_ret_recounts(s, stop, out, ei);
    return e;
}

enum err sq_partitions_maintain(struct store *st, double now, int *created, struct errinfo *ei)
{
    (void)st;
    (void)now;
    (void)ei;
    *created = 0;
    return E_OK;
}
