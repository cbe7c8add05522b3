/* postgres_pipe: libpq pipeline mode for the ingest writer — several statements go to the
 * server in one write and their results come back in order, so a batch costs a couple of
 * round trips instead of one per statement.
 *
 * DESIGN
 * - Use: pg_pipe_begin(), pg_pipe_send() each statement (prepared beforehand: see
 *   pg_prepare_all()), pg_pipe_sync(), then pg_pipe_result() for the statements whose rows
 *   are needed, in the order they were sent, and pg_pipe_end() to read the rest, check
 *   every one and leave pipeline mode. The first failure sticks: later sends are skipped,
 *   the server skips the rest of the pipeline up to the sync (PGRES_PIPELINE_ABORTED), and
 *   every later call returns that failure. A transaction begun in the pipeline is then left
 *   open in the failed state: the caller rolls it back (pg_finish()).
 * - The connection stays blocking. That is safe here because what one pipeline sends is
 *   bounded by the ingest batch and its results are a few rows per event, far below the
 *   socket buffers, so neither side can stall writing while the other is writing too.
 * - A connection whose pipeline could not be closed cleanly (lost mid-way) is marked broken;
 *   pg_conn_ready() replaces it before its next use.
 * - A pipeline that ends a transaction ends with pg_pipe_commit(), which tells a batch that
 *   committed from one that did not even when the server goes away in between.
 * - SQLSTATEs the caller expects (pg_pipe_begin) fail the pipeline quietly, so that it can
 *   roll back and try another way without a log line. */
#include "store/postgres_int.h"

#include <stdio.h>
#include <string.h>

enum err pg_prepare_all(struct pg_conn *c, const enum pg_stmt *ids, size_t n, struct errinfo *ei)
{
    enum err e = E_OK;
    for (size_t i = 0; i < n && !e; i++)
        if (!c->prepared[ids[i]])
            e = pg_prepare(c, ids[i], ei);
    return e;
}

enum err pg_pipe_begin(struct pg_pipe *pp, struct pg_conn *c, const char *expected_states,
                       struct errinfo *ei)
{
    *pp = (struct pg_pipe){.c = c, .ei = ei, .expected_states = expected_states};
    if (PQenterPipelineMode(c->db) != 1)
        pp->err = pg_err(c, NULL, ei);
    return pp->err;
}

static void pg_pipe_sent(struct pg_pipe *pp, int ok)
{
    if (ok == 1)
        pp->queued++;
    else
        pp->err = pg_err(pp->c, NULL, pp->ei);
}

void pg_pipe_send(struct pg_pipe *pp, enum pg_stmt id, const struct pg_params *p)
{
    char name[16];
    if (pp->err)
        return;
    snprintf(name, sizeof name, "s%d", (int)id);
    pg_pipe_sent(pp, PQsendQueryPrepared(pp->c->db, name, p ? p->n : 0, p ? p->v : NULL,
                                         p ? p->len : NULL, p ? p->fmt : NULL, 0));
}

void pg_pipe_send_sql(struct pg_pipe *pp, const char *sql)
{
    if (!pp->err)
        pg_pipe_sent(pp, PQsendQueryParams(pp->c->db, sql, 0, NULL, NULL, NULL, NULL, 0));
}

void pg_pipe_fail(struct pg_pipe *pp, enum err e)
{
    if (!pp->err)
        pp->err = e;
}

enum err pg_pipe_sync(struct pg_pipe *pp)
{
    if (PQpipelineSync(pp->c->db) == 1)
        pp->synced = true;
    else if (!pp->err)
        pp->err = pg_err(pp->c, NULL, pp->ei);
    else
        pp->c->broken = true; /* statements are queued with no sync to end them */
    return pp->err;
}

/* The next statement's result, and the NULL that ends it. NULL when the connection is gone. */
static PGresult *pg_pipe_next(struct pg_pipe *pp)
{
    PGresult *r = PQgetResult(pp->c->db);
    if (!r)
        return NULL;
    PGresult *end = PQgetResult(pp->c->db);
    if (end) { /* a statement has one result: anything else means the stream is lost */
        PQclear(end);
        PQclear(r);
        pp->c->broken = true;
        return NULL;
    }
    return r;
}

/* Whether failed result r carries a SQLSTATE the caller expects (then noted in pp). SQLSTATEs
 * are five letters or digits, so one is in the comma-separated list only as a whole. */
static bool pg_pipe_expected(struct pg_pipe *pp, const PGresult *r)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    if (!pp->expected_states || !state || strlen(state) != 5 || !strstr(pp->expected_states, state))
        return false;
    memcpy(pp->failed_state, state, sizeof pp->failed_state);
    return true;
}

bool pg_pipe_failed_with(const struct pg_pipe *pp, const char *state)
{
    return pp->failed_state[0] && (!state || strcmp(pp->failed_state, state) == 0);
}

enum err pg_pipe_result(struct pg_pipe *pp, PGresult **res)
{
    *res = NULL;
    if (pp->queued == 0 || !pp->synced || pp->c->broken) {
        pg_pipe_fail(pp, errinfo_set(pp->ei, E_DB, "no result to read"));
        return pp->err;
    }
    pp->queued--;
    PGresult *r = pg_pipe_next(pp);
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        if (!pp->err) {
            *res = r;
            return E_OK;
        }
    } else if (!pp->err) {
        pp->err = st == PGRES_PIPELINE_ABORTED ? errinfo_set(pp->ei, E_DB, "pipeline aborted")
                  : pg_pipe_expected(pp, r)    ? errinfo_set(pp->ei, E_CONFLICT, "expected")
                                               : pg_err(pp->c, r, pp->ei);
    }
    PQclear(r);
    if (!r)
        pp->c->broken = true;
    return pp->err;
}

enum err pg_pipe_end(struct pg_pipe *pp)
{
    PGresult *r = NULL;
    while (pp->queued > 0 && pp->synced && !pp->c->broken) {
        pg_pipe_result(pp, &r);
        PQclear(r);
    }
    if (pp->synced && !pp->c->broken) {
        r = PQgetResult(pp->c->db);
        if (!r || PQresultStatus(r) != PGRES_PIPELINE_SYNC)
            pp->c->broken = true;
        PQclear(r);
    }
    if (pp->c->broken || PQexitPipelineMode(pp->c->db) != 1) {
        pp->c->broken = true;
        if (!pp->err)
            pp->err = errinfo_set(pp->ei, E_UNAVAILABLE, "database connection lost");
    }
    return pp->err;
}

/* A server shutting down may end the session after committing and answering COMMIT, while
 * reading the sync that follows. The flush request makes it send that answer before it reads
 * anything more, and an answered COMMIT counts whatever comes after it: the transaction is
 * committed all the same, and refusing its events (503) would store events that were refused. */
enum err pg_pipe_commit(struct pg_pipe *pp)
{
    PGresult *res = NULL;
    pg_pipe_send_sql(pp, "COMMIT");
    if (!pp->err && PQsendFlushRequest(pp->c->db) != 1)
        pp->err = pg_err(pp->c, NULL, pp->ei);
    pg_pipe_sync(pp);
    while (pp->queued > 1 && !pg_pipe_result(pp, &res))
        PQclear(res);
    enum err e = pp->queued == 1 ? pg_pipe_result(pp, &res) : pp->err;
    PQclear(res);
    pg_pipe_end(pp); /* after an answered COMMIT, only marks a lost connection */
    return e;
}
