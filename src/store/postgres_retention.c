/* postgres_retention: store_retention_run() and store_partitions_maintain() on PostgreSQL.
 * events is range-partitioned by received time, one partition per UTC day
 * (migrations/postgres/0001_init.sql): retention drops whole expired days, and maintenance
 * creates the coming week's partitions ahead of the rows that will need them.
 *
 * DESIGN
 * - One node at a time: a retention run holds a session advisory lock (PG_RETENTION_LOCK)
 *   on the pool connection it works on, taken with pg_try_advisory_lock — a node that does
 *   not get it returns skipped. Every step runs on that connection; if the unlock fails
 *   the connection is marked broken, and its reset ends the session and so the lock.
 *   Partition maintenance serialises on a transaction-level advisory lock instead (it is
 *   short, and idempotent under the lock).
 * - Steps of a run, each in its own short transactions: (1) drop the expired partitions
 *   (one transaction, recording their issues in issue_recount first); (2) delete the
 *   expired rows of the default partition, max_batch at a time, recording their issues;
 *   (3) delete the expired event_ids rows, max_batch at a time; (4) recount the recorded
 *   issues, max_batch at a time: lock them (the ingest lock order: issues by id), prune
 *   their distinct users to those of remaining events, delete the issues left without
 *   events and recompute the others' counters. Recount claims rows FOR UPDATE SKIP LOCKED.
 * - Whole days: the cutoff is rounded down to a UTC day boundary so that the default
 *   partition, event_ids and the dropped partitions agree on what expired.
 * - Table locks: dropping or attaching a partition takes strong locks on events; those
 *   statements run with lock_timeout (PG_LOCK_TIMEOUT) so a long ingest transaction makes
 *   the job fail and retry later rather than queue every ingest behind it. */
#include "store/postgres_int.h"

#include <math.h>
#include <stdlib.h>

/* pg_advisory_lock keys: "snag-ret" and "snag-prt" as int64 */
#define PG_RETENTION_LOCK "8317692657571882356"
#define PG_PARTITION_LOCK "8317692657571754612"
#define PG_DAY 86400.0

static bool pg_stopping(const atomic_bool *stop)
{
    return stop && atomic_load(stop);
}

/* Runs id with params p on c, *n gets the integer in its first row (0 when none). */
static enum err pg_exec_int(struct pg_conn *c, enum pg_stmt id, const struct pg_params *p,
                            int64_t *n, struct errinfo *ei)
{
    PGresult *res = NULL;
    enum err e = pg_exec(c, id, p, &res, ei);
    if (e)
        return e;
    *n = PQntuples(res) > 0 ? pg_res_int(res, 0, 0) : 0;
    PQclear(res);
    return E_OK;
}

/* Runs id (parameters: a real and a count) on c; *n gets its changed rows, or with
 * rows_count the integer in its first row. */
static enum err pg_ret_step(struct pg_conn *c, enum pg_stmt id, double cutoff, size_t max_batch,
                            bool rows_count, int64_t *n, struct errinfo *ei)
{
    struct pg_params p = {.n = 0};
    PGresult *res = NULL;
    pg_p_real(&p, cutoff);
    pg_p_int(&p, (int64_t)max_batch);
    if (rows_count)
        return pg_exec_int(c, id, &p, n, ei);
    enum err e = pg_exec(c, id, &p, &res, ei);
    if (!e)
        *n = pg_res_changes(res);
    PQclear(res);
    return e;
}

/* ---- (1) partitions --------------------------------------------------------------------- */

static enum err pg_ret_drop(struct pg_conn *c, double cutoff, struct store_retention_result *out,
                            struct errinfo *ei)
{
    struct pg_params p = {.n = 0};
    int64_t dropped = 0;
    pg_p_real(&p, cutoff);
    enum err e = pg_begin(c, ei);
    if (e)
        return e;
    e = pg_exec(c, PG_LOCK_TIMEOUT, NULL, NULL, ei);
    if (!e)
        e = pg_exec_int(c, PG_RET_DROP, &p, &dropped, ei);
    e = pg_finish(c, e, ei);
    if (!e)
        out->partitions_dropped += dropped;
    return e;
}

/* ---- (2), (3) rows ---------------------------------------------------------------------- */

/* Repeats a batch delete until a batch comes back short; *total adds up the rows. */
static enum err pg_ret_batches(struct pg_conn *c, enum pg_stmt id, double cutoff, size_t max_batch,
                               const atomic_bool *stop, bool rows_count, int64_t *total,
                               struct store_retention_result *out, struct errinfo *ei)
{
    int64_t n = (int64_t)max_batch;
    enum err e = E_OK;
    while (!e && n == (int64_t)max_batch) {
        if (pg_stopping(stop)) {
            out->interrupted = true;
            break;
        }
        e = pg_ret_step(c, id, cutoff, max_batch, rows_count, &n, ei);
        if (!e && total)
            *total += n;
    }
    return e;
}

/* ---- (4) recount ------------------------------------------------------------------------ */

/* Runs id with the issue ids as its one int8[] parameter; *n gets its changed rows. */
static enum err pg_ret_issues(struct pg_conn *c, enum pg_stmt id, const PGresult *ids, int64_t *n,
                              struct errinfo *ei)
{
    struct pg_array arr;
    struct pg_params p = {.n = 0};
    PGresult *res = NULL;
    pg_array_init(&arr, PG_OID_INT8);
    for (int r = 0; r < PQntuples(ids); r++)
        pg_array_int(&arr, pg_res_int(ids, r, 0));
    enum err e = pg_array_done(&arr, &p);
    if (!e)
        e = pg_exec(c, id, &p, &res, ei);
    if (!e && n)
        *n = pg_res_changes(res);
    PQclear(res);
    pg_array_free(&arr);
    return e;
}

/* One transaction: claims up to max_batch issues and recomputes them; *n gets how many. */
static enum err pg_ret_recount_batch(struct pg_conn *c, size_t max_batch, int64_t *n,
                                     struct store_retention_result *out, struct errinfo *ei)
{
    struct pg_params p = {.n = 0};
    PGresult *ids = NULL;
    int64_t deleted = 0, updated = 0;
    pg_p_int(&p, (int64_t)max_batch);
    *n = 0;
    enum err e = pg_begin(c, ei);
    if (e)
        return e;
    e = pg_exec(c, PG_RET_CLAIM, &p, &ids, ei);
    if (!e)
        *n = PQntuples(ids);
    if (e || *n == 0)
        goto out;
    e = pg_ret_issues(c, PG_ING_ISSUE_LOCK, ids, NULL, ei);
    if (!e)
        e = pg_ret_issues(c, PG_RET_USERS_PRUNE, ids, NULL, ei);
    if (!e)
        e = pg_ret_issues(c, PG_RET_ISSUE_EMPTY, ids, &deleted, ei);
    if (!e)
        e = pg_ret_issues(c, PG_RET_ISSUE_UPDATE, ids, &updated, ei);
    if (!e)
        e = pg_ret_issues(c, PG_ING_ISSUE_SORT_KEYS, ids, NULL, ei);
out:
    PQclear(ids);
    e = pg_finish(c, e, ei);
    if (!e) {
        out->issues_deleted += deleted;
        out->issues_updated += updated;
    }
    return e;
}

static enum err pg_ret_recount(struct pg_conn *c, size_t max_batch, const atomic_bool *stop,
                               struct store_retention_result *out, struct errinfo *ei)
{
    int64_t n = 1;
    enum err e = E_OK;
    while (!e && n > 0) {
        if (pg_stopping(stop)) {
            out->interrupted = true;
            break;
        }
        e = pg_ret_recount_batch(c, max_batch, &n, out, ei);
    }
    return e;
}

/* ---- the run ---------------------------------------------------------------------------- */

static enum err pg_ret_steps(struct pg_conn *c, double cutoff, size_t max_batch,
                             const atomic_bool *stop, struct store_retention_result *out,
                             struct errinfo *ei)
{
    enum err e = E_OK;
    if (pg_stopping(stop))
        out->interrupted = true;
    else
        e = pg_ret_drop(c, cutoff, out, ei);
    if (!e && !out->interrupted)
        e = pg_ret_batches(c, PG_RET_DEFAULT, cutoff, max_batch, stop, true, &out->events_deleted,
                           out, ei);
    if (!e && !out->interrupted)
        e = pg_ret_batches(c, PG_RET_EVENT_IDS, cutoff, max_batch, stop, false, NULL, out, ei);
    if (!e && !out->interrupted)
        e = pg_ret_recount(c, max_batch, stop, out, ei);
    return e;
}

/* Takes (lock) or gives back (!lock) the retention lock; *got says whether it was taken. */
static enum err pg_ret_lock(struct pg_conn *c, bool lock, bool *got, struct errinfo *ei)
{
    struct pg_params p = {.n = 0};
    PGresult *res = NULL;
    pg_p_text(&p, PG_RETENTION_LOCK);
    enum err e = pg_exec(c, lock ? PG_TRY_LOCK : PG_UNLOCK, &p, &res, ei);
    if (!e)
        *got = PQntuples(res) > 0 && PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    return e;
}

enum err pg_retention_run(struct store *st, double cutoff, size_t max_batch,
                          const atomic_bool *stop, struct store_retention_result *out,
                          struct errinfo *ei)
{
    struct pg_store *s = pg_of(st);
    struct pg_conn *c = NULL;
    bool locked = false, unlocked = false;
    enum err e = pg_acquire(s, &c, ei);
    if (e)
        return e;
    e = pg_ret_lock(c, true, &locked, ei);
    if (e || !locked) {
        out->skipped = !e;
        goto out;
    }
    e = pg_ret_steps(c, floor(cutoff / PG_DAY) * PG_DAY, max_batch, stop, out, ei);
    if (pg_ret_lock(c, false, &unlocked, NULL) != E_OK || !unlocked)
        c->broken = true; /* the reset ends the session, and the lock with it */
out:
    pg_release(s, c);
    return e;
}

enum err pg_partitions_maintain(struct store *st, double now, int *created, struct errinfo *ei)
{
    struct pg_store *s = pg_of(st);
    struct pg_conn *c = NULL;
    struct pg_params lock = {.n = 0}, day = {.n = 0};
    int64_t made = 0;
    pg_p_text(&lock, PG_PARTITION_LOCK);
    pg_p_real(&day, now);
    enum err e = pg_acquire(s, &c, ei);
    if (e)
        return e;
    e = pg_begin(c, ei);
    if (e)
        goto out;
    e = pg_exec(c, PG_MIG_LOCK, &lock, NULL, ei); /* pg_advisory_xact_lock($1) */
    if (!e)
        e = pg_exec(c, PG_LOCK_TIMEOUT, NULL, NULL, ei);
    if (!e)
        e = pg_exec_int(c, PG_PRT_ADD, &day, &made, ei);
    e = pg_finish(c, e, ei);
    *created = e ? 0 : (int)made;
out:
    pg_release(s, c);
    return e;
}
