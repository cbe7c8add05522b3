/* websocket: the WebSocket connection thread (see websocket.h for the design). */
#include "http/websocket.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <wslay/wslay.h>

#include "core/log.h"
#include "core/xmalloc.h"

#define WS_POLL_MS 1000

struct ws_conn {
    struct ws_conn *next;
    struct ws_server *srv;
    int fd;
    struct http_upgraded *h;
    wslay_event_context_ptr ctx;
    char *extra; /* bytes read by MHD past the request head, fed to wslay first */
    size_t extra_len, extra_off;
    void *user;
    time_t last_rx, last_ping;
    bool dead;
};

struct ws_server {
    struct ws_server_opts o;
    pthread_t thread;
    int wake[2];
    pthread_mutex_t mu;
    struct ws_conn *pending; /* adopted by the thread; under mu */
    struct ws_conn *conns;   /* the thread's own */
    _Atomic int slots;       /* taken at the handshake, released on close */
    _Atomic bool stopping;
};

static time_t ws_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

/* ---- wslay callbacks ------------------------------------------------------------------ */

static ssize_t ws_recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
                          void *user_data)
{
    (void)flags;
    struct ws_conn *c = user_data;
    if (c->extra_off < c->extra_len) {
        size_t n = c->extra_len - c->extra_off;
        n = n < len ? n : len;
        memcpy(buf, c->extra + c->extra_off, n);
        c->extra_off += n;
        c->last_rx = ws_now();
        return (ssize_t)n;
    }
    ssize_t r = recv(c->fd, buf, len, 0);
    if (r > 0) {
        c->last_rx = ws_now();
        return r;
    }
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
    else
        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
    return -1;
}

static ssize_t ws_send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
                          void *user_data)
{
    (void)flags;
    struct ws_conn *c = user_data;
    ssize_t r = send(c->fd, data, len, MSG_NOSIGNAL);
    if (r >= 0)
        return r;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
    else
        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
    return -1;
}

/* Clients have nothing to say on this channel: their messages are read and ignored. */
static void ws_msg_cb(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg,
                      void *user_data)
{
    (void)ctx;
    (void)arg;
    (void)user_data;
}

/* ---- connections ---------------------------------------------------------------------- */

static void ws_conn_free(struct ws_server *s, struct ws_conn *c)
{
    s->o.on_close(s->o.ctx, c, c->user);
    if (c->ctx)
        wslay_event_context_free(c->ctx);
    http_upgraded_close(c->h);
    atomic_fetch_sub(&s->slots, 1);
    free(c->extra);
    free(c);
}

static void ws_abandoned(void *arg)
{
    struct ws_conn *c = arg;
    struct ws_server *s = c->srv;
    s->o.free_user(s->o.ctx, c->user);
    atomic_fetch_sub(&s->slots, 1);
    free(c);
}

static void ws_upgraded(void *arg, int fd, const char *extra, size_t extra_len,
                        struct http_upgraded *h)
{
    struct ws_conn *c = arg;
    struct ws_server *s = c->srv;
    c->fd = fd;
    c->h = h;
    if (extra_len) {
        c->extra = xmalloc(extra_len);
        memcpy(c->extra, extra, extra_len);
        c->extra_len = extra_len;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    pthread_mutex_lock(&s->mu);
    bool late = atomic_load(&s->stopping); /* the thread may be gone: nobody would adopt it */
    if (!late) {
        c->next = s->pending;
        s->pending = c;
    }
    pthread_mutex_unlock(&s->mu);
    if (late) {
        http_upgraded_close(h);
        ws_abandoned(c);
        return;
    }
    ws_server_wake(s);
}

bool ws_server_accept(struct ws_server *s, struct http_request *req, void *user)
{
    if (atomic_fetch_add(&s->slots, 1) >= s->o.max_conns || atomic_load(&s->stopping)) {
        atomic_fetch_sub(&s->slots, 1);
        http_respond_detail(req, 503, "too many live connections, retry later");
        http_add_header(req, "Retry-After", "10");
        return false;
    }
    struct ws_conn *c = xcalloc(1, sizeof *c);
    c->srv = s;
    c->fd = -1;
    c->user = user;
    if (!http_websocket_accept(req, ws_upgraded, ws_abandoned, c)) {
        atomic_fetch_sub(&s->slots, 1);
        free(c);
        return false;
    }
    return true;
}

/* Thread: a connection handed over by MHD gets its wslay context and joins the loop. */
static void ws_adopt(struct ws_server *s, struct ws_conn *c)
{
    static const struct wslay_event_callbacks cbs = {.recv_callback = ws_recv_cb,
                                                     .send_callback = ws_send_cb,
                                                     .on_msg_recv_callback = ws_msg_cb};
    c->last_rx = c->last_ping = ws_now();
    c->next = s->conns;
    s->conns = c;
    if (wslay_event_context_server_init(&c->ctx, &cbs, c) != 0) {
        c->ctx = NULL;
        c->dead = true;
        return;
    }
    wslay_event_config_set_max_recv_msg_length(c->ctx, WS_MAX_RECV);
    s->o.on_open(s->o.ctx, c, c->user);
}

bool ws_conn_send_text(struct ws_conn *c, const char *msg, size_t len)
{
    if (c->dead || !c->ctx || wslay_event_get_queued_msg_count(c->ctx) >= WS_MAX_QUEUED)
        return false;
    struct wslay_event_msg m = {WSLAY_TEXT_FRAME, (const uint8_t *)msg, len};
    return wslay_event_queue_msg(c->ctx, &m) == 0;
}

/* Thread: pings a quiet connection, and gives up on one silent past idle_secs. */
static void ws_keepalive(struct ws_server *s, struct ws_conn *c, time_t now)
{
    if (now - c->last_rx >= s->o.idle_secs) {
        c->dead = true;
        return;
    }
    if (now - c->last_ping >= s->o.ping_secs && now - c->last_rx >= s->o.ping_secs) {
        struct wslay_event_msg m = {WSLAY_PING, (const uint8_t *)"", 0};
        if (wslay_event_queue_msg(c->ctx, &m) != 0)
            c->dead = true;
        c->last_ping = now;
    }
}

/* Thread: reads and writes what poll() said is ready; marks the connection dead when the
 * peer is gone, broke the protocol, or both sides have closed. */
static void ws_service(struct ws_server *s, struct ws_conn *c, short revents, time_t now)
{
    if (c->dead)
        return;
    if ((revents & (POLLIN | POLLHUP | POLLERR)) || c->extra_off < c->extra_len)
        if (wslay_event_recv(c->ctx) != 0)
            c->dead = true;
    if (!c->dead)
        ws_keepalive(s, c, now);
    if (!c->dead && wslay_event_want_write(c->ctx) && wslay_event_send(c->ctx) != 0)
        c->dead = true;
    if (!wslay_event_want_read(c->ctx) && !wslay_event_want_write(c->ctx))
        c->dead = true;
}

static void ws_reap(struct ws_server *s)
{
    struct ws_conn **pp = &s->conns;
    while (*pp) {
        struct ws_conn *c = *pp;
        if (c->dead) {
            *pp = c->next;
            ws_conn_free(s, c);
        } else {
            pp = &c->next;
        }
    }
}

static void ws_take_pending(struct ws_server *s)
{
    char drain[64];
    while (read(s->wake[0], drain, sizeof drain) > 0)
        ;
    pthread_mutex_lock(&s->mu);
    struct ws_conn *p = s->pending;
    s->pending = NULL;
    pthread_mutex_unlock(&s->mu);
    while (p) {
        struct ws_conn *next = p->next;
        ws_adopt(s, p);
        p = next;
    }
}

/* Thread: one poll() over the wake-up pipe and every connection. */
static void ws_poll_once(struct ws_server *s)
{
    size_t n = 1;
    for (struct ws_conn *c = s->conns; c; c = c->next)
        n++;
    struct pollfd *fds = xcalloc(n, sizeof *fds);
    fds[0] = (struct pollfd){.fd = s->wake[0], .events = POLLIN};
    size_t i = 1;
    for (struct ws_conn *c = s->conns; c; c = c->next, i++) {
        fds[i].fd = c->fd;
        fds[i].events = (short)((wslay_event_want_read(c->ctx) ? POLLIN : 0) |
                                (wslay_event_want_write(c->ctx) ? POLLOUT : 0));
    }
    poll(fds, (nfds_t)n, WS_POLL_MS);
    ws_take_pending(s);
    s->o.on_tick(s->o.ctx);
    time_t now = ws_now();
    i = 1;
    for (struct ws_conn *c = s->conns; c; c = c->next, i++)
        ws_service(s, c, i < n ? fds[i].revents : 0, now);
    free(fds);
    ws_reap(s);
}

static void *ws_main(void *arg)
{
    struct ws_server *s = arg;
    while (!atomic_load(&s->stopping))
        ws_poll_once(s);
    ws_take_pending(s);
    for (struct ws_conn *c = s->conns; c; c = c->next)
        c->dead = true;
    ws_reap(s);
    return NULL;
}

struct ws_server *ws_server_start(const struct ws_server_opts *o)
{
    struct ws_server *s = xcalloc(1, sizeof *s);
    s->o = *o;
    pthread_mutex_init(&s->mu, NULL);
    if (pipe2(s->wake, O_NONBLOCK | O_CLOEXEC) != 0 ||
        pthread_create(&s->thread, NULL, ws_main, s) != 0) {
        log_error("live: cannot start the WebSocket thread");
        abort();
    }
    pthread_setname_np(s->thread, "snag-ws");
    return s;
}

void ws_server_wake(struct ws_server *s)
{
    ssize_t r = write(s->wake[1], "", 1); /* a full pipe is already a pending wake-up */
    (void)r;
}

int ws_server_count(struct ws_server *s)
{
    return atomic_load(&s->slots);
}

void ws_server_stop(struct ws_server *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu); /* ordered with ws_upgraded's check */
    atomic_store(&s->stopping, true);
    pthread_mutex_unlock(&s->mu);
    ws_server_wake(s);
    pthread_join(s->thread, NULL);
    close(s->wake[0]);
    close(s->wake[1]);
    pthread_mutex_destroy(&s->mu);
    free(s);
}
