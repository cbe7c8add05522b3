/* sqlite_ingest: the SQLite backend's ingest of an event batch — one transaction on the
 * writer connection; per event, find or create the issue, insert the event (a duplicate
 * event_id does nothing), record its user and update the issue's counters. Also the
 * background checkpointer that keeps WAL checkpoints off the writer connection. */
#include "store/sqlite_int.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/xmalloc.h"

#define SQ_CKPT_BUSY_MS 5000

/* ---- ingest ----------------------------------------------------------------------------- */

/* The issue of the event already stored under ev's event_id (E_NOTFOUND if none). */
static enum err sq_ing_event_find(struct sq_conn *c, const struct store_event_in *ev,
                                  int64_t *issue_id, struct errinfo *ei)
{
    struct sq_q q;
    enum err e = sq_prep(c, SQ_ING_EVENT_FIND, &q);
    if (e)
        return e;
    sq_int(&q, ev->project_id);
    sq_text(&q, ev->event_id);
    return sq_run_int(&q, ei, "find event", issue_id);
}

static enum err sq_ing_issue_find(struct sq_conn *c, const struct store_event_in *ev,
                                  int64_t *issue_id, struct errinfo *ei)
{
    struct sq_q q;
    enum err e = sq_prep(c, SQ_ING_ISSUE_FIND, &q);
    if (e)
        return e;
    sq_int(&q, ev->project_id);
    sq_text(&q, ev->hash);
    return sq_run_int(&q, ei, "find issue", issue_id);
}

/* Creates the issue with the project's next short number; counters start at zero (the
 * update that follows counts the event). */
static enum err sq_ing_issue_create(struct sq_conn *c, const struct store_event_in *ev,
                                    int64_t *issue_id, struct errinfo *ei)
{
    int64_t short_num = 0;
    struct sq_q q;
    enum err e = sq_prep(c, SQ_ING_COUNTER, &q);
    if (e)
        return e;
    sq_int(&q, ev->project_id);
    e = sq_run_int(&q, ei, "bump issue counter", &short_num);
    if (e == E_NOTFOUND)
        return errinfo_set(ei, E_NOTFOUND, "project %lld not found", (long long)ev->project_id);
    if (!e)
        e = sq_prep(c, SQ_ING_ISSUE_INSERT, &q);
    if (e)
        return e;
    sq_int(&q, ev->project_id);
    sq_text(&q, ev->hash);
    sq_int(&q, short_num);
    sq_text(&q, ev->title);
    sq_text(&q, ev->culprit);
    sq_text(&q, ev->type);
    sq_text(&q, ev->level);
    sq_text(&q, ev->metadata_json);
    sq_real(&q, ev->timestamp);
    sq_real(&q, ev->timestamp);
    sq_text(&q, ev->platform);
    sq_text(&q, ev->logger);
    e = sq_run(&q, ei, "insert issue", NULL);
    if (!e)
        *issue_id = sqlite3_last_insert_rowid(c->db);
    return e;
}

/* Inserts the event; *stored is false when its event_id was already there. */
static enum err sq_ing_event_insert(struct sq_conn *c, const struct store_event_in *ev,
                                    int64_t issue_id, bool *stored, struct errinfo *ei)
{
    struct sq_q q;
    int changes = 0;
    enum err e = sq_prep(c, SQ_ING_EVENT_INSERT, &q);
    if (e)
        return e;
    sq_int(&q, ev->project_id);
    sq_int(&q, issue_id);
    sq_text(&q, ev->event_id);
    sq_real(&q, ev->timestamp);
    sq_real(&q, ev->received);
    sq_text(&q, ev->level);
    sq_text(&q, ev->platform);
    sq_text(&q, ev->environment);
    sq_text(&q, ev->release);
    sq_text(&q, ev->transaction);
    sq_text(&q, ev->user_key);
    sq_text(&q, ev->message);
    sq_blob(&q, ev->data_len ? ev->data : NULL, ev->data_len);
    e = sq_run(&q, ei, "insert event", &changes);
    *stored = changes > 0;
    return e;
}

/* Records the event's user; *is_new is true when the issue had not seen it. */
static enum err sq_ing_user(struct sq_conn *c, const struct store_event_in *ev, int64_t issue_id,
                            bool *is_new, struct errinfo *ei)
{
    struct sq_q q;
    int changes = 0;
    *is_new = false;
    if (!ev->user_key || !*ev->user_key)
        return E_OK;
    enum err e = sq_prep(c, SQ_ING_USER_INSERT, &q);
    if (e)
        return e;
    sq_int(&q, issue_id);
    sq_text(&q, ev->user_key);
    e = sq_run(&q, ei, "insert issue user", &changes);
    *is_new = changes > 0;
    return e;
}

/* What one batch adds to one issue: its events are counted by a single UPDATE after the
 * batch's inserts (an error storm of one issue costs one issue write per commit, not one per
 * event). newest carries the level, title… of the batch's latest event. */
struct sq_issue_delta {
    int64_t project_id, issue_id;
    const char *hash;
    int64_t events, new_users;
    double oldest;
    const struct store_event_in *newest;
};

struct sq_batch {
    struct sq_issue_delta *d;
    size_t n;
};

/* The batch's delta for ev's issue, or NULL when no event of the batch found it yet. */
static struct sq_issue_delta *sq_delta_find(struct sq_batch *b, const struct store_event_in *ev)
{
    for (size_t i = 0; i < b->n; i++) /* hashes are hex digests: the first byte sorts most out */
        if (b->d[i].hash[0] == ev->hash[0] && b->d[i].project_id == ev->project_id &&
            strcmp(b->d[i].hash, ev->hash) == 0)
            return &b->d[i];
    return NULL;
}

static void sq_delta_count(struct sq_batch *b, const struct store_event_in *ev, int64_t issue_id,
                           bool new_user)
{
    struct sq_issue_delta *d = sq_delta_find(b, ev);
    if (!d) {
        d = &b->d[b->n++];
        *d = (struct sq_issue_delta){.project_id = ev->project_id,
                                     .issue_id = issue_id,
                                     .hash = ev->hash,
                                     .oldest = ev->timestamp,
                                     .newest = ev};
    }
    d->events++;
    d->new_users += new_user;
    if (ev->timestamp < d->oldest)
        d->oldest = ev->timestamp;
    if (ev->timestamp >= d->newest->timestamp)
        d->newest = ev;
}

/* Counts a batch's events on their issue. first_seen and the resolved → unresolved reopening
 * are a second statement, run only when they change (SQ_ING_ISSUE_UPDATE says whether). */
static enum err sq_ing_issue_update(struct sq_conn *c, const struct sq_issue_delta *d,
                                    struct errinfo *ei)
{
    struct sq_q q;
    int64_t reopen = 0;
    const struct store_event_in *ev = d->newest;
    enum err e = sq_prep(c, SQ_ING_ISSUE_UPDATE, &q);
    if (e)
        return e;
    sq_int(&q, d->issue_id);
    sq_int(&q, d->new_users);
    sq_real(&q, ev->timestamp);
    sq_text(&q, ev->level);
    sq_text(&q, ev->title);
    sq_text(&q, ev->culprit);
    sq_text(&q, ev->type);
    sq_text(&q, ev->metadata_json);
    sq_int(&q, d->events);
    sq_real(&q, d->oldest);
    e = sq_run_int(&q, ei, "update issue", &reopen);
    if (e == E_NOTFOUND)
        return E_OK; /* as an UPDATE that matches no row */
    if (e || !reopen)
        return e;
    e = sq_prep(c, SQ_ING_ISSUE_REOPEN, &q);
    if (e)
        return e;
    sq_int(&q, d->issue_id);
    sq_real(&q, d->oldest);
    return sq_run(&q, ei, "reopen issue", NULL);
}

/* Finds or creates the issue of ev (issue_id 0 and ev->duplicate when ev turns out to be a
 * duplicate before an issue had to be created for it). */
static enum err sq_ing_issue_of(struct sq_conn *c, struct sq_batch *b, struct store_event_in *ev,
                                int64_t *issue_id, struct errinfo *ei)
{
    const struct sq_issue_delta *d = sq_delta_find(b, ev);
    if (d) {
        *issue_id = d->issue_id;
        return E_OK;
    }
    enum err e = sq_ing_issue_find(c, ev, issue_id, ei);
    if (e != E_NOTFOUND)
        return e;
    /* Do not create an issue for an event that turns out to be a duplicate. */
    e = sq_ing_event_find(c, ev, &ev->issue_id, ei);
    if (e == E_OK) {
        ev->duplicate = true;
        *issue_id = 0;
        return E_OK;
    }
    if (e == E_NOTFOUND)
        e = sq_ing_issue_create(c, ev, issue_id, ei);
    return e;
}

/* One event of a batch, inside the batch's transaction; its issue's counters move when the
 * batch's deltas are applied. */
static enum err sq_ing_one(struct sq_conn *c, struct sq_batch *b, struct store_event_in *ev,
                           struct errinfo *ei)
{
    int64_t issue_id = 0;
    bool stored = false, new_user = false;
    enum err e = sq_ing_issue_of(c, b, ev, &issue_id, ei);
    if (e || ev->duplicate)
        return e;
    e = sq_ing_event_insert(c, ev, issue_id, &stored, ei);
    if (!e && !stored) {
        ev->duplicate = true;
        return sq_ing_event_find(c, ev, &ev->issue_id, ei);
    }
    if (!e)
        e = sq_ing_user(c, ev, issue_id, &new_user, ei);
    if (!e)
        sq_delta_count(b, ev, issue_id, new_user);
    ev->issue_id = issue_id;
    return e;
}

enum err sq_ingest_batch(struct store *st, struct store_event_in *evs, size_t n, struct errinfo *ei)
{
    struct sq_store *s = sq_of(st);
    struct sq_batch b = {.d = xcalloc(n ? n : 1, sizeof *b.d)};
    pthread_mutex_lock(&s->writer_mu);
    enum err e = sq_begin(&s->writer, ei);
    if (!e) {
        for (size_t i = 0; i < n && !e; i++)
            e = sq_ing_one(&s->writer, &b, &evs[i], ei);
        for (size_t i = 0; i < b.n && !e; i++)
            e = sq_ing_issue_update(&s->writer, &b.d[i], ei);
        e = sq_finish(&s->writer, e, ei);
    }
    pthread_mutex_unlock(&s->writer_mu);
    free(b.d);
    return e;
}

/* ---- background checkpoints --------------------------------------------------------------- */

/* SQLite's default is for the connection that commits to copy the WAL back into the database
 * (a checkpoint, with its own fsyncs) once the WAL passes 1,000 pages: on the writer
 * connection that stalls every tenth ingest batch for milliseconds while requests wait. Here
 * a hook on the writer connection hands that work to a thread with its own connection, which
 * runs PASSIVE checkpoints with synchronous = FULL, as SQLite's own would.
 *
 * Each round copies the WAL in passes. The bulk is copied without the writer's lock, so
 * ingest goes on; but a passive checkpoint only copies the frames that were there when it
 * began, and the WAL starts again from its beginning only when a write transaction finds
 * every frame copied — under continuous ingest that never happened, the WAL grew to
 * SQ_CKPT_FRAMES_MAX and the writer checkpointed it itself. So the frames committed during
 * the bulk are copied by a second pass (and a third), and the last few with the writer's lock
 * held (a short stall: a few pages and a sync), and the next batch starts the WAL over.
 *
 * A round starts once the WAL holds SQ_CKPT_FRAMES pages, at most every SQ_CKPT_PAUSE_MS: a
 * hot page (an index leaf, an issue row) written by many commits meanwhile is copied once per
 * round, not once per commit — less frequent rounds were a quarter less CPU per event for the
 * writer and this thread together under ingest (docs/PERFORMANCE.md, session 5). The WAL file
 * keeps its largest size between rounds (SQLite's default): tens of MB under load. Should
 * it still grow past SQ_CKPT_FRAMES_MAX pages (the checkpointer cannot keep up, or readers
 * hold old snapshots), the writer checkpoints itself as before. */
#define SQ_CKPT_FRAMES 4000
#define SQ_CKPT_FRAMES_MAX 16000
#define SQ_CKPT_PAUSE_MS 250
#define SQ_CKPT_PASSES 3
#define SQ_CKPT_TAIL_FRAMES 256

struct sq_ckpt {
    sqlite3 *db;
    pthread_mutex_t *writer_mu; /* the store's: held while the last frames are copied */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool pending, stopping;
};

static int sq_ckpt_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
    struct sq_ckpt *k = arg;
    if (frames >= SQ_CKPT_FRAMES_MAX) {
        sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    } else if (frames >= SQ_CKPT_FRAMES) {
        pthread_mutex_lock(&k->mu);
        k->pending = true;
        pthread_cond_signal(&k->cv);
        pthread_mutex_unlock(&k->mu);
    }
    return SQLITE_OK;
}

/* Waits SQ_CKPT_PAUSE_MS (or until stopping) with mu held: a hot page written by many
 * commits meanwhile is then copied once, not once per commit. */
static void sq_ckpt_pause(struct sq_ckpt *k)
{
    struct timespec until = clock_deadline(CLOCK_REALTIME, SQ_CKPT_PAUSE_MS / 1e3);
    while (!k->stopping && pthread_cond_timedwait(&k->cv, &k->mu, &until) == 0)
        ;
}

/* One round: passes without the writer's lock until one finds at most SQ_CKPT_TAIL_FRAMES
 * new frames (the bulk, then what was committed during it, …; at most SQ_CKPT_PASSES), then
 * the last few with it held — the writer waits only for those few pages and a sync. */
static void sq_ckpt_round(struct sq_ckpt *k)
{
    int log = 0, done = 0, before = 0;
    for (int pass = 0; pass < SQ_CKPT_PASSES; pass++) {
        before = done;
        if (sqlite3_wal_checkpoint_v2(k->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done) !=
            SQLITE_OK)
            return;
        if (pass > 0 && log - before <= SQ_CKPT_TAIL_FRAMES)
            break;
    }
    pthread_mutex_lock(k->writer_mu);
    sqlite3_wal_checkpoint_v2(k->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    pthread_mutex_unlock(k->writer_mu);
}

static void *sq_ckpt_main(void *arg)
{
    struct sq_ckpt *k = arg;
    pthread_mutex_lock(&k->mu);
    for (;;) {
        while (!k->pending && !k->stopping)
            pthread_cond_wait(&k->cv, &k->mu);
        if (k->stopping)
            break;
        k->pending = false;
        pthread_mutex_unlock(&k->mu);
        sq_ckpt_round(k);
        pthread_mutex_lock(&k->mu);
        sq_ckpt_pause(k);
    }
    pthread_mutex_unlock(&k->mu);
    return NULL;
}

void sq_ckpt_start(struct sq_store *s, const char *path)
{
    struct sq_ckpt *k = xcalloc(1, sizeof *k);
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &k->db, flags, NULL) != SQLITE_OK ||
        sqlite3_exec(k->db, "PRAGMA synchronous = FULL", NULL, NULL, NULL) != SQLITE_OK) {
        sqlite3_close_v2(k->db);
        free(k); /* the writer keeps SQLite's own automatic checkpoints */
        return;
    }
    sqlite3_busy_timeout(k->db, SQ_CKPT_BUSY_MS);
    k->writer_mu = &s->writer_mu;
    pthread_mutex_init(&k->mu, NULL);
    pthread_cond_init(&k->cv, NULL);
    if (pthread_create(&k->thread, NULL, sq_ckpt_main, k) != 0) {
        pthread_mutex_destroy(&k->mu);
        pthread_cond_destroy(&k->cv);
        sqlite3_close_v2(k->db);
        free(k);
        return;
    }
    pthread_setname_np(k->thread, "snag-checkpoint");
    sqlite3_wal_hook(s->writer.db, sq_ckpt_hook, k);
    s->ckpt = k;
}

void sq_ckpt_stop(struct sq_store *s)
{
    struct sq_ckpt *k = s->ckpt;
    if (!k)
        return;
    sqlite3_wal_autocheckpoint(s->writer.db, SQ_CKPT_FRAMES); /* removes the hook */
    pthread_mutex_lock(&k->mu);
    k->stopping = true;
    pthread_cond_signal(&k->cv);
    pthread_mutex_unlock(&k->mu);
    pthread_join(k->thread, NULL);
    pthread_mutex_destroy(&k->mu);
    pthread_cond_destroy(&k->cv);
    sqlite3_close_v2(k->db);
    free(k);
    s->ckpt = NULL;
}
