/* app: the context every handler receives — configuration, the store, the ingest writer and
 * the ingest counters. Built once by `snag serve` and passed explicitly (no globals). */
#ifndef SNAG_API_APP_H
#define SNAG_API_APP_H

#include <stdatomic.h>
#include <stddef.h>

#include "api/writer.h"
#include "core/config.h"
#include "http/http.h"
#include "store/store.h"

/* Envelope item types counted when accepted but not stored (yet). */
enum item_kind {
    ITEM_EVENT,
    ITEM_TRANSACTION,
    ITEM_ATTACHMENT,
    ITEM_SESSION,
    ITEM_SESSIONS,
    ITEM_CLIENT_REPORT,
    ITEM_CHECK_IN,
    ITEM_USER_REPORT,
    ITEM_FEEDBACK,
    ITEM_LOG,
    ITEM_SPAN,
    ITEM_PROFILE,
    ITEM_REPLAY,
    ITEM_OTHER,
    ITEM__MAX
};

struct throttle;
struct ratelimit;
struct keycache;
struct live;
struct mailq;
struct zdicts;

struct ingest_stats {
    atomic_ullong events_stored;
    atomic_ullong events_duplicate;
    atomic_ullong requests_rejected;
    atomic_ullong items_dropped[ITEM__MAX];
    atomic_ullong items_stored[ITEM__MAX]; /* items other than events that were kept */
};

struct app {
    const struct config *cfg;
    struct store *st;
    struct writer *writer;
    struct ingest_stats stats;
    double started;
    struct throttle *throttle;   /* failed sign-ins (auth/throttle.h); NULL: not throttled */
    struct ratelimit *ratelimit; /* per-key ingest limits (api/ratelimit.h); NULL: none */
    struct keycache *keys;       /* client keys for ingest (api/keycache.h); NULL: no cache */
    struct live *live;           /* live updates over WebSocket (api/live.h); NULL: none */
    struct mailq *mail;          /* outgoing mail (core/mailq.h); NULL: none is sent */
    struct zdicts *zdicts;       /* stored bodies' dictionaries (api/zdicts.h); NULL: none used */
};

/* The whole route table (api/routes.c). */
const struct route *app_routes(size_t *n);
/* Whether an /api/0/ route answers without credentials (the root, health, sign-in,
 * registration, password reset, the OpenAPI document); every other /api/0/ route answers 401
 * without them. */
bool app_route_public(const struct route *r);
const char *item_kind_name(enum item_kind k);

#endif
