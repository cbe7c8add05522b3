/* seed: fills a snag database for the query benchmark, and counts stored events for the
 * bench's loss check. Links snaglib and goes through the storage interface (store.h), so
 * it works on every backend snag is built with.
 *
 *   seed count DATABASE_URL              prints the number of stored events
 *   seed fill DATABASE_URL PROJECT_ID EVENTS ISSUES
 *
 * fill builds one realistic event per issue (bench/eventgen.c, Python and JavaScript
 * shapes) and sends it through snag's own pipeline — JSON parse, normalisation, grouping,
 * zstd compression — exactly as ingest does once the project has its dictionary (trained,
 * as api/zdicts.c trains it, from up to ZDICTS_SAMPLES of those bodies and stored; with too
 * few issues for one the bodies are compressed without), then commits EVENTS events spread
 * evenly over the ISSUES issues with store_ingest_batch() in large transactions (the HTTP
 * layer is skipped: that is what makes a million events take seconds instead of minutes).
 * Each event gets a fresh random event_id, a timestamp spread over the last 14 days and one
 * of 20 users of its issue; all events of an issue share the stored body of its first
 * event. SEED_BATCH_SIZE=N (1..5000) commits N events a transaction instead: with N about
 * what the ingest writer gathers under load (~32), timing a fill measures the storage
 * backend's cost per batch without HTTP in the way. SEED_SPAN=S spreads the timestamps over the
 * last S seconds instead: with a span of a few minutes, issues' last_seen moves as under live
 * ingest (PostgreSQL's coarse sort keys then change about once a minute per issue). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/ids.h"
#include "core/jsonx.h"
#include "api/zdicts.h"
#include "core/limits.h"
#include "proto/decompress.h"
#include "proto/event.h"
#include "proto/grouping.h"
#include "proto/zdict.h"
#include "store/store.h"

#include "eventgen.h"

#define SEED_BATCH 5000
#define SEED_BODY_MAX 16384
#define SEED_SPAN_SECONDS (14 * 86400.0)
#define SEED_USERS_PER_ISSUE 20

/* What every event of one issue shares: the summary columns and the stored body. */
struct seed_group {
    char *hash, *title, *culprit, *type, *metadata, *level, *platform, *environment, *release,
        *transaction, *message;
    struct buf data; /* the normalised JSON, then its stored (compressed) form */
};

static char *seed_dup(const char *s)
{
    return s ? strdup(s) : NULL;
}

static double seed_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void seed_event_id(uint64_t k, char *out)
{
    unsigned char bin[16];
    uint64_t x = k * 0x9e3779b97f4a7c15ull + 0x2545f4914f6cdd1dull;
    for (int half = 0; half < 2; half++) { /* splitmix64: a bijection, so ids never repeat */
        x += 0x9e3779b97f4a7c15ull;
        uint64_t z = x;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        z ^= z >> 31;
        memcpy(bin + 8 * half, &z, 8);
    }
    ids_hex(bin, sizeof bin, out);
}

/* ---- one group: the ingest pipeline on its first event --------------------------------- */

static void seed_copy_summary(struct seed_group *g, const struct event_summary *s)
{
    g->hash = seed_dup(s->hash);
    g->title = seed_dup(s->title);
    g->culprit = seed_dup(s->culprit);
    g->type = seed_dup(s->type);
    g->metadata = seed_dup(s->metadata_json);
    g->level = seed_dup(s->level);
    g->platform = seed_dup(s->platform);
    g->environment = seed_dup(s->environment);
    g->release = seed_dup(s->release);
    g->transaction = seed_dup(s->transaction);
    g->message = seed_dup(s->message);
}

static enum err seed_prepare(struct seed_group *g, unsigned idx, double ts, struct errinfo *ei)
{
    char body[SEED_BODY_MAX], id[33];
    seed_event_id(~(uint64_t)idx, id);
    size_t len = eventgen_event(body, sizeof body, idx, id, ts);
    struct arena *a = arena_new(ARENA_REQUEST_BUDGET);
    struct event_summary sum;
    memset(&sum, 0, sizeof sum);
    struct event_ctx ctx = {.received = ts, .client_ip = "127.0.0.1"};
    cJSON *ev = NULL;
    enum err e = len ? jsonx_parse(a, body, len, &ev, ei) : E_TOOBIG;
    if (!e)
        e = proto_event_normalize(a, ev, &ctx, &sum, ei);
    if (!e)
        e = proto_event_group(a, ev, &sum, ei);
    char *json = e ? NULL : jsonx_print(a, ev);
    buf_init(&g->data, LIMIT_EVENT_SIZE);
    if (!e)
        e = json ? buf_append(&g->data, json, strlen(json)) : E_NOMEM;
    if (!e)
        seed_copy_summary(g, &sum);
    arena_free(a);
    return e;
}

/* ---- the events ------------------------------------------------------------------------- */

struct seed_slot {
    char event_id[33];
    char user_key[32];
};

static void seed_fill_event(struct store_event_in *ev, struct seed_slot *slot,
                            const struct seed_group *g, int64_t project, uint64_t i,
                            uint64_t issues, double ts)
{
    seed_event_id(i, slot->event_id);
    snprintf(slot->user_key, sizeof slot->user_key, "id:user-%llu",
             (unsigned long long)((i / issues) % SEED_USERS_PER_ISSUE));
    *ev = (struct store_event_in){.project_id = project,
                                  .event_id = slot->event_id,
                                  .timestamp = ts,
                                  .received = ts,
                                  .level = g->level,
                                  .platform = g->platform,
                                  .environment = g->environment,
                                  .release = g->release,
                                  .transaction = g->transaction,
                                  .user_key = slot->user_key,
                                  .message = g->message,
                                  .hash = g->hash,
                                  .title = g->title,
                                  .culprit = g->culprit,
                                  .type = g->type,
                                  .metadata_json = g->metadata,
                                  .data = g->data.p,
                                  .data_len = g->data.len};
}

struct seed_run {
    struct store *st;
    int64_t project;
    uint64_t events, issues, duplicates;
    struct seed_group *groups;
    struct store_event_in *batch;
    struct seed_slot *slots;
};

/* Events per transaction: SEED_BATCH, or SEED_BATCH_SIZE from the environment. */
static size_t seed_batch_size(void)
{
    const char *v = getenv("SEED_BATCH_SIZE");
    char *end = NULL;
    unsigned long n = v ? strtoul(v, &end, 10) : 0;
    return n >= 1 && n <= SEED_BATCH && end && *end == '\0' ? (size_t)n : SEED_BATCH;
}

/* Seconds the timestamps span: SEED_SPAN_SECONDS, or SEED_SPAN from the environment (a short
 * span keeps each issue's last_seen within a minute, as live ingest does). */
static double seed_span(void)
{
    const char *v = getenv("SEED_SPAN");
    char *end = NULL;
    double s = v ? strtod(v, &end) : 0;
    return s > 0 && s <= SEED_SPAN_SECONDS && end && *end == '\0' ? s : SEED_SPAN_SECONDS;
}

static enum err seed_events(struct seed_run *r, struct errinfo *ei)
{
    double span = seed_span(), start = seed_wall() - span;
    size_t size = seed_batch_size();
    for (uint64_t base = 0; base < r->events; base += size) {
        size_t n = r->events - base < size ? (size_t)(r->events - base) : size;
        for (size_t j = 0; j < n; j++) {
            uint64_t i = base + j;
            double ts = start + span * (double)i / (double)r->events;
            seed_fill_event(&r->batch[j], &r->slots[j], &r->groups[i % r->issues], r->project, i,
                            r->issues, ts);
        }
        enum err e = store_ingest_batch(r->st, r->batch, n, ei);
        if (e)
            return e;
        for (size_t j = 0; j < n; j++)
            r->duplicates += r->batch[j].duplicate;
    }
    return E_OK;
}

/* The project's dictionary, trained from the first groups' bodies and stored; NULL when there
 * are too few groups for one. */
static enum err seed_dictionary(struct seed_run *r, ZSTD_CDict **out, struct errinfo *ei)
{
    size_t n = r->issues < ZDICTS_SAMPLES ? (size_t)r->issues : ZDICTS_SAMPLES;
    size_t sizes[ZDICTS_SAMPLES];
    struct buf samples, dict;
    *out = NULL;
    if (n < ZDICTS_MIN_SAMPLES)
        return E_OK;
    buf_init(&samples, (size_t)ZDICTS_SAMPLES * LIMIT_EVENT_SIZE);
    buf_init(&dict, 0);
    enum err e = E_OK;
    for (size_t i = 0; i < n && !e; i++) {
        sizes[i] = r->groups[i].data.len;
        e = buf_append(&samples, r->groups[i].data.p, sizes[i]);
    }
    uint32_t id;
    if (!e)
        e = zdicts_train_store(r->st, r->project, samples.p, sizes, n, seed_wall(), &dict, &id, ei);
    if (!e && !(*out = proto_zdict_cdict(dict.p, dict.len, ZDICTS_LEVEL)))
        e = E_NOMEM;
    buf_free(&samples);
    buf_free(&dict);
    return e;
}

/* Replaces each group's JSON with its stored form. */
static enum err seed_compress(struct seed_run *r, struct errinfo *ei)
{
    ZSTD_CDict *cd = NULL;
    enum err e = seed_dictionary(r, &cd, ei);
    for (uint64_t g = 0; g < r->issues && !e; g++) {
        struct buf z;
        buf_init(&z, 0);
        struct buf *json = &r->groups[g].data;
        e = cd ? proto_zstd_compress_dict(json->p, json->len, cd, &z)
               : proto_zstd_compress(json->p, json->len, ZDICTS_LEVEL, &z);
        buf_free(json);
        *json = z;
    }
    ZSTD_freeCDict(cd);
    return e;
}

static enum err seed_fill(struct seed_run *r, struct errinfo *ei)
{
    double now = seed_wall();
    r->groups = calloc(r->issues, sizeof *r->groups);
    r->batch = calloc(SEED_BATCH, sizeof *r->batch);
    r->slots = calloc(SEED_BATCH, sizeof *r->slots);
    if (!r->groups || !r->batch || !r->slots)
        return E_NOMEM;
    for (uint64_t g = 0; g < r->issues; g++) {
        enum err e = seed_prepare(&r->groups[g], (unsigned)g, now, ei);
        if (e)
            return e;
    }
    enum err e = seed_compress(r, ei);
    return e ? e : seed_events(r, ei);
}

static void seed_free(struct seed_run *r)
{
    for (uint64_t i = 0; r->groups && i < r->issues; i++) {
        struct seed_group *g = &r->groups[i];
        char *strs[] = {g->hash,     g->title,       g->culprit,  g->type,
                        g->metadata, g->level,       g->platform, g->environment,
                        g->release,  g->transaction, g->message};
        for (size_t k = 0; k < sizeof strs / sizeof *strs; k++)
            free(strs[k]);
        buf_free(&g->data);
    }
    free(r->groups);
    free(r->batch);
    free(r->slots);
}

/* ---- commands ------------------------------------------------------------------------- */

static int seed_cmd_count(struct store *st)
{
    printf("%lld\n", (long long)store_event_count(st, 0));
    return 0;
}

static int seed_cmd_fill(struct store *st, char **argv)
{
    struct seed_run r = {.st = st};
    r.project = strtoll(argv[0], NULL, 10);
    r.events = strtoull(argv[1], NULL, 10);
    r.issues = strtoull(argv[2], NULL, 10);
    if (r.project <= 0 || r.events == 0 || r.issues == 0 || r.issues > r.events) {
        fprintf(stderr, "seed: need PROJECT_ID > 0 and 0 < ISSUES <= EVENTS\n");
        return 2;
    }
    struct errinfo ei = {{0}};
    double t0 = seed_wall();
    enum err e = seed_fill(&r, &ei);
    double secs = seed_wall() - t0;
    seed_free(&r);
    if (e) {
        fprintf(stderr, "seed: %s\n", ei.detail[0] ? ei.detail : err_name(e));
        return 1;
    }
    printf("events=%llu issues=%llu duplicates=%llu seconds=%.1f per_s=%.0f\n",
           (unsigned long long)r.events, (unsigned long long)r.issues,
           (unsigned long long)r.duplicates, secs, (double)r.events / secs);
    return r.duplicates ? 1 : 0;
}

int main(int argc, char **argv)
{
    int fill = argc == 6 && strcmp(argv[1], "fill") == 0;
    if (!fill && !(argc == 3 && strcmp(argv[1], "count") == 0)) {
        fprintf(stderr, "usage: seed count DATABASE_URL\n"
                        "       seed fill DATABASE_URL PROJECT_ID EVENTS ISSUES\n");
        return 2;
    }
    struct store *st = NULL;
    struct errinfo ei = {{0}};
    if (ids_init() != 0 || store_open(argv[2], &st, &ei) != E_OK) {
        fprintf(stderr, "seed: cannot open %s: %s\n", argv[2], ei.detail);
        return 1;
    }
    int rc = fill ? seed_cmd_fill(st, argv + 3) : seed_cmd_count(st);
    store_close(st);
    return rc;
}
