/* postgres_live: live updates across nodes on PostgreSQL — the ingest transaction's NOTIFY
 * and each node's LISTEN thread (store.h's store_live_listen).
 *
 * DESIGN
 * - Sending: pg_ingest_batch() queues pg_live_notify() as the last statement of its
 *   transaction's second pipeline, just before COMMIT. PostgreSQL delivers notifications only
 *   when that commits (in commit order, and never after a rollback), so the other nodes hear
 *   of exactly the events that were stored, once they can be read. One statement per batch —
 *   pg_notify() over an array of payloads — with one payload per PG_LIVE_PAYLOAD_MAX bytes
 *   of events (NOTIFY refuses 8000 bytes or more):
 *       {"v":1,"node":"<16 hex>","ev":[["<event_id>",issue_id,project_id,"title","level"],…]}
 *   Titles are cut at LIMIT_TITLE_CHARS characters (as normalisation does already) and
 *   levels at PG_LIVE_LEVEL_CHARS, so one event always fits a payload.
 * - Listening: a thread with a connection of its own (LISTEN belongs to a session: never a
 *   pool connection, never through a pooler in transaction mode) waits in poll() on its
 *   socket and on a wake-up pipe, reads with PQconsumeInput()/PQnotifies(), skips payloads
 *   of its own node (the store handle's random id) and of other versions, and hands the
 *   events to the callback. The thread owns the connection; nothing else touches it.
 * - Losing the connection: the thread reconnects with backoff (PG_LIVE_BACKOFF_MIN_MS
 *   doubling up to PG_LIVE_BACKOFF_MAX_MS) and then calls the callback with n = 0, since
 *   what was sent meanwhile is lost. Connecting is asynchronous (PQconnectStartParams and
 *   PQconnectPoll under poll()), so stopping never waits for a connect timeout.
 * - Stopping: pg_live_stop() sets the flag, writes a byte to the pipe, joins the thread and
 *   closes the connection. */
#include "store/postgres_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/jsonx.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/utf8.h"
#include "core/xmalloc.h"

#define PG_LIVE_VERSION 1
#define PG_LIVE_PAYLOAD_MAX 7900 /* bytes; NOTIFY takes less than 8000 */
#define PG_LIVE_LEVEL_CHARS 32
#define PG_LIVE_ID_CHARS 64    /* event ids are 32 hex; anything longer is cut */
#define PG_LIVE_POLL_MS 1000   /* the thread looks at the stop flag at least this often */
#define PG_LIVE_CONNECT_SECS 5 /* as pg_connect()'s connect_timeout */
#define PG_LIVE_BACKOFF_MIN_MS 100
#define PG_LIVE_BACKOFF_MAX_MS 2000
#define PG_LIVE_ARENA (256 * KIB) /* decoding one payload */

struct pg_live {
    struct pg_store *s;
    store_live_fn fn;
    void *ctx;
    PGconn *db; /* NULL while disconnected */
    int wake[2];
    atomic_bool stop;
    pthread_t thread;
};

/* ---- sending ---------------------------------------------------------------------------- */

/* s (NULL: null) as a JSON string of at most max_chars characters; text that is not valid
 * UTF-8 (PostgreSQL would refuse the payload) goes as null. */
static enum err pg_live_str(struct buf *b, const char *s, size_t max_chars)
{
    size_t len = s ? strlen(s) : 0;
    if (!s || !utf8_valid(s, len))
        return buf_append_cstr(b, "null");
    len = utf8_prefix_len(s, len, max_chars);
    enum err e = buf_append(b, "\"", 1);
    size_t i = 0;
    while (i < len && !e) {
        size_t run = 0;
        while (i + run < len && (unsigned char)s[i + run] >= 0x20 && s[i + run] != '"' &&
               s[i + run] != '\\')
            run++;
        e = buf_append(b, s + i, run);
        i += run;
        if (e || i == len)
            break;
        unsigned char ch = (unsigned char)s[i++];
        e = ch < 0x20 ? buf_printf(b, "\\u%04x", ch) : buf_printf(b, "\\%c", ch);
    }
    return e ? e : buf_append(b, "\"", 1);
}

/* One event as a JSON array: [event_id, issue_id, project_id, title, level]. */
static enum err pg_live_event(struct buf *b, const struct store_event_in *ev)
{
    enum err e = buf_append(b, "[", 1);
    if (!e)
        e = pg_live_str(b, ev->event_id, PG_LIVE_ID_CHARS);
    if (!e)
        e = buf_printf(b, ",%lld,%lld,", (long long)ev->issue_id, (long long)ev->project_id);
    if (!e)
        e = pg_live_str(b, ev->title, LIMIT_TITLE_CHARS);
    if (!e)
        e = buf_append(b, ",", 1);
    if (!e)
        e = pg_live_str(b, ev->level, PG_LIVE_LEVEL_CHARS);
    return e ? e : buf_append(b, "]", 1);
}

/* The payloads of one batch: the array sent, and the one being built. */
struct pg_live_out {
    struct pg_array arr;
    struct buf payload;
    char head[64]; /* {"v":1,"node":"…","ev":[ */
    size_t head_len;
};

/* Appends the payload being built (if any) to the array and starts over. */
static void pg_live_flush(struct pg_live_out *o)
{
    if (o->payload.len == 0)
        return;
    if (buf_append(&o->payload, "]}", 2) == E_OK) /* pg_live_add kept room for it */
        pg_array_bytes(&o->arr, o->payload.p, o->payload.len);
    buf_reset(&o->payload);
}

/* Adds one event's JSON to the payload, first flushing a payload it would overflow. */
static enum err pg_live_add(struct pg_live_out *o, const struct buf *one)
{
    if (o->payload.len && o->payload.len + 1 + one->len + 2 > PG_LIVE_PAYLOAD_MAX)
        pg_live_flush(o);
    if (o->head_len + one->len + 2 > PG_LIVE_PAYLOAD_MAX)
        return E_TOOBIG; /* cannot happen with the limits above */
    enum err e = o->payload.len ? buf_append(&o->payload, ",", 1)
                                : buf_append(&o->payload, o->head, o->head_len);
    return e ? e : buf_append(&o->payload, one->p, one->len);
}

void pg_live_notify(struct pg_pipe *pp, const char *node, const struct store_event_in *evs,
                    size_t n)
{
    struct pg_live_out o;
    struct buf one;
    struct pg_params p = {.n = 0};
    pg_array_init(&o.arr, PG_OID_TEXT);
    buf_init(&o.payload, PG_LIVE_PAYLOAD_MAX);
    buf_init(&one, PG_LIVE_PAYLOAD_MAX);
    int len = snprintf(o.head, sizeof o.head, "{\"v\":%d,\"node\":\"%s\",\"ev\":[", PG_LIVE_VERSION,
                       node);
    o.head_len = len > 0 && (size_t)len < sizeof o.head ? (size_t)len : 0;
    for (size_t i = 0; i < n && o.head_len; i++) {
        if (evs[i].duplicate || !evs[i].issue_id)
            continue;
        buf_reset(&one);
        if (pg_live_event(&one, &evs[i]) || pg_live_add(&o, &one))
            log_warn("postgres: live update of event %s left out: too large", evs[i].event_id);
    }
    pg_live_flush(&o);
    if (o.arr.count > 0) {
        enum err e = pg_array_done(&o.arr, &p);
        if (e)
            pg_pipe_fail(pp, errinfo_set(pp->ei, e, "live update too large"));
        else
            pg_pipe_send(pp, PG_LIVE_NOTIFY, &p);
    }
    buf_free(&one);
    buf_free(&o.payload);
    pg_array_free(&o.arr);
}

/* ---- receiving -------------------------------------------------------------------------- */

/* A JSON string or null; false for anything else. */
static bool pg_live_text(const cJSON *v, const char **out)
{
    *out = cJSON_IsString(v) ? v->valuestring : NULL;
    return cJSON_IsString(v) || cJSON_IsNull(v);
}

static bool pg_live_id(const cJSON *v, int64_t *out)
{
    if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > 9007199254740992.0)
        return false;
    *out = (int64_t)v->valuedouble;
    return true;
}

static bool pg_live_decode(const cJSON *a, struct store_live_event *out)
{
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != 5)
        return false;
    const cJSON *id = cJSON_GetArrayItem(a, 0);
    if (!cJSON_IsString(id))
        return false;
    out->event_id = id->valuestring;
    return pg_live_id(cJSON_GetArrayItem(a, 1), &out->issue_id) &&
           pg_live_id(cJSON_GetArrayItem(a, 2), &out->project_id) &&
           pg_live_text(cJSON_GetArrayItem(a, 3), &out->title) &&
           pg_live_text(cJSON_GetArrayItem(a, 4), &out->level);
}

/* One notification: its events to the callback unless it is ours, or not understood. */
static void pg_live_dispatch(struct pg_live *l, const char *payload)
{
    struct arena *a = arena_new(PG_LIVE_ARENA);
    cJSON *root = NULL;
    if (jsonx_parse(a, payload, strlen(payload), &root, NULL) ||
        jsonx_num(root, "v", 0) != PG_LIVE_VERSION)
        goto out; /* a node of another version during a rolling upgrade: its clients resync */
    const char *node = jsonx_str(root, "node");
    const cJSON *evs = jsonx_arr(root, "ev");
    int total = evs ? cJSON_GetArraySize(evs) : 0;
    if (!node || strcmp(node, l->s->node) == 0 || total <= 0)
        goto out;
    struct store_live_event *out = arena_calloc(a, (size_t)total, sizeof *out);
    size_t n = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, evs)
    {
        if (out && pg_live_decode(it, &out[n]))
            n++;
    }
    if (n)
        l->fn(l->ctx, out, n);
out:
    arena_free(a);
}

static void pg_live_drain(struct pg_live *l)
{
    PGnotify *nt;
    while ((nt = PQnotifies(l->db)) != NULL) {
        if (strcmp(nt->relname, PG_LIVE_CHANNEL) == 0 && nt->extra)
            pg_live_dispatch(l, nt->extra);
        PQfreemem(nt);
    }
}

/* ---- the thread ------------------------------------------------------------------------- */

/* Waits for events on fd (none when fd < 0) up to ms: 1 ready, 0 timeout, -1 stopping. */
static int pg_live_wait(struct pg_live *l, int fd, short events, int ms)
{
    struct pollfd p[2] = {{l->wake[0], POLLIN, 0}, {fd, events, 0}};
    int r = poll(p, 2, ms);
    if (atomic_load(&l->stop) || (r > 0 && p[0].revents))
        return -1;
    if (r < 0 && errno != EINTR)
        return 1; /* let libpq find out what is wrong with the socket */
    return r > 0 && p[1].revents ? 1 : 0;
}

/* The first line of libpq's last message, for logs. */
static const char *pg_live_msg(PGconn *db, char *buf, size_t n)
{
    const char *m = db ? PQerrorMessage(db) : "out of memory";
    snprintf(buf, n, "%.*s", (int)strcspn(m, "\n"), m);
    return buf;
}

/* libpq's notices (a server shutting down says so first) go to the debug log. */
static void pg_live_notice(void *arg, const char *msg)
{
    (void)arg;
    log_debug("postgres: live listener: %.*s", (int)strcspn(msg, "\n"), msg);
}

static bool pg_live_subscribe(PGconn *db)
{
    PQsetNoticeProcessor(db, pg_live_notice, NULL);
    PGresult *r = PQexec(db, "SET client_encoding = 'UTF8'; LISTEN " PG_LIVE_CHANNEL);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    return ok;
}

/* Connects (asynchronously: a stop ends it) and LISTENs; E_UNAVAILABLE when it could not. */
static enum err pg_live_connect(struct pg_live *l)
{
    char msg[200];
    PGconn *db = pg_connect(l->s->url, false);
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    double deadline = clock_mono() + PG_LIVE_CONNECT_SECS;
    if (!db || PQstatus(db) == CONNECTION_BAD)
        st = PGRES_POLLING_FAILED;
    while (st == PGRES_POLLING_READING || st == PGRES_POLLING_WRITING) {
        int ms = (int)((deadline - clock_mono()) * 1000);
        short ev = st == PGRES_POLLING_READING ? POLLIN : POLLOUT;
        if (ms <= 0 || pg_live_wait(l, PQsocket(db), ev, ms) <= 0)
            st = PGRES_POLLING_FAILED;
        else
            st = PQconnectPoll(db);
    }
    if (st != PGRES_POLLING_OK || !pg_live_subscribe(db)) {
        log_debug("postgres: live listener: cannot connect: %s", pg_live_msg(db, msg, sizeof msg));
        PQfinish(db);
        return E_UNAVAILABLE;
    }
    l->db = db;
    return E_OK;
}

/* Hands over what arrives until the connection is lost (true) or the thread stops (false). */
static bool pg_live_run(struct pg_live *l)
{
    char msg[200];
    for (;;) {
        pg_live_drain(l); /* first: some may have come in with LISTEN's answer */
        if (PQstatus(l->db) != CONNECTION_OK)
            break;
        int r = pg_live_wait(l, PQsocket(l->db), POLLIN, PG_LIVE_POLL_MS);
        if (r < 0)
            return false;
        if (r > 0 && !PQconsumeInput(l->db))
            break;
    }
    log_warn("postgres: live listener lost its connection (%s); reconnecting",
             pg_live_msg(l->db, msg, sizeof msg));
    return true;
}

static void *pg_live_main(void *arg)
{
    struct pg_live *l = arg;
    int backoff = PG_LIVE_BACKOFF_MIN_MS;
    while (!atomic_load(&l->stop)) {
        if (!l->db) {
            if (pg_live_connect(l) != E_OK) {
                pg_live_wait(l, -1, 0, backoff);
                backoff =
                    backoff * 2 > PG_LIVE_BACKOFF_MAX_MS ? PG_LIVE_BACKOFF_MAX_MS : backoff * 2;
                continue;
            }
            log_info("postgres: live listener connected again");
            backoff = PG_LIVE_BACKOFF_MIN_MS;
            l->fn(l->ctx, NULL, 0); /* what was sent meanwhile is lost */
        }
        if (!pg_live_run(l))
            break;
        PQfinish(l->db);
        l->db = NULL;
    }
    return NULL;
}

/* ---- start and stop --------------------------------------------------------------------- */

static void pg_live_free(struct pg_live *l)
{
    if (l->db)
        PQfinish(l->db);
    close(l->wake[0]);
    close(l->wake[1]);
    free(l);
}

enum err pg_live_listen(struct store *st, store_live_fn fn, void *ctx)
{
    struct pg_store *s = pg_of(st);
    enum err e = E_OK;
    pthread_mutex_lock(&s->live_mu);
    if (s->live) {
        e = E_CONFLICT;
        goto out;
    }
    struct pg_live *l = xcalloc(1, sizeof *l);
    *l = (struct pg_live){.s = s, .fn = fn, .ctx = ctx, .wake = {-1, -1}};
    atomic_init(&l->stop, false);
    if (pipe2(l->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
        free(l);
        e = E_IO;
        goto out;
    }
    if (pg_live_connect(l) != E_OK)
        log_warn("postgres: live listener cannot connect yet; it keeps trying");
    if (pthread_create(&l->thread, NULL, pg_live_main, l) != 0) {
        pg_live_free(l);
        e = E_UNAVAILABLE;
        goto out;
    }
    pthread_setname_np(l->thread, "snag-live-pg");
    s->live = l;
out:
    pthread_mutex_unlock(&s->live_mu);
    return e;
}

void pg_live_stop(struct store *st)
{
    struct pg_store *s = pg_of(st);
    pthread_mutex_lock(&s->live_mu);
    struct pg_live *l = s->live;
    s->live = NULL;
    pthread_mutex_unlock(&s->live_mu);
    if (!l)
        return;
    atomic_store(&l->stop, true);
    if (write(l->wake[1], "x", 1) < 0 && errno != EAGAIN)
        log_warn("postgres: live listener: cannot wake: %s", strerror(errno));
    pthread_join(l->thread, NULL);
    pg_live_free(l);
}
