/* facets: the job that keeps per-issue tag values (issue_tag_values) and hourly counts
 * (issue_stats) from the events ingest committed, asynchronously, so ingest does no extra work
 * for them. It runs every few seconds on a scheduler thread of its own at a lowered priority
 * (nice), reads the events after its persisted cursor in batches, decodes their stored bodies
 * (zstd JSON) for the tags and counts them (store_facets_run); hourly it queues for a recount
 * the issues whose counts still include events retention has removed (store_facets_prune).
 * Counts trail ingest by the job's period plus its lag. */
#ifndef SNAG_WORKER_FACETS_H
#define SNAG_WORKER_FACETS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "store/store.h"

#define FACETS_BATCH 5000         /* events per transaction, at most */
#define FACETS_EVERY 5.0          /* seconds between passes */
#define FACETS_RETRY 30.0         /* seconds before another try after a failure */
#define FACETS_LAG 5.0            /* seconds an event waits before it is counted */
#define FACETS_PRUNE_EVERY 3600.0 /* seconds between looks for expired counts */
#define FACETS_MAX_BATCHES 50     /* batches per pass; the rest waits for the next one */
#define FACETS_NICE 10            /* added to the job thread's nice value */

struct zdicts;

struct facets_job {
    struct store *st;                /* borrowed */
    struct zdicts *zdicts;           /* borrowed: bodies' dictionaries (NULL: none) */
    size_t batch;                    /* 0: FACETS_BATCH */
    double lag;                      /* seconds; negative: FACETS_LAG */
    int retention_days;              /* events older than this are gone (0: no pruning) */
    double last_prune;               /* when the last prune ran (clock_now) */
    bool niced;                      /* the thread's priority was lowered */
    struct store_facets_result last; /* the last pass, summed over its batches (tests, logs) */
};

/* What facets_decode reuses from one event to the next during a pass. */
struct facets_scratch {
    struct zdicts *zdicts; /* borrowed: bodies' dictionaries (NULL: none) */
    struct buf body;       /* the decompressed body */
    struct arena *tree;    /* its parsed tree */
};

void facets_scratch_init(struct facets_scratch *s, struct zdicts *zdicts);
void facets_scratch_free(struct facets_scratch *s);

/* Scheduler entry point; arg is a struct facets_job. */
enum err facets_job_run(void *arg, const atomic_bool *stop);

/* store_facets_decode_fn: the tags of a stored event body — its "tags" pairs plus user.id,
 * user.email, user.username and user.ip from its user (for search). Strings live in a. ctx
 * is a struct facets_scratch (its zdicts decompress the body). */
enum err facets_decode(struct arena *a, const void *data, size_t len,
                       struct store_facets_tag **tags, size_t *n, void *ctx);

#endif
