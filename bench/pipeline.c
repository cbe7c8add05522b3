/* pipeline: times the request-thread half of ingest — JSON parse, normalisation, grouping,
 * printing and zstd compression of the stored body — on the bench events (bench/eventgen.c,
 * 100 groups), in one thread, without HTTP or a database. A steadier figure than the
 * end-to-end bench on a shared machine, for comparing one optimisation step with the next.
 *
 *   snag-pipeline [COUNT]     default 20000 events; prints CPU µs per event for each stage
 *
 * Each event gets its own arena and runs inside a jsonx arena scope, as ingest does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/ids.h"
#include "core/jsonx.h"
#include "core/limits.h"
#include "proto/decompress.h"
#include "proto/event.h"
#include "proto/grouping.h"

#include "eventgen.h"

#define PIPE_BODY_MAX 16384
#define PIPE_GROUPS 100
#define PIPE_ZSTD_LEVEL 1 /* as ingest stores it */

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
    double c0 = pipe_cpu(), c1, c2, c3, c4, c5;
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
        e = proto_zstd_compress(json, strlen(json), PIPE_ZSTD_LEVEL, &z);
    c5 = pipe_cpu();
    jsonx_arena_end();
    pipe_stored_bytes += z.len;
    buf_free(&z);
    arena_free(a);
    double times[ST__MAX] = {c1 - c0, c2 - c1, c3 - c2, c4 - c3, c5 - c4, pipe_cpu() - c5};
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
    double t[ST__MAX] = {0}, total = 0;
    for (long i = 0; i < count; i++)
        if (pipe_one(bodies[i % PIPE_GROUPS], lens[i % PIPE_GROUPS], t) != E_OK)
            return 1;
    for (int i = 0; i < ST__MAX; i++) {
        printf("%s=%.2f ", stage_names[i], t[i] * 1e6 / (double)count);
        total += t[i];
    }
    printf("total_us=%.2f stored_bytes=%.0f\n", total * 1e6 / (double)count,
           (double)pipe_stored_bytes / (double)count);
    return 0;
}
