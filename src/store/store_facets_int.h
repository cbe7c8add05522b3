/* store_facets_int: what the facets pass (store_facets.c) shares with its counting of a batch
 * (store_facets_count.c): the pass's state, and the statement runner on its connection. */
#ifndef SNAG_STORE_STORE_FACETS_INT_H
#define SNAG_STORE_STORE_FACETS_INT_H

#include "store/store_issues_int.h"

#define FX_BUCKET 3600.0
/* Distinct (issue, key, value) counts a batch writes, about: a batch with more distinct tags
 * than this ends early, so that one write transaction stays short (on SQLite it holds the
 * database's only write lock, which ingest waits for). */
#define FX_TUPLES_MAX 4096

/* One (issue, key, value) of a batch with its count and received range. */
struct fx_tuple {
    int64_t issue;
    const char *key, *value; /* in the batch's arena */
    uint64_t hash;
    int64_t count;
    double lo, hi;
};

struct fx_bucket {
    int64_t issue;
    double start;
    int64_t count;
};

struct fx_run {
    struct store *st;
    const struct store_orgs_ops *o;
    size_t batch;
    double now, lag;
    store_facets_decode_fn decode;
    void *ctx;
    struct store_facets_result *out;
    struct errinfo *ei;
    struct arena *a;         /* per batch; reset between batches */
    struct arena *ev;        /* one event's tags; reset between events */
    struct fx_tuple *tuples; /* malloc'd: the batch's distinct tuples */
    size_t ntuples, cap;
    uint32_t *slots;            /* malloc'd: open-addressing index into tuples (+1; 0: empty) */
    unsigned char hash_key[16]; /* the index's hash key, random per run */
    size_t nslots;              /* a power of two, at least twice ntuples */
    struct fx_bucket *buckets;  /* malloc'd */
    size_t nbuckets, bcap;
};

static inline enum err fx_exec(struct store_q_conn *c, struct fx_run *r, const char *sql,
                               const struct store_q_params *p)
{
    return si_run(c, r->o, sql, p, NULL, NULL);
}

/* Decodes one event's tags into the batch's tuples and its hour into its buckets. */
enum err fx_take(struct fx_run *r, const struct store_event_row *ev);
/* Writes the batch's tuples and buckets (inside the caller's transaction). */
enum err fx_flush(struct store_q_conn *c, struct fx_run *r);
/* Starts the next batch (the first: sets up the run's memory). */
void fx_reset(struct fx_run *r);
/* Frees the run's memory. */
void fx_release(struct fx_run *r);

#endif
