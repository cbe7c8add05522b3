/* pipeline: times the request-thread half of ingest — JSON parse, normalisation, grouping,
 * printing and zstd compression of the stored body — on the bench events (bench/eventgen.c,
 * 100 groups), in one thread, without HTTP or a database. A steadier figure than the
 * end-to-end bench on a shared machine, for comparing one optimisation step with the next.
 *
 *   snag-pipeline [COUNT]     default 20000 events; prints CPU µs per event for each stage
 *
 * Each event gets its own arena and runs inside a jsonx arena scope, as ingest does. The zstd
 * stage compresses as ingest does once the project has its dictionary (api/zdicts.h: trained
 * first from ZDICTS_SAMPLES other events of the same groups, with other ids and times);
 * zstd_plain and plain_bytes are the same bodies without it, outside the stage totals. */
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

#include "eventgen.h"

#define PIPE_BODY_MAX 16384
#define PIPE_GROUPS 100
#define PIPE_DICT_ID 40000 /* any ID in proto/zdict.h's range */

enum stage { ST_PARSE, ST_NORMALIZE, ST_GROUP, ST_PRINT, ST_ZSTD, ST_FREE, ST__MAX };
static const char *const stage_names[ST__MAX] = {"parse", "normalize", "group",
                                                 "print", "zstd",      "free"};

static double pipe_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static size_t pipe_stored_bytes; /* sum of the compressed bodies */
static size_t pipe_plain_bytes;  /* the same without the dictionary */
static double pipe_plain_cpu;    /* CPU seconds of those */
static ZSTD_CDict *pipe_cdict;   /* NULL: compress without one */

/* Compresses json as ingest stores it, and (timed apart, *plain_cpu) without a dictionary. */
static enum err pipe_compress(const char *json, struct buf *z, double *plain_cpu)
{
    *plain_cpu = 0;
    if (!pipe_cdict)
        return proto_zstd_compress(json, strlen(json), ZDICTS_LEVEL, z);
    enum err e = proto_zstd_compress_dict(json, strlen(json), pipe_cdict, z);
    struct buf plain;
    buf_init(&plain, 0);
    double c0 = pipe_cpu();
    if (!e)
        e = proto_zstd_compress(json, strlen(json), ZDICTS_LEVEL, &plain);
    *plain_cpu = pipe_cpu() - c0;
    pipe_plain_cpu += *plain_cpu;
    pipe_plain_bytes += plain.len;
    buf_free(&plain);
    return e;
}

/* The stored form (normalised JSON) of body, appended to out; its length in *n. */
static enum err pipe_normalised(const char *body, size_t len, struct buf *out, size_t *n)
{
    struct arena *a = arena_new(ARENA_REQUEST_BUDGET);
    struct event_summary sum;
    memset(&sum, 0, sizeof sum);
    struct event_ctx ctx = {.received = 1.7e9, .client_ip = "127.0.0.1"};
    cJSON *ev = NULL;
    char *json = NULL;
    jsonx_arena_begin(a);
    enum err e = jsonx_parse(a, body, len, &ev, NULL);
    if (!e)
        e = proto_event_normalize(a, ev, &ctx, &sum, NULL);
    if (!e)
        e = proto_event_group(a, ev, &sum, NULL);
    if (!e && !(json = jsonx_print(a, ev)))
        e = E_NOMEM;
    *n = json ? strlen(json) : 0;
    if (!e)
        e = buf_append(out, json, *n);
    jsonx_arena_end();
    arena_free(a);
    return e;
}

/* The dictionary ingest would train for these groups, from other events of them. */
static enum err pipe_train(size_t *dict_len)
{
    static size_t sizes[ZDICTS_SAMPLES];
    struct buf samples, dict;
    buf_init(&samples, 64 * MIB);
    buf_init(&dict, 0);
    enum err e = E_OK;
    for (unsigned k = 0; k < ZDICTS_SAMPLES && !e; k++) {
        char body[PIPE_BODY_MAX], id[33];
        ids_uuid4_hex(id);
        size_t len = eventgen_event(body, sizeof body, k % PIPE_GROUPS, id, 1.7e9 - 3600 + k);
        e = len ? pipe_normalised(body, len, &samples, &sizes[k]) : E_TOOBIG;
    }
    if (!e)
        e = proto_zdict_train(samples.p, sizes, ZDICTS_SAMPLES, ZDICTS_DICT_MAX, ZDICTS_LEVEL,
                              PIPE_DICT_ID, &dict, NULL);
    if (!e && !(pipe_cdict = proto_zdict_cdict(dict.p, dict.len, ZDICTS_LEVEL)))
        e = E_NOMEM;
    *dict_len = dict.len;
    buf_free(&samples);
    buf_free(&dict);
    return e;
}

/* One event through the pipeline; adds each stage's CPU seconds to t. */
static enum err pipe_one(const char *body, size_t len, double *t)
{
    struct errinfo ei = {{0}};
    struct arena *a = arena_new(ARENA_REQUEST_BUDGET);
    struct event_summary sum;
    memset(&sum, 0, sizeof sum);
    struct event_ctx ctx = {.received = 1.7e9, .client_ip = "127.0.0.1"};
    struct buf z;
    buf_init(&z, 0);
    cJSON *ev = NULL;
    char *json = NULL;
    jsonx_arena_begin(a);
    double c0 = pipe_cpu(), c1, c2, c3, c4, c5, plain = 0;
    enum err e = jsonx_parse(a, body, len, &ev, &ei);
    c1 = pipe_cpu();
    if (!e)
        e = proto_event_normalize(a, ev, &ctx, &sum, &ei);
    c2 = pipe_cpu();
    if (!e)
        e = proto_event_group(a, ev, &sum, &ei);
    c3 = pipe_cpu();
    if (!e && !(json = jsonx_print(a, ev)))
        e = E_NOMEM;
    c4 = pipe_cpu();
    if (!e)
        e = pipe_compress(json, &z, &plain);
    c5 = pipe_cpu();
    jsonx_arena_end();
    pipe_stored_bytes += z.len;
    buf_free(&z);
    arena_free(a);
    double times[ST__MAX] = {c1 - c0, c2 - c1, c3 - c2, c4 - c3, c5 - c4 - plain, pipe_cpu() - c5};
    for (int i = 0; i < ST__MAX; i++)
        t[i] += times[i];
    if (e)
        fprintf(stderr, "pipeline: %s\n", ei.detail[0] ? ei.detail : err_name(e));
    return e;
}

int main(int argc, char **argv)
{
    long count = argc > 1 ? strtol(argv[1], NULL, 10) : 20000;
    if (count <= 0 || ids_init() != 0)
        return 2;
    static char bodies[PIPE_GROUPS][PIPE_BODY_MAX];
    size_t lens[PIPE_GROUPS];
    for (unsigned g = 0; g < PIPE_GROUPS; g++) {
        lens[g] = eventgen_event(bodies[g], sizeof bodies[g], g, "0123456789abcdef0123456789abcdef",
                                 1.7e9);
        if (!lens[g])
            return 1;
    }
    size_t dict_len = 0;
    double t0 = pipe_cpu();
    if (pipe_train(&dict_len) != E_OK)
        return 1;
    double train = pipe_cpu() - t0;
    double t[ST__MAX] = {0}, total = 0;
    for (long i = 0; i < count; i++)
        if (pipe_one(bodies[i % PIPE_GROUPS], lens[i % PIPE_GROUPS], t) != E_OK)
            return 1;
    for (int i = 0; i < ST__MAX; i++) {
        printf("%s=%.2f ", stage_names[i], t[i] * 1e6 / (double)count);
        total += t[i];
    }
    printf("total_us=%.2f stored_bytes=%.0f zstd_plain=%.2f plain_bytes=%.0f dict_bytes=%zu "
           "train_ms=%.0f\n",
           total * 1e6 / (double)count, (double)pipe_stored_bytes / (double)count,
           pipe_plain_cpu * 1e6 / (double)count, (double)pipe_plain_bytes / (double)count, dict_len,
           train * 1e3);
    ZSTD_freeCDict(pipe_cdict);
    return 0;
}
