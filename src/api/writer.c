/* writer: group-commit thread for ingest (see writer.h). */
#include "api/writer.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "api/live.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"

struct writer {
    struct store *st;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct writer_job *head, *tail;
    size_t queued;
    bool stopping;
    bool lingering;               /* the writer waits for a fuller batch (writer_linger) */
    struct store_event_in *batch; /* WRITER_MAX_BATCH copies, reused */
    struct writer_job **jobs;
    struct live *live; /* told of each commit; may be NULL */
};

/* Called with mu held and something queued: waits (up to WRITER_LINGER_US) for the queue to
 * reach WRITER_LINGER_EVENTS, so that one commit and its fsync serve more events. */
static void writer_linger(struct writer *w)
{
    if (w->queued >= WRITER_LINGER_EVENTS || w->stopping)
        return;
    struct timespec until = clock_deadline(CLOCK_MONOTONIC, WRITER_LINGER_US / 1e6);
    w->lingering = true;
    while (w->queued < WRITER_LINGER_EVENTS && !w->stopping)
        if (pthread_cond_timedwait(&w->cv, &w->mu, &until) == ETIMEDOUT)
            break;
    w->lingering = false;
}

/* Takes up to WRITER_MAX_BATCH jobs off the queue; blocks while it is empty. Returns 0 when
 * stopping with nothing left. */
static size_t writer_take(struct writer *w)
{
    pthread_mutex_lock(&w->mu);
    while (!w->head && !w->stopping)
        pthread_cond_wait(&w->cv, &w->mu);
    writer_linger(w);
    size_t n = 0;
    while (w->head && n < WRITER_MAX_BATCH) {
        struct writer_job *j = w->head;
        w->head = j->next;
        w->jobs[n++] = j;
    }
    if (!w->head)
        w->tail = NULL;
    w->queued -= n;
    pthread_mutex_unlock(&w->mu);
    return n;
}

static void writer_finish(struct writer *w, size_t i, enum err e)
{
    struct writer_job *j = w->jobs[i];
    j->ev.issue_id = w->batch[i].issue_id;
    j->ev.duplicate = w->batch[i].duplicate;
    j->done(j, e ? E_UNAVAILABLE : E_OK);
}

/* A batch that failed for a reason other than the database being away may hold one event
 * the database refuses (its project deleted meanwhile, say): commit the events one by one so
 * that one does not take the others down with it. */
static void writer_commit_each(struct writer *w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct errinfo ei = {{0}};
        enum err e = store_ingest_batch(w->st, &w->batch[i], 1, &ei);
        if (e)
            log_error("ingest: event %s not committed: %s", w->batch[i].event_id,
                      ei.detail[0] ? ei.detail : err_name(e));
        if (!e)
            live_publish(w->live, &w->batch[i], 1);
        writer_finish(w, i, e);
    }
}

static void writer_commit(struct writer *w, size_t n)
{
    for (size_t i = 0; i < n; i++)
        w->batch[i] = w->jobs[i]->ev;
    struct errinfo ei = {{0}};
    enum err e = store_ingest_batch(w->st, w->batch, n, &ei);
    if (e && e != E_UNAVAILABLE && n > 1) {
        writer_commit_each(w, n);
        return;
    }
    if (e)
        log_error("ingest: batch of %zu events not committed: %s", n,
                  ei.detail[0] ? ei.detail : err_name(e));
    else
        live_publish(w->live, w->batch, n);
    for (size_t i = 0; i < n; i++)
        writer_finish(w, i, e);
}

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    size_t n;
    while ((n = writer_take(w)) > 0)
        writer_commit(w, n);
    return NULL;
}

struct writer *writer_start(struct store *st)
{
    struct writer *w = xcalloc(1, sizeof *w);
    w->st = st;
    w->batch = xcalloc(WRITER_MAX_BATCH, sizeof *w->batch);
    w->jobs = xcalloc(WRITER_MAX_BATCH, sizeof *w->jobs);
    pthread_mutex_init(&w->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        log_error("ingest: cannot start the writer thread");
        abort();
    }
    pthread_setname_np(w->thread, "snag-writer"); /* for top -H and perf */
    return w;
}

enum err writer_submit(struct writer *w, struct writer_job *job)
{
    job->next = NULL;
    pthread_mutex_lock(&w->mu);
    if (w->stopping || w->queued >= WRITER_MAX_QUEUE) {
        pthread_mutex_unlock(&w->mu);
        return E_UNAVAILABLE;
    }
    if (w->tail)
        w->tail->next = job;
    else
        w->head = job;
    w->tail = job;
    w->queued++;
    /* A lingering writer is woken only once the batch is full enough. */
    if (!w->lingering || w->queued >= WRITER_LINGER_EVENTS)
        pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return E_OK;
}

void writer_set_live(struct writer *w, struct live *lv)
{
    w->live = lv;
}

void writer_stop(struct writer *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stopping = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w->batch);
    free(w->jobs);
    free(w);
}
