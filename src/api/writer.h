/* writer: the ingest writer — one thread that commits events in batches (group commit).
 *
 * DESIGN: request threads parse, normalise and group an event, then submit a job and
 * suspend their connection. The writer takes everything queued since its last commit (up to
 * WRITER_MAX_BATCH), commits it in one store_ingest_batch() transaction, and then calls each
 * job's done() with the result, which resumes the waiting request (done() runs on the writer
 * thread, the serial part of ingest: it should only record the result and wake the request,
 * see http_resume_then). Nothing is acknowledged before its transaction committed. The
 * queue is bounded (WRITER_MAX_QUEUE): past it, submit fails with E_UNAVAILABLE and the SDK
 * gets 503 instead of the server growing without bound. writer_stop() drains the queue
 * before returning. */
#ifndef SNAG_API_WRITER_H
#define SNAG_API_WRITER_H

#include "core/err.h"
#include "store/store.h"

#define WRITER_MAX_BATCH 1000
#define WRITER_MAX_QUEUE 20000
/* Group commit: with fewer than WRITER_LINGER_EVENTS queued, the writer waits up to
 * WRITER_LINGER_US for more before committing (one fsync for more events: less CPU and WAL
 * per event under load, at most 1 ms more latency when idle). */
#define WRITER_LINGER_EVENTS 32
#define WRITER_LINGER_US 1000

struct writer_job {
    struct store_event_in ev; /* strings borrowed until done() is called */
    void (*done)(struct writer_job *job, enum err result);
    void *ctx;
    struct writer_job *next; /* writer's own */
};

struct writer;
struct writer *writer_start(struct store *st);
/* Queues the job; done() will be called exactly once, from the writer thread. Returns
 * E_UNAVAILABLE (and does not call done) when the queue is full or the writer stopping. */
enum err writer_submit(struct writer *w, struct writer_job *job) WUR;
/* Committed events are published to lv (api/live.h) from now on; call before submitting. */
struct live;
void writer_set_live(struct writer *w, struct live *lv);
/* Commits what is queued, stops the thread, frees w. */
void writer_stop(struct writer *w);

#endif
