/* http: the request/response API handlers see, the route table type, and the server
 * (libmicrohttpd with a thread pool on epoll).
 *
 * DESIGN
 * - One struct http_request per HTTP request, with its own arena (http_arena) that lives
 *   until the response has been sent; everything a handler allocates comes from it.
 * - The server reads the body (bounded by the route's body_limit, 413 past it), then calls
 *   the handler once. A handler either sets the response and returns HANDLER_DONE, or calls
 *   http_suspend() and returns HANDLER_SUSPENDED: the connection then holds no pool thread
 *   until some other thread sets the response and calls http_resume().
 * - Routes flagged ROUTE_INGEST get the CORS policy browser SDKs need (any origin, exposed
 *   rate-limit headers) on every answer, and their OPTIONS preflights are answered here. */
#ifndef SNAG_HTTP_HTTP_H
#define SNAG_HTTP_HTTP_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/slice.h"

enum http_method {
    HTTP_GET,
    HTTP_HEAD,
    HTTP_POST,
    HTTP_PUT,
    HTTP_PATCH,
    HTTP_DELETE,
    HTTP_OPTIONS,
    HTTP_OTHER,
    HTTP__MAX
};

enum handler_result { HANDLER_DONE, HANDLER_SUSPENDED };

struct http_request;
typedef enum handler_result (*http_handler_fn)(struct http_request *req, void *app);

#define ROUTE_INGEST 1u /* CORS for browser SDKs; X-Sentry-Error on errors */

struct route {
    enum http_method method;
    /* "/api/{project_id}/store/": {name} matches one path segment; a last segment {*name}
     * matches the rest of the path (zero or more segments, without the leading slash) and
     * answers only its own method (no 405 from it) */
    const char *pattern;
    http_handler_fn handler;
    size_t body_limit; /* bytes accepted as they arrive; 0 = no body expected */
    unsigned flags;
};

/* ---- request ---------------------------------------------------------------------------- */

struct arena *http_arena(struct http_request *req);
enum http_method http_method(const struct http_request *req);
const char *http_path(const struct http_request *req);
/* Header or query value, NULL when absent. */
const char *http_header(struct http_request *req, const char *name);
const char *http_query(struct http_request *req, const char *name);
/* Calls fn for every query argument in order (values already %-decoded). */
void http_query_each(struct http_request *req, void (*fn)(void *ctx, const char *k, const char *v),
                     void *ctx);
/* Value of a {name} segment of the matched route, NULL when absent. */
const char *http_param(const struct http_request *req, const char *name);
/* The body received (NUL-terminated; p is never NULL). */
struct slice http_body(const struct http_request *req);
/* Peer address as text. */
const char *http_client_ip(struct http_request *req);
/* Per-request slot for the handler's own state across suspend/resume. */
void http_set_user(struct http_request *req, void *data);
void *http_get_user(const struct http_request *req);

/* ---- response ---------------------------------------------------------------------------- */

/* Each sets the response (replacing an earlier one); body bytes are copied. */
void http_respond(struct http_request *req, int status, const char *content_type, const void *body,
                  size_t len);
void http_respond_json(struct http_request *req, int status, const cJSON *json);
/* {"detail": detail} */
void http_respond_detail(struct http_request *req, int status, const char *detail);
/* Status from err_http_status(e); detail from ei when set, else the error's name. */
void http_respond_err(struct http_request *req, enum err e, const struct errinfo *ei);
/* Adds a response header (copied). */
void http_add_header(struct http_request *req, const char *name, const char *value);

/* ---- async ---------------------------------------------------------------------------------- */

/* Call from the handler before returning HANDLER_SUSPENDED. */
void http_suspend(struct http_request *req);
/* From any thread, after setting the response. */
void http_resume(struct http_request *req);
/* From any thread, without setting the response: fn(req, arg) sets it, called on the
 * request's own pool thread just before the response is sent. Keeps a busy thread that
 * resumes many requests (the ingest writer) to a store and a wake-up per request. */
typedef void (*http_resume_fn)(struct http_request *req, void *arg);
void http_resume_then(struct http_request *req, http_resume_fn fn, void *arg);

/* ---- WebSocket upgrade ------------------------------------------------------------------- */

/* The upgraded connection, owned by whoever received it until http_upgraded_close(). */
struct http_upgraded;
/* Called once on an MHD thread after the 101 was sent: fd is the raw socket (bytes the
 * client sent after the request head, if any, are in extra), h closes it. */
typedef void (*http_upgrade_fn)(void *arg, int fd, const char *extra, size_t extra_len,
                                struct http_upgraded *h);
/* Called instead of fn when the upgrade never happened (the client went away). */
typedef void (*http_abandon_fn)(void *arg);
/* Checks the RFC 6455 handshake (GET, Upgrade: websocket, Sec-WebSocket-Version: 13, a
 * Sec-WebSocket-Key) and sets the 101 response that hands the socket to fn; answers 400 and
 * returns false otherwise (then neither fn nor abandon is called). */
bool http_websocket_accept(struct http_request *req, http_upgrade_fn fn, http_abandon_fn abandon,
                           void *arg);
/* Closes the upgraded connection (once; any thread). */
void http_upgraded_close(struct http_upgraded *h);

/* ---- server ---------------------------------------------------------------------------------- */

struct http_server_opts {
    const char *bind;
    int port;
    int threads;
    bool epoll; /* epoll instead of poll(): for thousands of open connections per thread */
    const struct route *routes;
    size_t nroutes;
    void *app; /* passed to every handler */
};

struct http_server;
enum err http_server_start(const struct http_server_opts *o, struct http_server **out,
                           struct errinfo *ei) WUR;
/* Stops accepting new connections; requests in flight continue. */
void http_server_quiesce(struct http_server *s);
void http_server_stop(struct http_server *s);
/* Port actually bound (useful with port 0). */
int http_server_port(const struct http_server *s);

/* ---- routing (exposed for tests) ---------------------------------------------------------- */

#define ROUTE_MAX_PARAMS 4
struct route_match {
    const struct route *route;
    bool path_matched; /* some route matched the path (so a miss is 405, not 404) */
    bool ingest_path;  /* an ingest route matched the path (OPTIONS preflight answered) */
    const char *names[ROUTE_MAX_PARAMS];
    size_t name_lens[ROUTE_MAX_PARAMS];
    struct slice values[ROUTE_MAX_PARAMS];
    int nparams;
};
/* Matches method + path against the table; tolerates a missing trailing slash and repeated
 * slashes. Returns true when a route matched. */
bool route_find(const struct route *routes, size_t n, enum http_method m, const char *path,
                struct route_match *out);
enum http_method http_method_parse(const char *s);

#endif
