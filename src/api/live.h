/* live: the broadcast hub behind GET /api/0/live/ — what the ingest writer commits, pushed
 * as small JSON messages to the WebSocket connections of the users allowed to see it.
 *
 * DESIGN
 * - The writer calls live_publish() after each committed batch; with several nodes on one
 *   PostgreSQL database the store's listener thread (store_live_listen) calls
 *   live_publish_remote() with the events the other nodes committed, which become the very
 *   same messages. Neither blocks on a client: with no subscriber it returns at once;
 *   otherwise it formats the messages and appends them to the hub's inbox under a short lock
 *   (LIVE_INBOX_MAX at most; past that the messages are dropped and every subscriber is told
 *   to resync), then wakes the hub's thread.
 * - Everything else runs on one thread (the WebSocket thread, http/websocket.h): live_pump()
 *   resolves each message's project to its organization (cached; the only store call), and
 *   hands it to every subscriber whose scope holds that organization (superusers: all) via
 *   the send function. When a subscriber's queue is full the message is dropped and the
 *   subscriber marked: it gets {"type":"resync"} as soon as there is room again, and its
 *   client refetches what it shows.
 * - Messages: {"type":"event","eventId","issueId","projectId","title","level"} (ids as
 *   strings, like the REST API), {"type":"hello"} on connect, {"type":"resync"}. */
#ifndef SNAG_API_LIVE_H
#define SNAG_API_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/http.h"
#include "store/store.h"

#define LIVE_INBOX_MAX 4096
#define LIVE_MAX_CONNS 512
#define LIVE_MAX_ORGS 256 /* orgs remembered per subscriber; more and it sees only these */
#define LIVE_PING_SECS 25
#define LIVE_IDLE_SECS 70

struct live;
struct live_sub;

/* The organization of a project, or -1 (unknown: the message is dropped). Hub thread. */
typedef int64_t (*live_org_fn)(void *ctx, int64_t project_id);
/* Queues msg for one subscriber's connection; false when its queue is full. Hub thread. */
typedef bool (*live_send_fn)(void *conn, const char *msg, size_t len);
/* Asks the hub thread to run live_pump() soon; must not block. Any thread. */
typedef void (*live_wake_fn)(void *ctx);

struct live_hooks {
    live_org_fn org_of;
    live_send_fn send;
    live_wake_fn wake;
    void *ctx; /* for org_of and wake */
};

/* The hub alone (tests drive it directly). */
struct live *live_hub_new(const struct live_hooks *h);
void live_hub_free(struct live *lv);
/* Writer thread: messages for the committed, non-duplicate events of the batch. lv may be
 * NULL. */
void live_publish(struct live *lv, const struct store_event_in *evs, size_t n);
/* The store's listener thread: events another node committed; n == 0 means some were missed
 * (the listener was disconnected), so every subscriber is told to resync. lv may be NULL. */
void live_publish_remote(struct live *lv, const struct store_live_event *evs, size_t n);
/* Hub thread. A subscriber sees the orgs listed (copied), or everything when all. */
struct live_sub *live_subscribe(struct live *lv, void *conn, bool all, const int64_t *orgs,
                                size_t norgs);
void live_unsubscribe(struct live *lv, struct live_sub *sub);
void live_pump(struct live *lv);

/* The whole feature for `snag serve`: hub, WebSocket thread, store lookups, and the store's
 * listener for the other nodes' events (PostgreSQL). */
struct app;
struct live *live_start(struct app *app);
/* Closes every connection; call after the writer stopped, before the HTTP server stops. */
void live_stop(struct live *lv);
/* GET /api/0/live/: the WebSocket handshake; without an Upgrade header, 200
 * {"enabled", "connections"}. */
enum handler_result h_live(struct http_request *req, void *app);

#endif
