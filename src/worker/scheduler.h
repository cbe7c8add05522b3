/* scheduler: runs the periodic background jobs of `snag serve` (retention, partition
 * maintenance, later uptime checks and digests) on one thread of their own.
 *
 * DESIGN
 * - One thread runs the jobs one after another; a job never runs twice at once in a
 *   process. Jobs that must run once across several nodes guard themselves (PostgreSQL
 *   advisory locks in the store); the scheduler knows nothing about nodes.
 * - Timing: every job runs at start-up, then `every` seconds after its previous run
 *   started; after a failure it runs again `retry` seconds later. Due times follow
 *   clock_now(), so tests move them with clock_set_fake(); the thread also wakes at least
 *   every SCHED_POLL_MAX seconds, so a clock that jumps is noticed.
 * - Stopping: scheduler_stop() sets the stop flag (which a long job checks between its
 *   transactions), wakes the thread and joins it. `snag serve` stops the scheduler before
 *   it closes the store, so no job ever sees a closed store. */
#ifndef SNAG_WORKER_SCHEDULER_H
#define SNAG_WORKER_SCHEDULER_H

#include <stdatomic.h>
#include <stddef.h>

#include "core/err.h"

#define SCHED_POLL_MAX 60.0 /* longest sleep between two looks at the clock, seconds */

struct sched_job {
    const char *name; /* for logs; a string constant */
    double every;     /* seconds between runs */
    double retry;     /* seconds before another try after a failure */
    /* Does the work; returns E_OK or an error (logged by the scheduler). stop becomes true
     * when the scheduler is stopping: return early, the next start finishes the work. */
    enum err (*run)(void *arg, const atomic_bool *stop);
    void *arg; /* borrowed: must outlive the scheduler */
};

struct scheduler;

/* A scheduler for n jobs (copied), all due now. No thread yet. */
struct scheduler *scheduler_new(const struct sched_job *jobs, size_t n);
/* Runs every job due at now (in order) and schedules its next run; returns how many ran.
 * The thread calls this; tests call it directly with a fake clock instead of a thread. */
size_t scheduler_run_due(struct scheduler *s, double now);
/* Starts the thread. 0, or -1 when it could not be created. */
int scheduler_start(struct scheduler *s);
/* Stops and joins the thread (when started) and frees s. NULL is fine. */
void scheduler_stop(struct scheduler *s);
/* Adds nice to the calling thread's nice value (on Linux a thread's own): for a job that
 * has a scheduler thread of its own and must never be in the way of requests. A failure is
 * logged (as who) and otherwise ignored. */
void sched_thread_nice(int nice, const char *who);
/* How many times job i has run, and failed (for tests and /metrics). */
unsigned long scheduler_runs(struct scheduler *s, size_t i, unsigned long *failures);

#endif
