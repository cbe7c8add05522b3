/* proto/event_int: what the files of the event-normalisation module (event.c, event_tags.c,
 * event_values.c) share. Not for use outside src/proto/event*.c. */
#ifndef SNAG_PROTO_EVENT_INT_H
#define SNAG_PROTO_EVENT_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "core/arena.h"
#include "core/err.h"
#include "proto/event.h"

/* One normalisation run. */
struct norm {
    struct arena *a;
    cJSON *ev;
    const struct event_ctx *ctx;
    double received;
    const char *server_name; /* taken out of the event, becomes a tag (arena) */
};

/* Text form of a JSON scalar for fields that must be strings: strings as they are, numbers
 * as JSON prints them, booleans "true"/"false", arrays and objects as compact JSON. NULL for
 * null, absent, or over budget. Result in the arena (or the string's own storage). */
const char *ev_text(struct arena *a, const cJSON *v);

/* Makes obj[key] a string holding its ev_text(); removes it when that is NULL or empty.
 * Returns the string item or NULL. */
cJSON *ev_stringify(struct arena *a, cJSON *obj, const char *key);

/* Replaces the text of string item it; E_NOMEM when cJSON cannot allocate. */
enum err ev_set_text(cJSON *it, const char *s) WUR;

/* A timestamp given as epoch seconds (number or numeric string) or ISO 8601 string, rounded
 * to microseconds. False when absent or unusable (negative, not finite, after year 9999). */
bool ev_parse_ts(const cJSON *v, double *out);

/* The canonical level name for a level value (string alias or Python number), else NULL. */
const char *ev_level_name(const cJSON *v);

/* The distinct-user key: "id:…", else "email:…", "username:…", "ip:…"; NULL without a
 * user. In the arena. */
const char *ev_user_key(struct arena *a, const cJSON *ev);

/* event_values.c: the interfaces that come as lists or free-form values. */
enum err ev_norm_logentry(struct norm *n) WUR;
enum err ev_norm_exceptions(struct norm *n) WUR;
enum err ev_norm_threads(struct norm *n) WUR;
enum err ev_norm_breadcrumbs(struct norm *n) WUR;

/* event_tags.c: client tags (run before the attributes are normalised; promotes an
 * `environment` tag) and the tags Sentry derives at save time (run last). */
enum err ev_tags_client(struct norm *n) WUR;
enum err ev_tags_derived(struct norm *n) WUR;

#endif
