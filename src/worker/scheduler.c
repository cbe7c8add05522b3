/* scheduler: the background job thread of `snag serve` — see scheduler.h for the DESIGN
 * (one thread, due times on clock_now(), stop flag checked by long jobs). */
#include "worker/scheduler.h"

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"

struct sched_slot {
    struct sched_job job;
    double due; /* clock_now() time of the next run */
    unsigned long runs, failures;
};

struct scheduler {
    struct sched_slot *slots;
    size_t n;
    atomic_bool stop;
    pthread_mutex_t mu; /* guards the counters and the wait */
    pthread_cond_t cv;  /* signalled by scheduler_stop() */
    pthread_t thread;
    bool started;
};

struct scheduler *scheduler_new(const struct sched_job *jobs, size_t n)
{
    struct scheduler *s = xcalloc(1, sizeof *s);
    s->slots = xcalloc(n ? n : 1, sizeof *s->slots);
    s->n = n;
    for (size_t i = 0; i < n; i++)
        s->slots[i].job = jobs[i];
    atomic_init(&s->stop, false);
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* waits ignore wall-clock jumps */
    pthread_cond_init(&s->cv, &ca);
    pthread_condattr_destroy(&ca);
    return s;
}

/* Runs one job and sets its next due time from when it started. */
static void sched_run_one(struct scheduler *s, struct sched_slot *slot, double now)
{
    double t0 = clock_mono();
    enum err e = slot->job.run(slot->job.arg, &s->stop);
    pthread_mutex_lock(&s->mu);
    slot->runs++;
    slot->failures += e != E_OK;
    slot->due = now + (e ? slot->job.retry : slot->job.every);
    pthread_mutex_unlock(&s->mu);
    if (e)
        log_warn("job %s failed (%s); next try in %.0f s", slot->job.name, err_name(e),
                 slot->job.retry);
    else
        log_debug("job %s done in %.3f s", slot->job.name, clock_mono() - t0);
}

size_t scheduler_run_due(struct scheduler *s, double now)
{
    size_t ran = 0;
    for (size_t i = 0; i < s->n && !atomic_load(&s->stop); i++) {
        if (s->slots[i].due > now)
            continue;
        sched_run_one(s, &s->slots[i], now);
        ran++;
    }
    return ran;
}

/* Seconds until the next job is due, between 0 and SCHED_POLL_MAX. */
static double sched_next_wait(const struct scheduler *s, double now)
{
    double wait = SCHED_POLL_MAX;
    for (size_t i = 0; i < s->n; i++)
        wait = fmin(wait, s->slots[i].due - now);
    return wait > 0 ? wait : 0;
}

/* Sleeps up to secs, or until scheduler_stop(). */
static void sched_sleep(struct scheduler *s, double secs)
{
    struct timespec ts = clock_deadline(CLOCK_MONOTONIC, secs);
    pthread_mutex_lock(&s->mu);
    while (!atomic_load(&s->stop) && pthread_cond_timedwait(&s->cv, &s->mu, &ts) == 0)
        ;
    pthread_mutex_unlock(&s->mu);
}

static void *sched_main(void *arg)
{
    struct scheduler *s = arg;
    while (!atomic_load(&s->stop)) {
        scheduler_run_due(s, clock_now());
        double wait = sched_next_wait(s, clock_now());
        if (wait > 0)
            sched_sleep(s, wait);
    }
    return NULL;
}

int scheduler_start(struct scheduler *s)
{
    if (pthread_create(&s->thread, NULL, sched_main, s) != 0)
        return -1;
    s->started = true;
    return 0;
}

void scheduler_stop(struct scheduler *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    atomic_store(&s->stop, true);
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    if (s->started)
        pthread_join(s->thread, NULL);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free(s->slots);
    free(s);
}

unsigned long scheduler_runs(struct scheduler *s, size_t i, unsigned long *failures)
{
    unsigned long runs = 0;
    pthread_mutex_lock(&s->mu);
    if (i < s->n) {
        runs = s->slots[i].runs;
        if (failures)
            *failures = s->slots[i].failures;
    }
    pthread_mutex_unlock(&s->mu);
    return runs;
}

void sched_thread_nice(int nice, const char *who)
{
    if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), nice) != 0)
        log_debug("%s: cannot lower the thread priority", who);
}
