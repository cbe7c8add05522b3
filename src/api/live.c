/* live: the broadcast hub and the /api/0/live/ WebSocket endpoint (see live.h). */
#include "api/live.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/app.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "http/websocket.h"

#define LIVE_CACHE 1024 /* project → org entries remembered (direct-mapped) */

struct live_msg {
    struct live_msg *next;
    int64_t project_id;
    size_t len;
    char text[];
};

struct live_sub {
    struct live_sub *next;
    void *conn;
    bool all, resync;
    size_t norgs;
    int64_t orgs[];
};

struct live {
    struct live_hooks h;
    pthread_mutex_t mu;
    struct live_msg *head, *tail; /* inbox, under mu */
    size_t queued;
    bool overflow;
    _Atomic int nsubs;
    struct live_sub *subs; /* hub thread */
    struct {
        int64_t project, org;
    } cache[LIVE_CACHE]; /* hub thread */
    struct app *app;     /* live_start only */
    struct ws_server *ws;
    bool listening; /* live_start: the store's listener feeds this hub (other nodes' events) */
};

/* What a connection carries from the handshake to its subscription. */
struct live_user {
    struct live_sub *sub;
    bool all;
    size_t norgs;
    int64_t orgs[];
};

static const char live_resync[] = "{\"type\":\"resync\"}";
static const char live_hello[] = "{\"type\":\"hello\"}";

/* ---- hub ------------------------------------------------------------------------------- */

struct live *live_hub_new(const struct live_hooks *h)
{
    struct live *lv = xcalloc(1, sizeof *lv);
    lv->h = *h;
    pthread_mutex_init(&lv->mu, NULL);
    return lv;
}

static void live_msgs_free(struct live_msg *m)
{
    while (m) {
        struct live_msg *next = m->next;
        free(m);
        m = next;
    }
}

void live_hub_free(struct live *lv)
{
    if (!lv)
        return;
    live_msgs_free(lv->head);
    while (lv->subs)
        live_unsubscribe(lv, lv->subs);
    pthread_mutex_destroy(&lv->mu);
    free(lv);
}

static char *live_id(char *buf, size_t n, int64_t id)
{
    snprintf(buf, n, "%lld", (long long)id);
    return buf;
}

/* The one shape of an event message, whichever node committed the event. */
static struct live_msg *live_msg_event(const char *event_id, int64_t issue_id, int64_t project_id,
                                       const char *title, const char *level)
{
    char iid[24], pid[24];
    struct live_msg *m = NULL;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "event");
    cJSON_AddStringToObject(o, "eventId", event_id ? event_id : "");
    cJSON_AddStringToObject(o, "issueId", live_id(iid, sizeof iid, issue_id));
    cJSON_AddStringToObject(o, "projectId", live_id(pid, sizeof pid, project_id));
    cJSON_AddStringToObject(o, "title", title ? title : "");
    cJSON_AddStringToObject(o, "level", level ? level : "error");
    char *s = cJSON_PrintUnformatted(o);
    if (!s)
        goto out;
    size_t len = strlen(s);
    m = xmalloc(sizeof *m + len + 1);
    m->next = NULL;
    m->project_id = project_id;
    m->len = len;
    memcpy(m->text, s, len + 1);
out:
    cJSON_free(s);
    cJSON_Delete(o);
    return m;
}

/* Messages formatted outside the lock, then queued at once. */
struct live_batch {
    struct live_msg *first, *last;
    size_t count;
};

static void live_batch_add(struct live_batch *b, struct live_msg *m)
{
    if (!m)
        return;
    if (b->last)
        b->last->next = m;
    else
        b->first = m;
    b->last = m;
    b->count++;
}

/* Appends the formatted messages to the inbox, or drops them all past LIVE_INBOX_MAX. */
static void live_enqueue(struct live *lv, struct live_msg *first, struct live_msg *last, size_t n)
{
    pthread_mutex_lock(&lv->mu);
    if (lv->queued + n > LIVE_INBOX_MAX) {
        lv->overflow = true;
    } else {
        if (lv->tail)
            lv->tail->next = first;
        else
            lv->head = first;
        lv->tail = last;
        lv->queued += n;
        first = NULL;
    }
    pthread_mutex_unlock(&lv->mu);
    live_msgs_free(first);
    lv->h.wake(lv->h.ctx);
}

void live_publish(struct live *lv, const struct store_event_in *evs, size_t n)
{
    if (!lv || atomic_load(&lv->nsubs) == 0)
        return;
    struct live_batch b = {0};
    for (size_t i = 0; i < n; i++)
        if (!evs[i].duplicate)
            live_batch_add(&b, live_msg_event(evs[i].event_id, evs[i].issue_id, evs[i].project_id,
                                              evs[i].title, evs[i].level));
    if (b.count)
        live_enqueue(lv, b.first, b.last, b.count);
}

void live_publish_remote(struct live *lv, const struct store_live_event *evs, size_t n)
{
    if (!lv || atomic_load(&lv->nsubs) == 0)
        return;
    if (n == 0) { /* the listener missed some: everyone refetches */
        pthread_mutex_lock(&lv->mu);
        lv->overflow = true;
        pthread_mutex_unlock(&lv->mu);
        lv->h.wake(lv->h.ctx);
        return;
    }
    struct live_batch b = {0};
    for (size_t i = 0; i < n; i++)
        live_batch_add(&b, live_msg_event(evs[i].event_id, evs[i].issue_id, evs[i].project_id,
                                          evs[i].title, evs[i].level));
    if (b.count)
        live_enqueue(lv, b.first, b.last, b.count);
}

struct live_sub *live_subscribe(struct live *lv, void *conn, bool all, const int64_t *orgs,
                                size_t norgs)
{
    struct live_sub *s = xcalloc(1, sizeof *s + norgs * sizeof *orgs);
    s->conn = conn;
    s->all = all;
    s->norgs = norgs;
    if (norgs)
        memcpy(s->orgs, orgs, norgs * sizeof *orgs);
    s->next = lv->subs;
    lv->subs = s;
    atomic_fetch_add(&lv->nsubs, 1);
    return s;
}

void live_unsubscribe(struct live *lv, struct live_sub *sub)
{
    for (struct live_sub **pp = &lv->subs; *pp; pp = &(*pp)->next) {
        if (*pp == sub) {
            *pp = sub->next;
            atomic_fetch_sub(&lv->nsubs, 1);
            free(sub);
            return;
        }
    }
}

static int64_t live_org_of(struct live *lv, int64_t project_id)
{
    size_t slot = (size_t)project_id % LIVE_CACHE;
    if (lv->cache[slot].project == project_id && project_id)
        return lv->cache[slot].org;
    int64_t org = lv->h.org_of(lv->h.ctx, project_id);
    if (org >= 0) {
        lv->cache[slot].project = project_id;
        lv->cache[slot].org = org;
    }
    return org;
}

static bool live_sees(const struct live_sub *s, int64_t org)
{
    if (s->all)
        return true;
    for (size_t i = 0; i < s->norgs; i++)
        if (s->orgs[i] == org)
            return true;
    return false;
}

/* A subscriber owed a resync gets it as soon as its queue has room; until then it is sent
 * nothing else. */
static void live_deliver(struct live *lv, const struct live_msg *m, int64_t org)
{
    for (struct live_sub *s = lv->subs; s; s = s->next) {
        if (s->resync && lv->h.send(s->conn, live_resync, sizeof live_resync - 1))
            s->resync = false;
        if (!m || s->resync || !live_sees(s, org))
            continue;
        if (!lv->h.send(s->conn, m->text, m->len))
            s->resync = true;
    }
}

void live_pump(struct live *lv)
{
    pthread_mutex_lock(&lv->mu);
    struct live_msg *m = lv->head;
    bool overflow = lv->overflow;
    lv->head = lv->tail = NULL;
    lv->queued = 0;
    lv->overflow = false;
    pthread_mutex_unlock(&lv->mu);
    for (struct live_sub *s = lv->subs; s && overflow; s = s->next)
        s->resync = true;
    live_deliver(lv, NULL, 0);
    for (struct live_msg *i = m; i; i = i->next) {
        int64_t org = live_org_of(lv, i->project_id);
        if (org >= 0)
            live_deliver(lv, i, org);
    }
    live_msgs_free(m);
}

/* ---- serve: the hub on the WebSocket thread --------------------------------------------- */

static int64_t live_store_org(void *ctx, int64_t project_id)
{
    struct live *lv = ctx;
    struct arena *a = arena_new(64 * 1024);
    struct store_project p;
    int64_t org = -1;
    if (a && store_project_by_id(lv->app->st, a, project_id, &p) == E_OK)
        org = p.org_id;
    arena_free(a);
    return org;
}

static bool live_ws_send(void *conn, const char *msg, size_t len)
{
    return ws_conn_send_text(conn, msg, len);
}

static void live_ws_wake(void *ctx)
{
    struct live *lv = ctx;
    ws_server_wake(lv->ws);
}

static void live_on_open(void *ctx, struct ws_conn *c, void *user)
{
    struct live_user *u = user;
    u->sub = live_subscribe(ctx, c, u->all, u->orgs, u->norgs);
    if (!ws_conn_send_text(c, live_hello, sizeof live_hello - 1))
        u->sub->resync = true;
}

static void live_on_tick(void *ctx)
{
    live_pump(ctx);
}

static void live_on_close(void *ctx, struct ws_conn *c, void *user)
{
    (void)c;
    struct live_user *u = user;
    if (u->sub)
        live_unsubscribe(ctx, u->sub);
    free(u);
}

static void live_free_user(void *ctx, void *user)
{
    (void)ctx;
    free(user);
}

/* The store's listener thread: events committed by the other nodes. */
static void live_on_remote(void *ctx, const struct store_live_event *evs, size_t n)
{
    live_publish_remote(ctx, evs, n);
}

/* Several nodes on one database (PostgreSQL): their events reach this node's clients too. */
static void live_listen(struct live *lv)
{
    enum err e = store_live_listen(lv->app->st, live_on_remote, lv);
    lv->listening = e == E_OK;
    if (e && e != E_UNSUPPORTED)
        log_warn("live: events of other nodes will not be shown: %s", err_name(e));
}

struct live *live_start(struct app *app)
{
    struct live_hooks h = {live_store_org, live_ws_send, live_ws_wake, NULL};
    struct live *lv = live_hub_new(&h);
    lv->h.ctx = lv;
    lv->app = app;
    struct ws_server_opts o = {.max_conns = LIVE_MAX_CONNS,
                               .ping_secs = LIVE_PING_SECS,
                               .idle_secs = LIVE_IDLE_SECS,
                               .ctx = lv,
                               .on_open = live_on_open,
                               .on_tick = live_on_tick,
                               .on_close = live_on_close,
                               .free_user = live_free_user};
    lv->ws = ws_server_start(&o);
    live_listen(lv);
    return lv;
}

void live_stop(struct live *lv)
{
    if (!lv)
        return;
    if (lv->listening)
        store_live_stop(lv->app->st); /* no live_publish_remote() after this */
    ws_server_stop(lv->ws);
    live_hub_free(lv);
}

/* ---- GET /api/0/live/ ------------------------------------------------------------------- */

/* A cookie rides along on any cross-site WebSocket: only our own pages may use it. */
static bool live_origin_ok(struct http_request *req, const struct app *app)
{
    const char *origin = http_header(req, "Origin");
    const char *d = app->cfg->domain;
    size_t n = strlen(d);
    while (n && d[n - 1] == '/')
        n--;
    return origin && strlen(origin) == n && strncmp(origin, d, n) == 0;
}

static struct live_user *live_user_for(struct http_request *req, struct app *app,
                                       const struct api_principal *p)
{
    struct store_org *rows = NULL;
    size_t n = 0;
    bool all = p->user.is_superuser;
    enum err e =
        all ? E_OK
            : store_org_list_for_user(app->st, http_arena(req), p->user.id, false, &rows, &n);
    if (e) {
        api_respond_store_err(req, e);
        return NULL;
    }
    n = n > LIVE_MAX_ORGS ? LIVE_MAX_ORGS : n;
    struct live_user *u = xcalloc(1, sizeof *u + n * sizeof u->orgs[0]);
    u->all = all;
    u->norgs = n;
    for (size_t i = 0; i < n; i++)
        u->orgs[i] = rows[i].id;
    return u;
}

enum handler_result h_live(struct http_request *req, void *arg)
{
    struct app *app = arg;
    struct api_principal p;
    if (!api_authenticate(req, app, &p) || !api_require_scope(req, &p, "event:read"))
        return HANDLER_DONE;
    if (!http_header(req, "Upgrade")) { /* a plain GET: whether this server streams */
        cJSON *o = cJSON_CreateObject();
        cJSON_AddBoolToObject(o, "enabled", app->live != NULL);
        cJSON_AddNumberToObject(o, "connections", app->live ? ws_server_count(app->live->ws) : 0);
        api_respond_take(req, 200, o);
        return HANDLER_DONE;
    }
    if (!app->live) { /* a server without the WebSocket thread (some tests) */
        http_respond_detail(req, 503, "live updates are not running");
        return HANDLER_DONE;
    }
    if (p.session_id && !live_origin_ok(req, app)) {
        http_respond_detail(req, 403, "WebSocket origin not allowed");
        return HANDLER_DONE;
    }
    struct live_user *u = live_user_for(req, app, &p);
    if (u && !ws_server_accept(app->live->ws, req, u))
        free(u);
    return HANDLER_DONE;
}
