/* websocket: a small server-push WebSocket server on libmicrohttpd's upgraded sockets, with
 * wslay doing the framing (RFC 6455).
 *
 * DESIGN
 * - One thread owns every upgraded connection: a poll() loop over their sockets (set
 *   non-blocking) and a wake-up pipe. Nothing else touches a connection, so a ws_conn needs
 *   no lock; other threads only call ws_server_wake(), which never blocks.
 * - Bounded: at most max_conns connections (503 past it, checked at the handshake); at most
 *   WS_MAX_QUEUED outgoing messages per connection (ws_conn_send_text says when it is full:
 *   the caller drops and tells the client to resync); client messages over WS_MAX_RECV are a
 *   protocol error. A protocol error or a client silent for idle_secs (it answers the pings
 *   sent every ping_secs with pongs) closes that one connection.
 * - The owner of the server sees connections through callbacks run on the server's thread:
 *   on_open when one is adopted, on_tick after every wake-up and every loop turn (send what
 *   is pending), on_close when it is gone. free_user runs (on any thread) for a user whose
 *   upgrade never completed. */
#ifndef SNAG_HTTP_WEBSOCKET_H
#define SNAG_HTTP_WEBSOCKET_H

#include <stdbool.h>
#include <stddef.h>

#include "http/http.h"

#define WS_MAX_QUEUED 64
#define WS_MAX_RECV 4096

struct ws_conn;
struct ws_server;

struct ws_server_opts {
    int max_conns;
    int ping_secs, idle_secs;
    void *ctx; /* first argument of the callbacks */
    void (*on_open)(void *ctx, struct ws_conn *c, void *user);
    void (*on_tick)(void *ctx);
    void (*on_close)(void *ctx, struct ws_conn *c, void *user);
    void (*free_user)(void *ctx, void *user);
};

struct ws_server *ws_server_start(const struct ws_server_opts *o);
/* Closes every connection (on_close for each) and stops the thread; s may be NULL. */
void ws_server_stop(struct ws_server *s);
/* From a handler: takes a connection slot and answers the handshake (101), or answers 503
 * (full) or 400 (not a WebSocket handshake) and returns false — then user stays the
 * caller's. On true, user belongs to the server (on_close or free_user releases it). */
bool ws_server_accept(struct ws_server *s, struct http_request *req, void *user);
/* Any thread; never blocks: on_tick will run soon. */
void ws_server_wake(struct ws_server *s);
/* Server thread only: queues a text message (copied); false when the connection already has
 * WS_MAX_QUEUED messages waiting or is closing. */
bool ws_conn_send_text(struct ws_conn *c, const char *msg, size_t len);
/* Connections open now (any thread). */
int ws_server_count(struct ws_server *s);

#endif
