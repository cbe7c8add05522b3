/* facets: the facets job (facets.h) — decoding stored event bodies into tags and driving
 * store_facets_run() batch after batch, at a lowered thread priority so ingest keeps the CPU. */
#include "worker/facets.h"

#include <stdio.h>
#include <string.h>

#include "api/zdicts.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/jsonx.h"
#include "core/limits.h"
#include "core/log.h"
#include "worker/scheduler.h"

#define FACETS_DAY 86400.0

static bool facets_add(struct arena *a, struct store_facets_tag *tags, size_t *n, size_t cap,
                       const char *key, const char *value)
{
    if (*n >= cap || !key || !value || !*key || !*value)
        return true;
    tags[*n] = (struct store_facets_tag){arena_strdup(a, key), arena_strdup(a, value)};
    if (!tags[*n].key || !tags[*n].value)
        return false;
    (*n)++;
    return true;
}

/* user.id … from the event's user object (a number id as text). */
static bool facets_user(struct arena *a, const cJSON *user, struct store_facets_tag *tags,
                        size_t *n, size_t cap)
{
    static const char *const fields[][2] = {{"id", "user.id"},
                                            {"email", "user.email"},
                                            {"username", "user.username"},
                                            {"ip_address", "user.ip"}};
    bool ok = true;
    for (size_t k = 0; k < 4 && ok; k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(user, fields[k][0]);
        char num[32];
        const char *s = cJSON_IsString(v) ? v->valuestring : NULL;
        if (cJSON_IsNumber(v)) {
            snprintf(num, sizeof num, "%.0f", v->valuedouble);
            s = num;
        }
        ok = facets_add(a, tags, n, cap, fields[k][1], s);
    }
    return ok;
}

/* The tags of a decoded event, copied into a. */
static enum err facets_tags_of(struct arena *a, const cJSON *ev, struct store_facets_tag **tags,
                               size_t *n)
{
    const cJSON *list = jsonx_arr(ev, "tags"), *pair;
    size_t cap = (size_t)cJSON_GetArraySize(list) + 4;
    *tags = arena_calloc(a, cap, sizeof **tags);
    if (!*tags)
        return E_TOOBIG;
    cJSON_ArrayForEach(pair, list)
    {
        const cJSON *k = cJSON_GetArrayItem(pair, 0), *v = cJSON_GetArrayItem(pair, 1);
        if (cJSON_IsString(k) && cJSON_IsString(v) &&
            !facets_add(a, *tags, n, cap, k->valuestring, v->valuestring))
            return E_TOOBIG;
    }
    return facets_user(a, jsonx_obj(ev, "user"), *tags, n, cap) ? E_OK : E_TOOBIG;
}

void facets_scratch_init(struct facets_scratch *s, struct zdicts *zdicts)
{
    s->zdicts = zdicts;
    s->tree = arena_new(0);
    buf_init(&s->body, 4 * LIMIT_EVENT_SIZE);
}

void facets_scratch_free(struct facets_scratch *s)
{
    buf_free(&s->body);
    arena_free(s->tree);
    s->tree = NULL;
}

/* The body and its tree live in the pass's scratch, reused from one event to the next (the
 * tree in a jsonx scope: its nodes are bump-allocated, not malloc'd one by one); only the
 * tags go into a (trees kept there for a whole batch of 2,000 piled up to ~50 MB). */
enum err facets_decode(struct arena *a, const void *data, size_t len,
                       struct store_facets_tag **tags, size_t *n, void *ctx)
{
    struct facets_scratch *s = ctx;
    cJSON *ev = NULL;
    *n = 0;
    buf_reset(&s->body);
    arena_reset(s->tree);
    enum err e = zdicts_decompress(s->zdicts, data, len, s->body.max, &s->body, NULL);
    if (!e) {
        jsonx_arena_begin(s->tree);
        e = jsonx_parse(s->tree, s->body.p ? s->body.p : "", s->body.len, &ev, NULL);
        jsonx_arena_end();
    }
    return e ? e : facets_tags_of(a, ev, tags, n);
}

/* Lowers this thread's priority once. */
static void facets_nice(struct facets_job *j)
{
    if (!j->niced)
        sched_thread_nice(FACETS_NICE, "facets");
    j->niced = true;
}

static enum err facets_prune(struct facets_job *j, double now)
{
    if (j->retention_days <= 0 || now - j->last_prune < FACETS_PRUNE_EVERY)
        return E_OK;
    int64_t queued = 0;
    enum err e = store_facets_prune(j->st, now - j->retention_days * FACETS_DAY, &queued);
    if (!e)
        j->last_prune = now;
    if (queued)
        log_info("facets: %lld issues queued for a recount after retention", (long long)queued);
    return e;
}

static void facets_sum(struct store_facets_result *sum, const struct store_facets_result *r)
{
    sum->events += r->events;
    sum->rebuilt += r->rebuilt;
    sum->skipped |= r->skipped;
    sum->more = r->more;
}

enum err facets_job_run(void *arg, const atomic_bool *stop)
{
    struct facets_job *j = arg;
    struct errinfo ei = {{0}};
    facets_nice(j);
    memset(&j->last, 0, sizeof j->last);
    enum err e = facets_prune(j, clock_now());
    struct facets_scratch scratch;
    facets_scratch_init(&scratch, j->zdicts);
    struct store_facets_result r = {.more = true};
    for (int k = 0; !e && r.more && !r.skipped && k < FACETS_MAX_BATCHES; k++) {
        if (stop && atomic_load(stop))
            break;
        e = store_facets_run(j->st, j->batch ? j->batch : FACETS_BATCH, clock_now(),
                             j->lag < 0 ? FACETS_LAG : j->lag, facets_decode, &scratch, &r, &ei);
        if (!e)
            facets_sum(&j->last, &r);
    }
    facets_scratch_free(&scratch);
    if (e)
        log_warn("facets: %s", ei.detail[0] ? ei.detail : err_name(e));
    return e;
}
