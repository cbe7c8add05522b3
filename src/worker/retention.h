/* retention: the jobs that keep the events table within GLITCHTIP_RETENTION_DAYS —
 * deleting expired events (store_retention_run) and then the compression dictionaries no
 * kept event can need (store_zdict_prune, api/zdicts.h) and, on PostgreSQL, creating the
 * coming days' partitions (store_partitions_maintain). Both run under the scheduler (daily
 * and at start-up); both are safe with several nodes (the store serialises them). */
#ifndef SNAG_WORKER_RETENTION_H
#define SNAG_WORKER_RETENTION_H

#include <stdatomic.h>
#include <stddef.h>

#include "core/err.h"
#include "store/store.h"

#define RETENTION_BATCH 500     /* rows per delete transaction (SQLite) */
#define RETENTION_EVERY 86400.0 /* seconds between runs */
#define RETENTION_RETRY 600.0   /* seconds before another try after a failure */

struct retention_job {
    struct store *st;                   /* borrowed */
    int days;                           /* events received more than this many days ago go */
    size_t batch;                       /* 0: RETENTION_BATCH */
    struct store_retention_result last; /* what the last run did (for tests and logs) */
    int64_t zdicts_pruned;              /* dictionaries the last run removed (zdicts.h) */
};

/* Scheduler entry points; arg is a struct retention_job. */
enum err retention_job_run(void *arg, const atomic_bool *stop);
enum err retention_job_partitions(void *arg, const atomic_bool *stop);

#endif
