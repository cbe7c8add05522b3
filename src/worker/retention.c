/* retention: the retention and partition jobs (retention.h). The cutoff is taken from
 * clock_now() at each run, so tests drive the jobs with clock_set_fake(). */
#include "worker/retention.h"

#include "api/zdicts.h"
#include "core/clock.h"
#include "core/log.h"

#define RETENTION_DAY 86400.0

/* A failure here is logged and left for the next run: the events are gone either way. */
static void retention_prune_zdicts(struct retention_job *j, double cutoff)
{
    int64_t n = 0;
    enum err e = store_zdict_prune(j->st, zdicts_prune_before(cutoff), &n);
    j->zdicts_pruned = e ? 0 : n;
    if (e)
        log_warn("retention: dictionaries not pruned: %s", err_name(e));
    else if (n)
        log_info("retention: %lld unused compression dictionaries removed", (long long)n);
}

enum err retention_job_run(void *arg, const atomic_bool *stop)
{
    struct retention_job *j = arg;
    struct errinfo ei = {{0}};
    struct store_retention_result r;
    double cutoff = clock_now() - j->days * RETENTION_DAY;
    enum err e =
        store_retention_run(j->st, cutoff, j->batch ? j->batch : RETENTION_BATCH, stop, &r, &ei);
    if (e) {
        log_warn("retention: %s", ei.detail[0] ? ei.detail : err_name(e));
        return e;
    }
    j->last = r;
    /* Dictionaries no kept event can need go once every event before cutoff has. */
    if (!r.skipped && !r.interrupted)
        retention_prune_zdicts(j, cutoff);
    if (r.skipped)
        log_debug("retention: another node is running it");
    else if (r.events_deleted || r.partitions_dropped || r.issues_deleted || r.issues_updated)
        log_info("retention: %lld events and %lld daily partitions older than %d days removed; "
                 "%lld issues recounted, %lld emptied issues removed%s",
                 (long long)r.events_deleted, (long long)r.partitions_dropped, j->days,
                 (long long)r.issues_updated, (long long)r.issues_deleted,
                 r.interrupted ? " (interrupted)" : "");
    return E_OK;
}

enum err retention_job_partitions(void *arg, const atomic_bool *stop)
{
    struct retention_job *j = arg;
    struct errinfo ei = {{0}};
    int created = 0;
    (void)stop; /* one short transaction */
    enum err e = store_partitions_maintain(j->st, clock_now(), &created, &ei);
    if (e)
        log_warn("partitions: %s", ei.detail[0] ? ei.detail : err_name(e));
    else if (created)
        log_info("partitions: %d daily events partitions created", created);
    return e;
}
