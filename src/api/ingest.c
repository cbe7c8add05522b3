/* ingest: store and envelope endpoints (see ingest.h).
 *
 * DESIGN: everything up to the commit happens on the request's own thread and allocates from
 * the request arena: credentials, key lookup, decompression (into a capped heap buffer the
 * arena frees), envelope framing, JSON parse, normalisation, grouping and zstd compression of
 * the stored body (with the project's dictionary, api/zdicts.h), the event inside a jsonx arena
 * scope (its tree lives in the arena). The one event of a request then becomes a writer job
 * living in the arena; the connection is suspended until the writer's done() callback, which
 * only records the result and resumes it; the answer is then built on the request's own
 * thread (ingest_answer). */
#include "api/ingest.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/app.h"
#include "api/feedback.h"
#include "api/keycache.h"
#include "api/ratelimit.h"
#include "api/zdicts.h"
#include "core/clock.h"
#include "core/ids.h"
#include "core/jsonx.h"
#include "core/limits.h"
#include "core/log.h"
#include "proto/auth.h"
#include "proto/decompress.h"
#include "proto/envelope.h"
#include "proto/event.h"
#include "proto/grouping.h"

struct ingest {
    struct http_request *req;
    struct app *app;
    struct arena *a;
    int64_t project_id;
    double received;
    struct slice key; /* public key from HTTP credentials or the envelope dsn */
    int64_t key_id, rate_window, rate_count; /* the checked key and its rate limit */
    struct writer_job job;
    enum err result;   /* the writer's, read once the request is resumed */
    char event_id[33]; /* answered id; "" when none */
};

/* ---- credentials ---------------------------------------------------------------------- */

static enum err ingest_take_key(struct ingest *in, struct slice key, struct errinfo *ei)
{
    if (in->key.len && (key.len != in->key.len || memcmp(key.p, in->key.p, key.len) != 0))
        return errinfo_set(ei, E_AUTH, "multiple authorization payloads with different keys");
    in->key = key;
    return E_OK;
}

/* Reads X-Sentry-Auth, Authorization: Sentry …, and ?sentry_key= (or glitchtip_key=). Finding
 * none is not an error here: the envelope may carry a dsn. */
static enum err ingest_http_credentials(struct ingest *in, struct errinfo *ei)
{
    static const char *headers[] = {"X-Sentry-Auth", "Authorization"};
    enum err e;
    for (size_t i = 0; i < 2; i++) {
        const char *v = http_header(in->req, headers[i]);
        if (!v || strncasecmp(v, "Sentry ", 7) != 0)
            continue;
        struct sentry_auth auth;
        if ((e = proto_auth_parse_header(v, &auth, ei)) || (e = ingest_take_key(in, auth.key, ei)))
            return e;
    }
    const char *q = http_query(in->req, "sentry_key");
    if (!q)
        q = http_query(in->req, "glitchtip_key");
    if (q && *q && (e = ingest_take_key(in, slice_from_cstr(q), ei)))
        return e;
    const char *v = http_query(in->req, "sentry_version");
    if (v && strtol(v, NULL, 10) > 7)
        return errinfo_set(ei, E_PARSE, "unsupported protocol version (%s)", v);
    return E_OK;
}

/* The key must exist, be active and belong to the project in the URL. */
static enum err ingest_check_key(struct ingest *in, struct errinfo *ei)
{
    if (!in->key.len)
        return errinfo_set(ei, E_AUTH, "missing authorization information");
    char *key = arena_slice_dup(in->a, in->key);
    struct store_key k;
    enum err e = !key ? E_NOMEM
                 : in->app->keys
                     ? keycache_lookup(in->app->keys, in->app->st, in->a, key, clock_mono(), &k)
                     : store_key_by_public(in->app->st, in->a, key, &k);
    if (e == E_NOTFOUND)
        return errinfo_set(ei, E_FORBIDDEN, "event submission rejected: unknown sentry_key");
    if (e)
        return errinfo_set(ei, E_UNAVAILABLE, "database unavailable");
    if (!k.active)
        return errinfo_set(ei, E_FORBIDDEN, "event submission rejected: key disabled");
    if (k.project_id != in->project_id)
        return errinfo_set(ei, E_FORBIDDEN,
                           "event submission rejected: key does not belong to project %lld",
                           (long long)in->project_id);
    in->key_id = k.id;
    in->rate_window = k.rate_window;
    in->rate_count = k.rate_count;
    return E_OK;
}

/* ---- body ------------------------------------------------------------------------------ */

static void ingest_buf_free(void *p)
{
    buf_free(p);
}

/* Decodes the HTTP body per Content-Encoding into at most max bytes. */
static enum err ingest_decode_body(struct ingest *in, size_t max, struct slice *out,
                                   struct errinfo *ei)
{
    struct slice body = http_body(in->req);
    if (body.len == 0)
        return errinfo_set(ei, E_PARSE, "empty request body");
    enum encoding enc = proto_encoding_parse(http_header(in->req, "Content-Encoding"));
    if (enc == ENC_UNKNOWN)
        return errinfo_set(ei, E_UNSUPPORTED, "unsupported Content-Encoding: %s",
                           http_header(in->req, "Content-Encoding"));
    if (enc == ENC_IDENTITY) {
        if (body.len > max)
            return errinfo_set(ei, E_TOOBIG, "payload exceeds %zu bytes", max);
        *out = body;
        return E_OK;
    }
    struct buf *b = arena_alloc(in->a, sizeof *b);
    if (!b)
        return E_NOMEM;
    buf_init(b, max);
    arena_defer(in->a, ingest_buf_free, b);
    enum err e = proto_decompress(enc, body.p, body.len, max, b, ei);
    if (e == E_TOOBIG)
        return errinfo_set(ei, E_TOOBIG, "decompressed payload exceeds %zu bytes", max);
    if (e)
        return e;
    *out = (struct slice){b->p ? b->p : "", b->len};
    return E_OK;
}

/* Legacy store bodies: base64 of zlib-compressed JSON, recognised by not starting with '{'. */
static enum err ingest_unwrap_base64(struct ingest *in, struct slice *body, struct errinfo *ei)
{
    size_t i = 0;
    while (i < body->len && isspace((unsigned char)body->p[i]))
        i++;
    if (i < body->len && (body->p[i] == '{' || body->p[i] == '['))
        return E_OK;
    unsigned char *bin = arena_alloc(in->a, body->len);
    size_t bin_len;
    if (!bin || sodium_base642bin(bin, body->len, body->p, body->len, " \r\n\t", &bin_len, NULL,
                                  sodium_base64_VARIANT_ORIGINAL) != 0)
        return errinfo_set(ei, E_PARSE, "body is neither JSON nor base64");
    struct buf *b = arena_alloc(in->a, sizeof *b);
    if (!b)
        return E_NOMEM;
    buf_init(b, LIMIT_EVENT_SIZE);
    arena_defer(in->a, ingest_buf_free, b);
    enum err e = proto_decompress(ENC_DEFLATE, bin, bin_len, LIMIT_EVENT_SIZE, b, ei);
    if (e)
        return e;
    *body = (struct slice){b->p ? b->p : "", b->len};
    return E_OK;
}

/* ---- event ------------------------------------------------------------------------------ */

/* Parses, normalises, groups and compresses one event into in->job; runs inside the arena
 * scope opened by ingest_prepare_event, so the event's tree lives in the request arena. */
static enum err ingest_prepare_scoped(struct ingest *in, struct slice payload,
                                      const cJSON *envelope_header, struct errinfo *ei)
{
    if (payload.len > LIMIT_EVENT_SIZE)
        return errinfo_set(ei, E_TOOBIG, "event exceeds %zu bytes", LIMIT_EVENT_SIZE);
    cJSON *ev;
    enum err e = jsonx_parse(in->a, payload.p, payload.len, &ev, ei);
    if (e)
        return e;
    if (!cJSON_IsObject(ev))
        return errinfo_set(ei, E_PARSE, "event is not a JSON object");
    struct event_ctx ctx = {.received = in->received, .client_ip = http_client_ip(in->req)};
    const char *sent_at = jsonx_str(envelope_header, "sent_at");
    if (sent_at && clock_parse_iso(sent_at, &ctx.sent_at) != 0)
        ctx.sent_at = 0;
    const char *hid = jsonx_str(envelope_header, "event_id");
    char hid_norm[33];
    if (hid && ids_normalize_uuid(hid, strlen(hid), hid_norm))
        ctx.event_id = hid_norm;
    struct event_summary sum;
    memset(&sum, 0, sizeof sum);
    if ((e = proto_event_normalize(in->a, ev, &ctx, &sum, ei)) ||
        (e = proto_event_group(in->a, ev, &sum, ei)))
        return e;
    char *json = jsonx_print(in->a, ev);
    if (!json)
        return errinfo_set(ei, E_TOOBIG, "event too large");
    struct buf *z = arena_alloc(in->a, sizeof *z);
    if (!z)
        return E_NOMEM;
    buf_init(z, 0);
    arena_defer(in->a, ingest_buf_free, z);
    if ((e = zdicts_compress(in->app->zdicts, in->project_id, in->received, json, strlen(json), z)))
        return errinfo_set(ei, e, "cannot compress event");
    memcpy(in->event_id, sum.event_id, sizeof in->event_id);
    struct store_event_in *s = &in->job.ev;
    *s = (struct store_event_in){.project_id = in->project_id,
                                 .event_id = in->event_id,
                                 .timestamp = sum.timestamp,
                                 .received = sum.received,
                                 .level = sum.level,
                                 .platform = sum.platform,
                                 .environment = sum.environment,
                                 .release = sum.release,
                                 .transaction = sum.transaction,
                                 .logger = sum.logger,
                                 .user_key = sum.user_key,
                                 .message = sum.message,
                                 .hash = arena_strdup(in->a, sum.hash),
                                 .title = sum.title,
                                 .culprit = sum.culprit,
                                 .type = sum.type,
                                 .metadata_json = sum.metadata_json,
                                 .data = z->p,
                                 .data_len = z->len};
    return s->hash ? E_OK : E_NOMEM;
}

/* The scope covers only the event: trees built outside it (the envelope header, which
 * proto/envelope.c ties to the arena with a cJSON_Delete hook) must stay on the heap. */
static enum err ingest_prepare_event(struct ingest *in, struct slice payload,
                                     const cJSON *envelope_header, struct errinfo *ei)
{
    jsonx_arena_begin(in->a);
    enum err e = ingest_prepare_scoped(in, payload, envelope_header, ei);
    jsonx_arena_end();
    return e;
}

/* ---- answering ------------------------------------------------------------------------ */

/* {"id":"<32 hex>"}, or {} when there is no id. */
static void ingest_respond_id(struct ingest *in)
{
    char body[sizeof "{\"id\":\"\"}" + sizeof in->event_id];
    int n = in->event_id[0] ? snprintf(body, sizeof body, "{\"id\":\"%s\"}", in->event_id)
                            : snprintf(body, sizeof body, "{}");
    http_respond(in->req, 200, "application/json", body, (size_t)n);
}

static enum handler_result ingest_fail(struct ingest *in, enum err e, const struct errinfo *ei)
{
    atomic_fetch_add(&in->app->stats.requests_rejected, 1);
    http_respond_err(in->req, e, ei);
    if (e == E_UNAVAILABLE)
        http_add_header(in->req, "Retry-After", "5");
    return HANDLER_DONE;
}

/* Request thread, once resumed: answers with the writer's result. */
static void ingest_answer(struct http_request *req, void *arg)
{
    (void)req;
    struct ingest *in = arg;
    if (in->result) {
        http_respond_detail(in->req, 503, "event could not be stored, retry later");
        http_add_header(in->req, "Retry-After", "5");
    } else {
        atomic_fetch_add(in->job.ev.duplicate ? &in->app->stats.events_duplicate
                                              : &in->app->stats.events_stored,
                         1);
        ingest_respond_id(in);
    }
}

/* Writer thread: the event is committed (or the batch failed). Only records the result and
 * wakes the request: the answer is built on the request's own thread (ingest_answer). */
static void ingest_committed(struct writer_job *job, enum err result)
{
    struct ingest *in = job->ctx;
    in->result = result;
    http_resume_then(in->req, ingest_answer, in);
}

/* The key's rate limit, counted per event: over it, 429 with Retry-After and Sentry's
 * X-Sentry-Rate-Limits (error events of this key), and nothing stored. */
static bool ingest_rate_limited(struct ingest *in)
{
    int retry = 0;
    if (!in->app->ratelimit || ratelimit_hit(in->app->ratelimit, in->key_id, in->rate_window,
                                             in->rate_count, in->received, &retry))
        return false;
    char secs[16], limits[64];
    snprintf(secs, sizeof secs, "%d", retry);
    snprintf(limits, sizeof limits, "%d:error;default;security:key", retry);
    atomic_fetch_add(&in->app->stats.requests_rejected, 1);
    http_respond_detail(in->req, 429, "rate limit of this client key exceeded");
    http_add_header(in->req, "Retry-After", secs);
    http_add_header(in->req, "X-Sentry-Rate-Limits", limits);
    return true;
}

static enum handler_result ingest_commit(struct ingest *in)
{
    if (ingest_rate_limited(in))
        return HANDLER_DONE;
    in->job.done = ingest_committed;
    in->job.ctx = in;
    http_suspend(in->req);
    if (writer_submit(in->app->writer, &in->job) != E_OK) {
        http_respond_detail(in->req, 503, "server busy, retry later");
        http_add_header(in->req, "Retry-After", "1");
        http_resume(in->req);
    }
    return HANDLER_SUSPENDED;
}

/* Never NULL (the arena is fresh, so the first small allocation cannot hit the budget). */
static struct ingest *ingest_begin(struct http_request *req, void *app, struct errinfo *ei,
                                   enum err *e)
{
    struct ingest *in = arena_calloc(http_arena(req), 1, sizeof *in);
    in->req = req;
    in->app = app;
    in->a = http_arena(req);
    in->received = clock_now();
    const char *pid = http_param(req, "project_id");
    char *end = NULL;
    long long id = pid ? strtoll(pid, &end, 10) : 0;
    if (!pid || end == pid || *end || id <= 0) {
        *e = errinfo_set(ei, E_PARSE, "bad project id in path");
        return in;
    }
    in->project_id = id;
    *e = ingest_http_credentials(in, ei);
    return in;
}

/* ---- envelope items ---------------------------------------------------------------------- */

static enum item_kind ingest_item_kind(const char *type)
{
    static const struct {
        const char *name;
        enum item_kind kind;
    } kinds[] = {
        {"event", ITEM_EVENT},
        {"transaction", ITEM_TRANSACTION},
        {"attachment", ITEM_ATTACHMENT},
        {"session", ITEM_SESSION},
        {"sessions", ITEM_SESSIONS},
        {"client_report", ITEM_CLIENT_REPORT},
        {"check_in", ITEM_CHECK_IN},
        {"user_report", ITEM_USER_REPORT},
        {"feedback", ITEM_FEEDBACK},
        {"log", ITEM_LOG},
        {"otel_log", ITEM_LOG},
        {"span", ITEM_SPAN},
        {"otel_span", ITEM_SPAN},
        {"profile", ITEM_PROFILE},
        {"profile_chunk", ITEM_PROFILE},
        {"replay_event", ITEM_REPLAY},
        {"replay_recording", ITEM_REPLAY},
        {"replay_video", ITEM_REPLAY},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
        if (strcmp(type, kinds[i].name) == 0)
            return kinds[i].kind;
    return ITEM_OTHER;
}

/* Relay-like per-type limits: the first violation rejects the whole envelope (413). */
static enum err ingest_check_item_limits(const struct envelope *env, struct errinfo *ei)
{
    size_t attach_total = 0, sessions = 0, events = 0;
    for (size_t i = 0; i < env->nitems; i++) {
        const struct envelope_item *it = &env->items[i];
        enum item_kind k = ingest_item_kind(it->type);
        size_t len = it->payload.len, max = SIZE_MAX;
        switch (k) {
        case ITEM_EVENT:
        case ITEM_TRANSACTION:
            max = LIMIT_EVENT_SIZE;
            events++;
            break;
        case ITEM_FEEDBACK:
        case ITEM_USER_REPORT:
            max = LIMIT_EVENT_SIZE;
            break;
        case ITEM_ATTACHMENT:
            max = LIMIT_ATTACHMENT_SIZE;
            attach_total += len;
            break;
        case ITEM_CHECK_IN:
            max = LIMIT_CHECKIN_SIZE;
            break;
        case ITEM_CLIENT_REPORT:
            max = LIMIT_CLIENT_REPORT_SIZE;
            break;
        case ITEM_SESSION:
        case ITEM_SESSIONS:
            sessions++;
            break;
        default:
            break;
        }
        if (len > max || attach_total > LIMIT_ATTACHMENT_SIZE || sessions > LIMIT_SESSION_ITEMS)
            return errinfo_set(ei, E_TOOBIG, "envelope exceeded size limits for type '%s'",
                               it->type);
        if (events > 1)
            return errinfo_set(ei, E_PARSE, "envelope carries more than one event");
    }
    return E_OK;
}

/* Finds the key in the envelope header's dsn when HTTP carried none. */
static enum err ingest_envelope_dsn(struct ingest *in, const cJSON *header, struct errinfo *ei)
{
    const char *dsn = jsonx_str(header, "dsn");
    if (!dsn)
        return E_OK;
    struct dsn d;
    if (proto_dsn_parse(slice_from_cstr(dsn), &d, NULL) != E_OK)
        return errinfo_set(ei, E_AUTH, "invalid dsn in envelope header");
    return ingest_take_key(in, d.public_key, ei);
}

/* Stores a user_report or feedback item as a user report, synchronously (feedback is rare
 * and must be committed before the answer, like events). A malformed item is dropped and
 * counted, as Relay drops it, without failing the envelope; only a store failure fails it. */
static enum err ingest_feedback(struct ingest *in, const struct envelope_item *it,
                                bool is_feedback_item, struct errinfo *ei)
{
    enum item_kind k = is_feedback_item ? ITEM_FEEDBACK : ITEM_USER_REPORT;
    enum err e = feedback_save(in->app->st, in->a, in->project_id, it->payload.p, it->payload.len,
                               is_feedback_item, in->event_id[0] ? in->event_id : NULL);
    if (e == E_PARSE || e == E_INVALID || e == E_TOOBIG) {
        atomic_fetch_add(&in->app->stats.items_dropped[k], 1);
        return E_OK;
    }
    if (e)
        return errinfo_set(ei, e, "could not store the user feedback");
    atomic_fetch_add(&in->app->stats.items_stored[k], 1);
    return E_OK;
}

enum handler_result ingest_envelope(struct http_request *req, void *app)
{
    struct errinfo ei = {{0}};
    enum err e;
    struct ingest *in = ingest_begin(req, app, &ei, &e);
    if (e)
        return ingest_fail(in, e, &ei);
    /* Known credentials are checked before the body is decoded. */
    if (in->key.len && (e = ingest_check_key(in, &ei)))
        return ingest_fail(in, e, &ei);
    struct slice body;
    struct envelope env;
    if ((e = ingest_decode_body(in, in->app->cfg->max_unzipped, &body, &ei)) ||
        (e = proto_envelope_parse(in->a, body.p, body.len, &env, &ei)))
        return ingest_fail(in, e, &ei);
    if (!in->key.len) {
        if ((e = ingest_envelope_dsn(in, env.header, &ei)) || (e = ingest_check_key(in, &ei)))
            return ingest_fail(in, e, &ei);
    }
    if ((e = ingest_check_item_limits(&env, &ei)))
        return ingest_fail(in, e, &ei);
    const char *hid = jsonx_str(env.header, "event_id");
    if (hid && !ids_normalize_uuid(hid, strlen(hid), in->event_id))
        in->event_id[0] = '\0';
    bool has_event = false;
    for (size_t i = 0; i < env.nitems; i++) {
        enum item_kind k = ingest_item_kind(env.items[i].type);
        if (k == ITEM_USER_REPORT || k == ITEM_FEEDBACK) {
            if ((e = ingest_feedback(in, &env.items[i], k == ITEM_FEEDBACK, &ei)))
                return ingest_fail(in, e, &ei);
            continue;
        }
        if (k != ITEM_EVENT) {
            atomic_fetch_add(&in->app->stats.items_dropped[k], 1);
            continue;
        }
        if ((e = ingest_prepare_event(in, env.items[i].payload, env.header, &ei)))
            return ingest_fail(in, e, &ei);
        has_event = true;
    }
    if (!has_event) {
        ingest_respond_id(in);
        return HANDLER_DONE;
    }
    return ingest_commit(in);
}

static bool ingest_is_envelope_type(const char *ct)
{
    return ct && strncasecmp(ct, "application/x-sentry-envelope", 29) == 0;
}

enum handler_result ingest_store(struct http_request *req, void *app)
{
    if (ingest_is_envelope_type(http_header(req, "Content-Type")))
        return ingest_envelope(req, app);
    struct errinfo ei = {{0}};
    enum err e;
    struct ingest *in = ingest_begin(req, app, &ei, &e);
    if (e)
        return ingest_fail(in, e, &ei);
    struct slice body;
    if ((e = ingest_check_key(in, &ei)) ||
        (e = ingest_decode_body(in, LIMIT_EVENT_SIZE, &body, &ei)) ||
        (e = ingest_unwrap_base64(in, &body, &ei)) ||
        (e = ingest_prepare_event(in, body, NULL, &ei)))
        return ingest_fail(in, e, &ei);
    return ingest_commit(in);
}
