/* proto/event: Sentry event normalisation (shared/protocol.md §7) and the summary that the
 * rest of snag needs from an event (the columns stored beside it, and its grouping).
 *
 * proto_event_normalize() rewrites a parsed event in place into snag's canonical stored form
 * (the shape Sentry stores: exception/breadcrumbs/threads as {"values":[...]}, tags as a list
 * of [key, value] pairs, logentry always an object with "formatted", timestamps as float
 * epoch seconds, strings trimmed to the limits in core/limits.h, invalid UTF-8 replaced), and
 * fills the first half of struct event_summary. proto_event_group() (proto/grouping.h) fills
 * the second half. All strings in the summary belong to the arena. */
#ifndef SNAG_PROTO_EVENT_H
#define SNAG_PROTO_EVENT_H

#include <cjson/cJSON.h>

#include "core/arena.h"
#include "core/err.h"

struct event_ctx {
    double received;       /* server receive time, epoch seconds */
    double sent_at;        /* envelope header sent_at, 0 when absent */
    const char *event_id;  /* envelope header event_id (32 lowercase hex) or NULL: wins */
    const char *client_ip; /* peer address, for {{auto}} and javascript platforms; may be NULL */
};

struct event_summary {
    /* filled by proto_event_normalize */
    char event_id[33]; /* 32 lowercase hex */
    double timestamp;  /* after drift correction */
    double received;
    const char *platform; /* never NULL ("other") */
    const char *level;    /* never NULL: fatal|error|warning|info|debug */
    const char *logger;   /* may be NULL, likewise below */
    const char *release;
    const char *dist;
    const char *environment;
    const char *transaction;
    const char *user_key; /* distinct-user key: "id:…", "email:…", "username:…", "ip:…" */
    const char *message;  /* logentry.formatted (for search), may be NULL */
    /* filled by proto_event_group */
    char hash[33];             /* grouping hash, 32 lowercase hex */
    const char *type;          /* "error" (has exception) or "default" */
    const char *title;         /* never NULL */
    const char *culprit;       /* never NULL, may be "" */
    const char *metadata_json; /* Sentry issue metadata as compact JSON object text */
};

/* E_PARSE/E_INVALID only when the document is not a JSON object; every other oddity is
 * repaired or dropped, never rejected. */
enum err proto_event_normalize(struct arena *a, cJSON *event, const struct event_ctx *ctx,
                               struct event_summary *out, struct errinfo *ei) WUR;

#endif
