/* writer: group-commit thread for ingest (see writer.h). */
#include "api/writer.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

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
    struct store_event_in *batch; /* WRITER_MAX_BATCH copies, reused */
    struct writer_job **jobs;
};

/* Takes up to WRITER_MAX_BATCH jobs off the queue; blocks while it is empty. Returns 0 when
 * stopping with nothing left. */
static size_t writer_take(struct writer *w)
{
    pthread_mutex_lock(&w->mu);
    while (!w->head && !w->stopping)
        pthread_cond_wait(&w->cv, &w->mu);
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
    pthread_cond_init(&w->cv, NULL);
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        log_error("ingest: cannot start the writer thread");
        abort();
    }
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
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return E_OK;
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
