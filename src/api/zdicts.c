/* zdicts: the dictionary registry and its training job — see zdicts.h for the DESIGN
 * (ownership, refcounts, the training trigger, lifetime in the database).
 *
 * Locks: `mu` guards the project table, each project's `cur` pointer and its counter; `dmu`
 * guards the decompression cache. Neither is held over a store call, a compression or a
 * training. Fields marked "job" are touched by the job thread only. */
#include "api/zdicts.h"

#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/clock.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "proto/decompress.h"
#include "proto/zdict.h"
#include "worker/scheduler.h"

/* A compression dictionary in use: the project's reference plus one per compression. */
struct zd_cdict {
    ZSTD_CDict *cd;
    uint32_t dict_id;
    double created;   /* when it was trained */
    double confirmed; /* the last time the store said it exists (under mu) */
    atomic_int refs;
};

struct zd_project {
    int64_t id;
    uint64_t events;      /* counted by ingest (under mu) */
    struct zd_cdict *cur; /* what ingest uses; NULL: none (under mu) */
    bool cleared;         /* zdicts_clear() since the job last looked (under mu) */
    /* job */
    bool looked;             /* the store was asked for the project's newest dictionary */
    bool gone;               /* the project was deleted */
    uint64_t events_at_dict; /* events when cur was installed (or dropped) */
    double retry_at;         /* nothing before this after a failure */
    double touched_at;       /* when cur was last confirmed */
};

/* A decompression dictionary: the cache's reference (while cached) plus one per use. */
struct zd_ddict {
    ZSTD_DDict *dd;
    uint32_t dict_id;
    uint64_t used; /* LRU tick (under dmu) */
    atomic_int refs;
};

/* A dictionary ID the store did not have, not asked for again until `until` (clock_mono). */
struct zd_missing {
    uint32_t dict_id;
    double until;
};

struct zdicts {
    struct store *st;
    pthread_mutex_t mu;
    struct zd_project **slots; /* open addressing by project id; NULL: empty */
    size_t nslots, nprojects;
    pthread_mutex_t dmu;
    struct zd_ddict *ddicts[ZDICTS_DDICTS_MAX];
    size_t nddicts;
    uint64_t tick;
    struct zd_missing missing[ZDICTS_MISSING_MAX]; /* a ring (under dmu) */
    size_t missing_next;
    bool niced;                /* job */
    struct zdicts_stats stats; /* under mu */
};

/* ---- refcounted dictionaries ------------------------------------------------------------ */

static void zd_cdict_unref(struct zd_cdict *c)
{
    if (c && atomic_fetch_sub(&c->refs, 1) == 1) {
        ZSTD_freeCDict(c->cd);
        free(c);
    }
}

static void zd_ddict_unref(struct zd_ddict *d)
{
    if (d && atomic_fetch_sub(&d->refs, 1) == 1) {
        ZSTD_freeDDict(d->dd);
        free(d);
    }
}

/* ---- the project table (under mu) --------------------------------------------------------- */

static size_t zd_hash(int64_t id, size_t nslots)
{
    uint64_t h = (uint64_t)id * 0x9e3779b97f4a7c15ull;
    return (size_t)(h >> 32) & (nslots - 1);
}

static void zd_table_put(struct zd_project **slots, size_t nslots, struct zd_project *p)
{
    size_t i = zd_hash(p->id, nslots);
    while (slots[i])
        i = (i + 1) & (nslots - 1);
    slots[i] = p;
}

static void zd_table_grow(struct zdicts *z)
{
    size_t n = z->nslots ? z->nslots * 2 : 64;
    struct zd_project **slots = xcalloc(n, sizeof *slots);
    for (size_t i = 0; i < z->nslots; i++)
        if (z->slots[i])
            zd_table_put(slots, n, z->slots[i]);
    free(z->slots);
    z->slots = slots;
    z->nslots = n;
}

static struct zd_project *zd_find(struct zdicts *z, int64_t id)
{
    if (!z->nslots)
        return NULL;
    for (size_t i = zd_hash(id, z->nslots); z->slots[i]; i = (i + 1) & (z->nslots - 1))
        if (z->slots[i]->id == id)
            return z->slots[i];
    return NULL;
}

static struct zd_project *zd_find_or_add(struct zdicts *z, int64_t id)
{
    struct zd_project *p = zd_find(z, id);
    if (p)
        return p;
    if ((z->nprojects + 1) * 2 > z->nslots)
        zd_table_grow(z);
    p = xcalloc(1, sizeof *p);
    p->id = id;
    zd_table_put(z->slots, z->nslots, p);
    z->nprojects++;
    return p;
}

/* ---- lifecycle ------------------------------------------------------------------------------ */

struct zdicts *zdicts_new(struct store *st)
{
    struct zdicts *z = xcalloc(1, sizeof *z);
    z->st = st;
    pthread_mutex_init(&z->mu, NULL);
    pthread_mutex_init(&z->dmu, NULL);
    return z;
}

void zdicts_free(struct zdicts *z)
{
    if (!z)
        return;
    for (size_t i = 0; i < z->nslots; i++) {
        if (!z->slots[i])
            continue;
        zd_cdict_unref(z->slots[i]->cur);
        free(z->slots[i]);
    }
    free(z->slots);
    for (size_t i = 0; i < z->nddicts; i++)
        zd_ddict_unref(z->ddicts[i]);
    pthread_mutex_destroy(&z->mu);
    pthread_mutex_destroy(&z->dmu);
    free(z);
}

/* ---- ingest -----------------------------------------------------------------------------------
 */

static bool zd_usable(const struct zd_cdict *c, double now)
{
    return c && now - c->confirmed < ZDICTS_USE_TTL;
}

enum err zdicts_compress(struct zdicts *z, int64_t project_id, double now, const void *in,
                         size_t len, struct buf *out)
{
    if (!z)
        return proto_zstd_compress(in, len, ZDICTS_LEVEL, out);
    pthread_mutex_lock(&z->mu);
    struct zd_project *p = zd_find_or_add(z, project_id);
    p->events++;
    struct zd_cdict *c = zd_usable(p->cur, now) ? p->cur : NULL;
    if (c)
        atomic_fetch_add(&c->refs, 1);
    pthread_mutex_unlock(&z->mu);
    if (!c)
        return proto_zstd_compress(in, len, ZDICTS_LEVEL, out);
    enum err e = proto_zstd_compress_dict(in, len, c->cd, out);
    zd_cdict_unref(c);
    return e;
}

void zdicts_clear(struct zdicts *z)
{
    if (!z)
        return;
    pthread_mutex_lock(&z->mu);
    struct zd_cdict **olds = xcalloc(z->nprojects ? z->nprojects : 1, sizeof *olds);
    size_t n = 0;
    for (size_t i = 0; i < z->nslots; i++) {
        struct zd_project *p = z->slots[i];
        if (!p)
            continue;
        olds[n++] = p->cur;
        p->cur = NULL;
        p->cleared = true;
    }
    pthread_mutex_unlock(&z->mu);
    for (size_t i = 0; i < n; i++)
        zd_cdict_unref(olds[i]);
    free(olds);
}

uint32_t zdicts_current(struct zdicts *z, int64_t project_id, double now)
{
    if (!z)
        return 0;
    pthread_mutex_lock(&z->mu);
    struct zd_project *p = zd_find(z, project_id);
    uint32_t id = p && zd_usable(p->cur, now) ? p->cur->dict_id : 0;
    pthread_mutex_unlock(&z->mu);
    return id;
}

void zdicts_stats(struct zdicts *z, struct zdicts_stats *out)
{
    pthread_mutex_lock(&z->mu);
    *out = z->stats;
    pthread_mutex_unlock(&z->mu);
}

double zdicts_prune_before(double cutoff)
{
    return cutoff - ZDICTS_USE_TTL - ZDICTS_PRUNE_SLACK;
}

/* ---- decompression dictionaries ----------------------------------------------------------- */

/* The cached entry for dict_id, marked used and referenced for the caller; NULL on a miss.
 * Under dmu. */
static struct zd_ddict *zd_ddict_take_locked(struct zdicts *z, uint32_t dict_id)
{
    for (size_t i = 0; i < z->nddicts; i++) {
        struct zd_ddict *d = z->ddicts[i];
        if (d->dict_id == dict_id) {
            d->used = ++z->tick;
            atomic_fetch_add(&d->refs, 1);
            return d;
        }
    }
    return NULL;
}

static struct zd_ddict *zd_ddict_cached(struct zdicts *z, uint32_t dict_id)
{
    pthread_mutex_lock(&z->dmu);
    struct zd_ddict *d = zd_ddict_take_locked(z, dict_id);
    pthread_mutex_unlock(&z->dmu);
    return d;
}

/* Caches d (which comes with one reference, handed to the cache) and returns the entry for
 * its ID referenced for the caller: d, or one another thread cached meanwhile (d is then
 * dropped). The least recently used entry makes room when the cache is full. */
static struct zd_ddict *zd_ddict_insert(struct zdicts *z, struct zd_ddict *d)
{
    struct zd_ddict *evicted = NULL;
    pthread_mutex_lock(&z->dmu);
    struct zd_ddict *got = zd_ddict_take_locked(z, d->dict_id);
    if (!got) {
        if (z->nddicts == ZDICTS_DDICTS_MAX) {
            size_t lru = 0;
            for (size_t i = 1; i < z->nddicts; i++)
                if (z->ddicts[i]->used < z->ddicts[lru]->used)
                    lru = i;
            evicted = z->ddicts[lru];
            z->ddicts[lru] = z->ddicts[--z->nddicts];
        }
        z->ddicts[z->nddicts++] = d;
        got = zd_ddict_take_locked(z, d->dict_id);
        d = NULL;
    }
    pthread_mutex_unlock(&z->dmu);
    zd_ddict_unref(evicted);
    zd_ddict_unref(d);
    return got;
}

/* A new entry with one reference; NULL when data is not a dictionary with that ID. */
static struct zd_ddict *zd_ddict_make(const void *data, size_t len, uint32_t dict_id)
{
    if (proto_zdict_id(data, len) != dict_id)
        return NULL;
    ZSTD_DDict *dd = proto_zdict_ddict(data, len);
    if (!dd)
        return NULL;
    struct zd_ddict *d = xcalloc(1, sizeof *d);
    d->dd = dd;
    d->dict_id = dict_id;
    atomic_init(&d->refs, 1);
    return d;
}

/* Whether the store recently said it has no dictionary dict_id; with `remember`, records
 * that it just said so. A frame can only name a dictionary stored before the frame was, so
 * a missing one is gone for good (or its row is damaged): asking again at once, for every
 * body of a facets batch, would only flood the store and the log. */
static bool zd_missing(struct zdicts *z, uint32_t dict_id, bool remember)
{
    double now = clock_mono();
    bool known = false;
    pthread_mutex_lock(&z->dmu);
    for (size_t i = 0; i < ZDICTS_MISSING_MAX && !known; i++)
        known = z->missing[i].dict_id == dict_id && now < z->missing[i].until;
    if (remember && !known) {
        z->missing[z->missing_next] = (struct zd_missing){dict_id, now + ZDICTS_MISSING_TTL};
        z->missing_next = (z->missing_next + 1) % ZDICTS_MISSING_MAX;
    }
    pthread_mutex_unlock(&z->dmu);
    return known;
}

/* The entry for dict_id referenced for the caller: cached, or loaded from the store. */
static struct zd_ddict *zd_ddict_get(struct zdicts *z, uint32_t dict_id)
{
    struct zd_ddict *d = zd_ddict_cached(z, dict_id);
    if (d || zd_missing(z, dict_id, false))
        return d;
    struct arena *a = arena_new(0);
    struct store_zdict row;
    enum err e = store_zdict_get(z->st, a, dict_id, &row);
    if (!e)
        d = zd_ddict_make(row.data, row.len, dict_id);
    arena_free(a);
    if (e && e != E_NOTFOUND) {
        log_warn("zdicts: cannot load dictionary %u: %s", dict_id, err_name(e));
        return NULL;
    }
    if (!d) {
        if (!zd_missing(z, dict_id, true))
            log_warn("zdicts: dictionary %u is not in the database (or unusable): the bodies "
                     "compressed with it cannot be read",
                     dict_id);
        return NULL;
    }
    pthread_mutex_lock(&z->mu);
    z->stats.ddict_loads++;
    pthread_mutex_unlock(&z->mu);
    return zd_ddict_insert(z, d);
}

/* One decompression's hold on its dictionary, for proto's get/put. */
struct zd_source_ctx {
    struct zdicts *z;
    struct zd_ddict *held;
};

static const ZSTD_DDict *zd_source_get(void *ctx, uint32_t dict_id)
{
    struct zd_source_ctx *s = ctx;
    s->held = zd_ddict_get(s->z, dict_id);
    return s->held ? s->held->dd : NULL;
}

static void zd_source_put(void *ctx, const ZSTD_DDict *dd)
{
    struct zd_source_ctx *s = ctx;
    (void)dd;
    zd_ddict_unref(s->held);
    s->held = NULL;
}

enum err zdicts_decompress(struct zdicts *z, const void *in, size_t len, size_t max,
                           struct buf *out, struct errinfo *ei)
{
    struct zd_source_ctx ctx = {z, NULL};
    const struct proto_zdict_source src = {zd_source_get, zd_source_put, &ctx};
    return proto_zstd_decompress_dict(in, len, max, z ? &src : NULL, out, ei);
}

/* ---- the job: installing, adopting, confirming ------------------------------------------ */

enum zd_installed { ZD_INSTALLED, ZD_UNUSABLE, ZD_CLEARED };

/* Makes dict (dict_id, trained at created) what ingest uses for p, and caches it for
 * decompression. ZD_UNUSABLE when it is not a dictionary with that ID; ZD_CLEARED (nothing
 * installed) when zdicts_clear() ran since this look at the project began: the project may
 * be gone, its dictionaries with it, and its id taken by a new one. */
static enum zd_installed zd_install(struct zdicts *z, struct zd_project *p, const void *data,
                                    size_t len, uint32_t dict_id, double created, double now)
{
    ZSTD_CDict *cd =
        proto_zdict_id(data, len) == dict_id ? proto_zdict_cdict(data, len, ZDICTS_LEVEL) : NULL;
    if (!cd)
        return ZD_UNUSABLE;
    struct zd_ddict *d = zd_ddict_make(data, len, dict_id);
    if (d)
        zd_ddict_unref(zd_ddict_insert(z, d));
    struct zd_cdict *c = xcalloc(1, sizeof *c);
    c->cd = cd;
    c->dict_id = dict_id;
    c->created = created;
    c->confirmed = now;
    atomic_init(&c->refs, 1);
    pthread_mutex_lock(&z->mu);
    bool cleared = p->cleared;
    struct zd_cdict *old = cleared ? c : p->cur;
    if (!cleared) {
        p->cur = c;
        p->events_at_dict = p->events;
    }
    pthread_mutex_unlock(&z->mu);
    p->touched_at = now;
    zd_cdict_unref(old);
    return cleared ? ZD_CLEARED : ZD_INSTALLED;
}

/* Stops using p's dictionary (it is gone from the store). */
static void zd_drop(struct zdicts *z, struct zd_project *p)
{
    pthread_mutex_lock(&z->mu);
    struct zd_cdict *old = p->cur;
    p->cur = NULL;
    p->events_at_dict = p->events;
    z->stats.dropped++;
    pthread_mutex_unlock(&z->mu);
    zd_cdict_unref(old);
}

/* Takes over the stored dictionary row (touching it first, so no prune can delete it from
 * under ingest). E_NOTFOUND when it has just gone. */
static enum err zd_adopt(struct zdicts *z, struct zd_project *p, const struct store_zdict *row,
                         double now)
{
    enum err e = store_zdict_touch(z->st, row->dict_id, now);
    if (e)
        return e;
    enum zd_installed r = zd_install(z, p, row->data, row->len, row->dict_id, row->created, now);
    if (r == ZD_UNUSABLE)
        log_warn("zdicts: stored dictionary %u of project %lld is unusable", row->dict_id,
                 (long long)p->id);
    if (r != ZD_INSTALLED)
        return E_NOTFOUND;
    pthread_mutex_lock(&z->mu);
    z->stats.adopted++;
    pthread_mutex_unlock(&z->mu);
    log_info("zdicts: project %lld: using stored dictionary %u", (long long)p->id, row->dict_id);
    return E_OK;
}

/* Adopts the project's newest stored dictionary when it is not the one in use and, if
 * `recent`, younger than ZDICTS_RETRAIN_AGE. *adopted says whether it did. */
static enum err zd_adopt_newest(struct zdicts *z, struct zd_project *p, uint32_t cur_id,
                                bool recent, double now, bool *adopted)
{
    struct arena *a = arena_new(0);
    struct store_zdict row;
    *adopted = false;
    enum err e = store_zdict_newest(z->st, a, p->id, &row);
    if (e == E_NOTFOUND)
        e = E_OK;
    else if (!e && row.dict_id != cur_id && (!recent || now - row.created < ZDICTS_RETRAIN_AGE)) {
        e = zd_adopt(z, p, &row, now);
        *adopted = e == E_OK;
        if (e == E_NOTFOUND)
            e = E_OK;
    }
    arena_free(a);
    return e;
}

/* Confirms p's dictionary in the store every ZDICTS_TOUCH_EVERY seconds; *dropped when it
 * had gone (the next look adopts the newest stored one, or counts towards a new one). */
static enum err zd_confirm(struct zdicts *z, struct zd_project *p, uint32_t dict_id, double now,
                           bool *dropped)
{
    *dropped = false;
    if (!dict_id || now - p->touched_at < ZDICTS_TOUCH_EVERY)
        return E_OK;
    enum err e = store_zdict_touch(z->st, dict_id, now);
    if (e == E_NOTFOUND) {
        log_warn("zdicts: dictionary %u of project %lld is gone from the database", dict_id,
                 (long long)p->id);
        zd_drop(z, p);
        p->looked = false;
        *dropped = true;
        return E_OK;
    }
    if (e)
        return e;
    pthread_mutex_lock(&z->mu);
    if (p->cur && p->cur->dict_id == dict_id)
        p->cur->confirmed = now;
    pthread_mutex_unlock(&z->mu);
    p->touched_at = now;
    return E_OK;
}

/* ---- the job: training ------------------------------------------------------------------- */

/* The project's most recent bodies, decompressed, one after the other in samples with their
 * sizes; bodies over ZDICTS_SAMPLE_MAX bytes are left out, or cut when their frame does not
 * declare its size. */
static enum err zd_samples(struct zdicts *z, struct zd_project *p, struct buf *samples,
                           size_t *sizes, size_t *n)
{
    struct arena *a = arena_new(0);
    struct store_blob *rows;
    size_t nrows = 0;
    *n = 0;
    enum err e = store_zdict_samples(z->st, a, p->id, ZDICTS_SAMPLES, &rows, &nrows);
    for (size_t i = 0; !e && i < nrows; i++) {
        size_t before = samples->len;
        enum err d = zdicts_decompress(z, rows[i].data, rows[i].len, before + ZDICTS_SAMPLE_MAX,
                                       samples, NULL);
        if (d == E_TOOBIG)
            d = E_OK; /* a cut body is as good a sample */
        if (d || samples->len == before) {
            samples->len = before;
            continue;
        }
        sizes[(*n)++] = samples->len - before;
    }
    arena_free(a);
    return e;
}

/* A random dictionary ID in snag's range. */
static uint32_t zd_random_id(void)
{
    return PROTO_ZDICT_ID_MIN + randombytes_uniform(PROTO_ZDICT_ID_MAX - PROTO_ZDICT_ID_MIN + 1);
}

enum err zdicts_train_store(struct store *st, int64_t project_id, const void *samples,
                            const size_t *sizes, size_t n, double now, struct buf *dict,
                            uint32_t *dict_id, struct errinfo *ei)
{
    for (int k = 0; k < ZDICTS_ID_TRIES; k++) {
        uint32_t id = zd_random_id();
        buf_reset(dict);
        enum err e =
            proto_zdict_train(samples, sizes, n, ZDICTS_DICT_MAX, ZDICTS_LEVEL, id, dict, ei);
        if (!e)
            e = store_zdict_insert(st, project_id, id, now, dict->p, dict->len, NULL);
        if (e == E_CONFLICT)
            continue; /* another dictionary has this ID: another one */
        if (!e)
            *dict_id = id;
        return e;
    }
    /* ZDICTS_ID_TRIES collisions in a 2^31 space: something else is wrong */
    return E_CONFLICT;
}

/* Trains p's next dictionary, stores it under an unused ID and installs it. */
static enum err zd_train(struct zdicts *z, struct zd_project *p, double now)
{
    struct buf samples, dict;
    size_t *sizes = xcalloc(ZDICTS_SAMPLES, sizeof *sizes), n = 0;
    buf_init(&samples, (size_t)ZDICTS_SAMPLES * ZDICTS_SAMPLE_MAX);
    buf_init(&dict, 0);
    struct errinfo ei = {{0}};
    enum err e = zd_samples(z, p, &samples, sizes, &n);
    if (e)
        goto out;
    if (n < ZDICTS_MIN_SAMPLES) {
        /* counted events not committed yet, duplicates, or failed batches: look again later */
        p->retry_at = now + ZDICTS_RETRY;
        goto out;
    }
    double t0 = clock_mono();
    uint32_t id = 0;
    e = zdicts_train_store(z->st, p->id, samples.p, sizes, n, now, &dict, &id, &ei);
    if (e == E_PARSE) {
        log_info("zdicts: project %lld: no dictionary from %zu events (%s); next try in %.0f s",
                 (long long)p->id, n, ei.detail, ZDICTS_RETRY_TRAIN);
        pthread_mutex_lock(&z->mu);
        z->stats.train_fails++;
        pthread_mutex_unlock(&z->mu);
        p->retry_at = now + ZDICTS_RETRY_TRAIN;
        e = E_OK;
        goto out;
    }
    if (e == E_NOTFOUND) { /* the project is gone */
        p->gone = true;
        e = E_OK;
        goto out;
    }
    if (e)
        goto out;
    enum zd_installed r = zd_install(z, p, dict.p, dict.len, id, now, now);
    if (r != ZD_INSTALLED) {
        e = r == ZD_CLEARED ? E_OK : E_INVALID;
        goto out;
    }
    pthread_mutex_lock(&z->mu);
    z->stats.trained++;
    pthread_mutex_unlock(&z->mu);
    log_info("zdicts: project %lld: dictionary %u (%zu bytes) trained from %zu events in %.0f ms",
             (long long)p->id, id, dict.len, n, (clock_mono() - t0) * 1000);
out:
    buf_free(&samples);
    buf_free(&dict);
    free(sizes);
    return e;
}

/* ---- the job: one project --------------------------------------------------------------- */

static enum err zd_project_step(struct zdicts *z, struct zd_project *p, double now)
{
    pthread_mutex_lock(&z->mu);
    if (p->cleared) { /* as if the project were new */
        p->cleared = false;
        p->looked = p->gone = false;
        p->retry_at = 0;
        p->events_at_dict = p->events;
    }
    pthread_mutex_unlock(&z->mu);
    if (p->gone || now < p->retry_at)
        return E_OK;
    bool adopted = false;
    enum err e = E_OK;
    if (!p->looked) {
        /* first sight of the project in this process: its stored dictionary, whatever age */
        if ((e = zd_adopt_newest(z, p, 0, false, now, &adopted)))
            return e;
        p->looked = true;
    }
    pthread_mutex_lock(&z->mu);
    uint64_t events = p->events;
    uint32_t cur_id = p->cur ? p->cur->dict_id : 0;
    double created = p->cur ? p->cur->created : 0;
    pthread_mutex_unlock(&z->mu);
    bool dropped;
    if ((e = zd_confirm(z, p, cur_id, now, &dropped)) || dropped)
        return e;
    uint64_t since = events - p->events_at_dict;
    bool due = cur_id ? now - created >= ZDICTS_RETRAIN_AGE && since >= ZDICTS_RETRAIN_EVENTS
                      : since >= ZDICTS_MIN_EVENTS;
    if (!due)
        return E_OK;
    /* another node may have trained one meanwhile: share it rather than train another */
    if ((e = zd_adopt_newest(z, p, cur_id, true, now, &adopted)) || adopted)
        return e;
    return zd_train(z, p, now);
}

/* Lowers the job thread's priority once. */
static void zd_nice(struct zdicts *z)
{
    if (!z->niced)
        sched_thread_nice(ZDICTS_NICE, "zdicts");
    z->niced = true;
}

enum err zdicts_job_run(void *arg, const atomic_bool *stop)
{
    struct zdicts *z = arg;
    zd_nice(z);
    /* Projects are never removed from the table while the registry lives, so the pointers
     * stay valid after the lock is released. */
    pthread_mutex_lock(&z->mu);
    size_t n = 0;
    struct zd_project **ps = xcalloc(z->nprojects ? z->nprojects : 1, sizeof *ps);
    for (size_t i = 0; i < z->nslots; i++)
        if (z->slots[i])
            ps[n++] = z->slots[i];
    pthread_mutex_unlock(&z->mu);
    enum err first = E_OK;
    double now = clock_now();
    for (size_t i = 0; i < n && !(stop && atomic_load(stop)); i++) {
        enum err e = zd_project_step(z, ps[i], now);
        if (e) {
            log_warn("zdicts: project %lld: %s", (long long)ps[i]->id, err_name(e));
            ps[i]->retry_at = now + ZDICTS_RETRY;
            if (!first)
                first = e;
        }
    }
    free(ps);
    return first;
}
