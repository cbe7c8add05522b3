/* server: libmicrohttpd wiring — request lifecycle, bounded body reading, routing, CORS for
 * ingest routes, suspend/resume, and turning a handler's response into an MHD response.
 *
 * DESIGN: MHD runs a pool of threads, each with its own poll() loop. Not epoll: there a
 * suspended request costs two epoll_ctl calls and each read one more recv() that ends in
 * EAGAIN — three of the nine system calls of an acknowledged event (`make bench`), and dear
 * on a virtual machine. poll's cost grows with a thread's open connections instead: the
 * smaller one up to a few hundred per thread, twice epoll's at 1,500 idle ones (the bench's
 * ceiling server); SNAG_HTTP_EPOLL chooses epoll for such nodes. The access handler is
 * called (1) once with the headers — we route and check Content-Length —, (2) once per chunk
 * of body, (3) once at the end, when the handler runs, and (4) again after http_resume() for
 * a suspended request. The request struct and its arena are freed by the completion
 * callback, after the response has been sent. A body over the route's limit is discarded as
 * it arrives (MHD cannot queue a response mid-upload) and answered 413 at the end; a client
 * that keeps sending far past the limit is disconnected. */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/jsonx.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "http/http.h"

/* A client sending this many times its limit is cut off instead of drained. */
#define SERVER_DRAIN_FACTOR 4
/* Open connections, all threads together. */
#define SERVER_CONNECTION_LIMIT 4000u

enum req_state {
    REQ_READING,
    REQ_TOO_BIG,
    REQ_SUSPENDED,
    REQ_READY, /* response set, waiting to be queued */
    REQ_QUEUED,
};

struct resp_header {
    struct resp_header *next;
    const char *name, *value;
};

struct http_request {
    struct MHD_Connection *conn;
    struct http_server *srv;
    struct arena *arena;
    enum http_method method;
    const char *path;
    struct route_match match;
    struct buf body;
    size_t body_seen;
    _Atomic int state;
    int status;
    const char *content_type;
    const void *resp_body;
    size_t resp_len;
    struct resp_header *headers;
    http_resume_fn on_resume; /* set by http_resume_then, run on the pool thread */
    void *on_resume_arg;
    void *user;
    http_upgrade_fn upgrade; /* set by http_websocket_accept */
    http_abandon_fn abandon;
    void *upgrade_arg;
    _Atomic bool upgraded;
    char client_ip[INET6_ADDRSTRLEN];
};

struct http_server {
    struct MHD_Daemon **daemons; /* one per thread (server_start_daemon) */
    size_t ndaemons, ndaemons_max;
    struct http_server_opts opts;
};

/* ---- accessors ------------------------------------------------------------------------- */

struct arena *http_arena(struct http_request *req)
{
    return req->arena;
}

enum http_method http_method(const struct http_request *req)
{
    return req->method;
}

const char *http_path(const struct http_request *req)
{
    return req->path;
}

const char *http_header(struct http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *http_query(struct http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

struct query_each_ctx {
    void (*fn)(void *ctx, const char *k, const char *v);
    void *ctx;
};

static enum MHD_Result server_query_iter(void *cls, enum MHD_ValueKind kind, const char *key,
                                         const char *value)
{
    (void)kind;
    struct query_each_ctx *c = cls;
    c->fn(c->ctx, key, value ? value : "");
    return MHD_YES;
}

void http_query_each(struct http_request *req, void (*fn)(void *ctx, const char *k, const char *v),
                     void *ctx)
{
    struct query_each_ctx c = {fn, ctx};
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, server_query_iter, &c);
}

const char *http_param(const struct http_request *req, const char *name)
{
    size_t n = strlen(name);
    for (int i = 0; i < req->match.nparams; i++) {
        if (req->match.name_lens[i] == n && memcmp(req->match.names[i], name, n) == 0)
            return arena_slice_dup(req->arena, req->match.values[i]);
    }
    return NULL;
}

struct slice http_body(const struct http_request *req)
{
    return (struct slice){req->body.p ? req->body.p : "", req->body.len};
}

const char *http_client_ip(struct http_request *req)
{
    if (req->client_ip[0])
        return req->client_ip;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    if (sa && sa->sa_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
                  req->client_ip, sizeof req->client_ip);
    } else if (sa && sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a))
            inet_ntop(AF_INET, &a->s6_addr[12], req->client_ip, sizeof req->client_ip);
        else
            inet_ntop(AF_INET6, a, req->client_ip, sizeof req->client_ip);
    }
    return req->client_ip;
}

void http_set_user(struct http_request *req, void *data)
{
    req->user = data;
}

void *http_get_user(const struct http_request *req)
{
    return req->user;
}

/* ---- responses --------------------------------------------------------------------------- */

void http_respond(struct http_request *req, int status, const char *content_type, const void *body,
                  size_t len)
{
    void *copy = arena_alloc(req->arena, len ? len : 1);
    if (!copy) {
        /* over the request budget: a fixed, small answer */
        static const char oom[] = "{\"detail\":\"response too large\"}";
        status = 500;
        content_type = "application/json";
        body = oom;
        len = sizeof oom - 1;
    } else if (len) {
        memcpy(copy, body, len);
        body = copy;
    }
    req->status = status;
    req->content_type = content_type;
    req->resp_body = body;
    req->resp_len = len;
}

void http_respond_json(struct http_request *req, int status, const cJSON *json)
{
    char *s = cJSON_PrintUnformatted(json);
    if (!s) {
        http_respond_detail(req, 500, "out of memory");
        return;
    }
    http_respond(req, status, "application/json", s, strlen(s));
    cJSON_free(s);
}

void http_respond_detail(struct http_request *req, int status, const char *detail)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "detail", detail ? detail : "");
    http_respond_json(req, status, o);
    cJSON_Delete(o);
    if (req->match.route && (req->match.route->flags & ROUTE_INGEST) && detail)
        http_add_header(req, "X-Sentry-Error", detail);
}

void http_respond_err(struct http_request *req, enum err e, const struct errinfo *ei)
{
    const char *detail = ei && ei->detail[0] ? ei->detail : err_name(e);
    http_respond_detail(req, err_http_status(e), detail);
}

void http_add_header(struct http_request *req, const char *name, const char *value)
{
    struct resp_header *h = arena_alloc(req->arena, sizeof *h);
    if (!h)
        return;
    h->name = arena_strdup(req->arena, name);
    h->value = arena_strdup(req->arena, value);
    if (!h->name || !h->value)
        return;
    h->next = req->headers;
    req->headers = h;
}

/* ---- async ------------------------------------------------------------------------------- */

void http_suspend(struct http_request *req)
{
    atomic_store(&req->state, REQ_SUSPENDED);
    MHD_suspend_connection(req->conn);
}

void http_resume(struct http_request *req)
{
    atomic_store(&req->state, REQ_READY);
    MHD_resume_connection(req->conn);
}

void http_resume_then(struct http_request *req, http_resume_fn fn, void *arg)
{
    req->on_resume = fn;
    req->on_resume_arg = arg;
    http_resume(req);
}

/* ---- lifecycle --------------------------------------------------------------------------- */

static void server_add_cors(struct http_request *req, struct MHD_Response *r)
{
    MHD_add_response_header(r, "Access-Control-Allow-Origin", "*");
    MHD_add_response_header(r, "Access-Control-Expose-Headers",
                            "x-sentry-error, x-sentry-rate-limits, retry-after");
    if (req->method == HTTP_OPTIONS) {
        MHD_add_response_header(r, "Access-Control-Allow-Methods", "GET, POST, OPTIONS");
        MHD_add_response_header(r, "Access-Control-Allow-Headers",
                                "x-sentry-auth, x-requested-with, x-forwarded-for, origin, "
                                "referer, accept, content-type, authentication, authorization, "
                                "content-encoding, transfer-encoding, sentry-trace, baggage");
        MHD_add_response_header(r, "Access-Control-Max-Age", "3600");
    }
}

static void server_upgraded(void *cls, struct MHD_Connection *conn, void *req_cls,
                            const char *extra_in, size_t extra_in_size, MHD_socket sock,
                            struct MHD_UpgradeResponseHandle *urh)
{
    (void)conn;
    (void)req_cls;
    struct http_request *req = cls;
    atomic_store(&req->upgraded, true);
    req->upgrade(req->upgrade_arg, sock, extra_in, extra_in_size, (struct http_upgraded *)urh);
}

void http_upgraded_close(struct http_upgraded *h)
{
    MHD_upgrade_action((struct MHD_UpgradeResponseHandle *)h, MHD_UPGRADE_ACTION_CLOSE);
}

/* Whether the comma-separated header value holds token (case-insensitive). */
static bool server_header_has(const char *v, const char *token)
{
    size_t n = strlen(token);
    while (v && *v) {
        v += strspn(v, " \t,");
        size_t len = strcspn(v, ",");
        size_t t = len;
        while (t && (v[t - 1] == ' ' || v[t - 1] == '\t'))
            t--;
        if (t == n && strncasecmp(v, token, n) == 0)
            return true;
        v += len;
    }
    return false;
}

bool http_websocket_accept(struct http_request *req, http_upgrade_fn fn, http_abandon_fn abandon,
                           void *arg)
{
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    const char *key = http_header(req, "Sec-WebSocket-Key");
    const char *ver = http_header(req, "Sec-WebSocket-Version");
    if (req->method != HTTP_GET || !server_header_has(http_header(req, "Upgrade"), "websocket") ||
        !server_header_has(http_header(req, "Connection"), "upgrade") || !ver ||
        strcmp(ver, "13") != 0 || !key || strlen(key) != 24) {
        http_respond_detail(req, 400, "expected a WebSocket (version 13) handshake");
        http_add_header(req, "Sec-WebSocket-Version", "13");
        return false;
    }
    char cat[24 + sizeof guid];
    memcpy(cat, key, 24);
    memcpy(cat + 24, guid, sizeof guid);
    unsigned char sha[SHA_DIGEST_LENGTH];
    SHA1((const unsigned char *)cat, strlen(cat), sha);
    char accept[32];
    EVP_EncodeBlock((unsigned char *)accept, sha, SHA_DIGEST_LENGTH);
    http_respond(req, MHD_HTTP_SWITCHING_PROTOCOLS, "text/plain", "", 0);
    http_add_header(req, "Upgrade", "websocket");
    http_add_header(req, "Connection", "Upgrade");
    http_add_header(req, "Sec-WebSocket-Accept", accept);
    req->upgrade = fn;
    req->abandon = abandon;
    req->upgrade_arg = arg;
    return true;
}

static enum MHD_Result server_queue_upgrade(struct http_request *req)
{
    struct MHD_Response *r = MHD_create_response_for_upgrade(server_upgraded, req);
    if (!r)
        return MHD_NO;
    for (struct resp_header *h = req->headers; h; h = h->next)
        MHD_add_response_header(r, h->name, h->value);
    enum MHD_Result ret = MHD_queue_response(req->conn, MHD_HTTP_SWITCHING_PROTOCOLS, r);
    MHD_destroy_response(r);
    atomic_store(&req->state, REQ_QUEUED);
    return ret;
}

static enum MHD_Result server_queue(struct http_request *req)
{
    if (req->upgrade && req->status == MHD_HTTP_SWITCHING_PROTOCOLS)
        return server_queue_upgrade(req);
    if (!req->content_type)
        http_respond_detail(req, 500, "no response");
    struct MHD_Response *r = MHD_create_response_from_buffer(
        req->resp_len, (void *)(uintptr_t)req->resp_body, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", req->content_type);
    for (struct resp_header *h = req->headers; h; h = h->next)
        MHD_add_response_header(r, h->name, h->value);
    if (req->match.ingest_path)
        server_add_cors(req, r);
    enum MHD_Result ret = MHD_queue_response(req->conn, (unsigned)req->status, r);
    MHD_destroy_response(r);
    atomic_store(&req->state, REQ_QUEUED);
    return ret;
}

static struct http_request *server_request_new(struct http_server *srv, struct MHD_Connection *conn,
                                               const char *url, const char *method)
{
    struct http_request *req = xcalloc(1, sizeof *req);
    req->conn = conn;
    req->srv = srv;
    req->arena = arena_new(ARENA_REQUEST_BUDGET);
    req->method = http_method_parse(method);
    req->path = arena_strdup(req->arena, url);
    buf_init(&req->body, 0);
    atomic_store(&req->state, REQ_READING);
    return req;
}

/* First call: route, and refuse early what can be refused before reading the body. */
static enum MHD_Result server_begin(struct http_request *req)
{
    const struct http_server_opts *o = &req->srv->opts;
    if (!route_find(o->routes, o->nroutes, req->method, req->path, &req->match)) {
        if (req->method == HTTP_OPTIONS && req->match.ingest_path)
            http_respond(req, 200, "text/plain", "", 0);
        else if (req->match.path_matched)
            http_respond_detail(req, 405, "method not allowed");
        else
            http_respond_detail(req, 404, "not found");
        return server_queue(req);
    }
    req->body.max = req->match.route->body_limit;
    const char *cl = http_header(req, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl) {
        char *end;
        unsigned long long n = strtoull(cl, &end, 10);
        if (end != cl && n > req->body.max) {
            /* Read and drop a moderately oversized body so the client sees the 413; refuse
             * a huge one at once. */
            if (n / SERVER_DRAIN_FACTOR > req->body.max) {
                http_respond_detail(req, 413, "request body too large");
                return server_queue(req);
            }
            atomic_store(&req->state, REQ_TOO_BIG);
        }
    }
    return MHD_YES;
}

static enum MHD_Result server_upload(struct http_request *req, const char *data, size_t *size)
{
    size_t n = *size;
    *size = 0;
    req->body_seen += n;
    if (atomic_load(&req->state) == REQ_TOO_BIG) {
        size_t cap = req->body.max ? req->body.max : 1;
        return req->body_seen / SERVER_DRAIN_FACTOR > cap ? MHD_NO : MHD_YES;
    }
    if (buf_append(&req->body, data, n) != E_OK) {
        atomic_store(&req->state, REQ_TOO_BIG);
        buf_free(&req->body);
    }
    return MHD_YES;
}

static enum MHD_Result server_access(void *cls, struct MHD_Connection *conn, const char *url,
                                     const char *method, const char *version,
                                     const char *upload_data, size_t *upload_data_size,
                                     void **con_cls)
{
    (void)version;
    struct http_server *srv = cls;
    struct http_request *req = *con_cls;
    if (!req) {
        req = server_request_new(srv, conn, url, method);
        *con_cls = req;
        return server_begin(req);
    }
    if (*upload_data_size)
        return server_upload(req, upload_data, upload_data_size);
    switch (atomic_load(&req->state)) {
    case REQ_READING:
        if (req->match.route->handler(req, srv->opts.app) == HANDLER_SUSPENDED)
            return MHD_YES;
        return server_queue(req);
    case REQ_TOO_BIG:
        http_respond_detail(req, 413, "request body too large");
        return server_queue(req);
    case REQ_READY:
        if (req->on_resume)
            req->on_resume(req, req->on_resume_arg);
        return server_queue(req);
    case REQ_SUSPENDED:
    case REQ_QUEUED:
    default:
        return MHD_YES;
    }
}

static void server_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                             enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    struct http_request *req = *con_cls;
    if (!req)
        return;
    if (req->upgrade && !atomic_load(&req->upgraded))
        req->abandon(req->upgrade_arg);
    buf_free(&req->body);
    arena_free(req->arena);
    free(req);
    *con_cls = NULL;
}

__attribute__((format(printf, 2, 0))) static void server_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && msg[n - 1] == '\n')
        msg[--n] = '\0';
    log_warn("http: %s", msg);
}

/* One MHD daemon per thread, each with its own listening socket on the port (SO_REUSEPORT):
 * the kernel spreads new connections over them. MHD's own thread pool shares one socket, and
 * a burst of connections then lands mostly on whichever thread wakes first, which left one
 * core doing nearly all the requests. */
static struct MHD_Daemon *server_start_daemon(struct http_server *s, unsigned flags, int port,
                                              const struct sockaddr *addr)
{
    unsigned limit = SERVER_CONNECTION_LIMIT / (unsigned)s->ndaemons_max;
    return MHD_start_daemon(
        flags, (uint16_t)port, NULL, NULL, server_access, s, MHD_OPTION_EXTERNAL_LOGGER, server_log,
        s, MHD_OPTION_NOTIFY_COMPLETED, server_completed, s, MHD_OPTION_LISTENING_ADDRESS_REUSE,
        s->ndaemons_max > 1 ? 1u : 0u, MHD_OPTION_CONNECTION_TIMEOUT, 60u,
        MHD_OPTION_CONNECTION_LIMIT, limit < 64 ? 64u : limit, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)(32 * 1024), addr ? MHD_OPTION_SOCK_ADDR : MHD_OPTION_END, addr, MHD_OPTION_END);
}

/* SO_REUSEPORT would also let a second process share the port unnoticed: before binding,
 * check with an ordinary socket that nobody listens there. */
static bool server_port_taken(const struct sockaddr *addr, socklen_t len)
{
    int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false; /* no such family here: MHD will say so */
    int one = 1, zero = 0;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (addr->sa_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    bool taken = bind(fd, addr, len) != 0 && errno == EADDRINUSE;
    close(fd);
    return taken;
}

/* Parses the bind address into *ss (port filled in by the caller); *flags gets the family's
 * MHD flag. An empty or wildcard address gives family 0 (MHD's own dual-stack default). */
static enum err server_bind_addr(const char *bind, struct sockaddr_storage *ss, unsigned *flags,
                                 struct errinfo *ei)
{
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
    if (!*bind || strcmp(bind, "0.0.0.0") == 0 || strcmp(bind, "::") == 0)
        return E_OK;
    if (inet_pton(AF_INET, bind, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        return E_OK;
    }
    if (inet_pton(AF_INET6, bind, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        *flags |= MHD_USE_IPv6;
        return E_OK;
    }
    return errinfo_set(ei, E_INVALID, "SNAG_BIND is not an IP address: %s", bind);
}

static void server_set_port(struct sockaddr_storage *ss, int port)
{
    if (ss->ss_family == AF_INET)
        ((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
    else if (ss->ss_family == AF_INET6)
        ((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
}

/* The first daemon; for a wildcard address, dual stack when the host has IPv6. */
static struct MHD_Daemon *server_start_first(struct http_server *s, unsigned *flags,
                                             struct sockaddr_storage *ss)
{
    int port = s->opts.port;
    if (ss->ss_family) {
        server_set_port(ss, port);
        return server_start_daemon(s, *flags, port, (const struct sockaddr *)ss);
    }
    struct MHD_Daemon *d = server_start_daemon(s, *flags | MHD_USE_DUAL_STACK, port, NULL);
    if (d)
        *flags |= MHD_USE_DUAL_STACK;
    else
        d = server_start_daemon(s, *flags, port, NULL);
    return d;
}

static bool server_any_taken(const struct http_server *s, const struct sockaddr_storage *ss)
{
    if (s->opts.port == 0)
        return false;
    struct sockaddr_storage probe = *ss;
    if (!probe.ss_family) {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&probe;
        a6->sin6_family = AF_INET6;
        a6->sin6_addr = in6addr_any;
        a6->sin6_port = htons((uint16_t)s->opts.port);
        if (server_port_taken((struct sockaddr *)&probe, sizeof *a6))
            return true;
        struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = a6->sin6_port};
        return server_port_taken((struct sockaddr *)&a4, sizeof a4);
    }
    server_set_port(&probe, s->opts.port);
    return server_port_taken((struct sockaddr *)&probe, probe.ss_family == AF_INET
                                                            ? sizeof(struct sockaddr_in)
                                                            : sizeof(struct sockaddr_in6));
}

enum err http_server_start(const struct http_server_opts *o, struct http_server **out,
                           struct errinfo *ei)
{
    jsonx_init(); /* before the server threads use cJSON */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | (o->epoll ? MHD_USE_EPOLL : MHD_USE_POLL) |
                     MHD_ALLOW_SUSPEND_RESUME | MHD_ALLOW_UPGRADE | MHD_USE_ERROR_LOG;
    struct sockaddr_storage ss;
    enum err e = server_bind_addr(o->bind, &ss, &flags, ei);
    if (e)
        return e;
    struct http_server *s = xcalloc(1, sizeof *s);
    s->opts = *o;
    s->ndaemons_max = o->threads > 1 ? (size_t)o->threads : 1;
    s->daemons = xcalloc(s->ndaemons_max, sizeof *s->daemons);
    if (s->ndaemons_max > 1 && server_any_taken(s, &ss)) {
        http_server_stop(s);
        return errinfo_set(ei, E_IO, "cannot listen on %s port %d: in use", o->bind, o->port);
    }
    s->daemons[0] = server_start_first(s, &flags, &ss);
    if (!s->daemons[0]) {
        http_server_stop(s);
        return errinfo_set(ei, E_IO, "cannot listen on %s port %d", o->bind, o->port);
    }
    s->ndaemons = 1;
    int port = http_server_port(s); /* the same for all, also when o->port is 0 */
    server_set_port(&ss, port);
    for (; s->ndaemons < s->ndaemons_max; s->ndaemons++) {
        const struct sockaddr *addr = ss.ss_family ? (const struct sockaddr *)&ss : NULL;
        s->daemons[s->ndaemons] = server_start_daemon(s, flags, port, addr);
        if (!s->daemons[s->ndaemons]) {
            http_server_stop(s);
            return errinfo_set(ei, E_IO, "cannot listen on %s port %d", o->bind, port);
        }
    }
    *out = s;
    return E_OK;
}

void http_server_quiesce(struct http_server *s)
{
    for (size_t i = 0; i < s->ndaemons; i++) {
        MHD_socket fd = MHD_quiesce_daemon(s->daemons[i]);
        if (fd == MHD_INVALID_SOCKET)
            continue;
        /* closed, or the kernel would queue connections on it; shut down first, as the
         * thread's poll() may still hold it open for a moment after the close */
        shutdown(fd, SHUT_RDWR);
        close(fd);
    }
}

void http_server_stop(struct http_server *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->ndaemons; i++)
        MHD_stop_daemon(s->daemons[i]);
    free(s->daemons);
    free(s);
}

int http_server_port(const struct http_server *s)
{
    const union MHD_DaemonInfo *i = MHD_get_daemon_info(s->daemons[0], MHD_DAEMON_INFO_BIND_PORT);
    return i ? i->port : 0;
}
