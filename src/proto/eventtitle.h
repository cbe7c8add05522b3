/* proto/eventtitle: the issue title, metadata and culprit Sentry derives from a normalised
 * event (shared/protocol.md §8.7, §8.8; sentry eventtypes/error.py, eventtypes/base.py,
 * culprit.py). */
#ifndef SNAG_PROTO_EVENTTITLE_H
#define SNAG_PROTO_EVENTTITLE_H

#include <cjson/cJSON.h>

#include "core/arena.h"
#include "core/err.h"

/* Builds the metadata object (*meta, caller owns it: cJSON_Delete) and the title (arena)
 * of an event: {type, value, filename, function} for an error event, {title} for a message
 * ("default") event. An error whose last exception has no type but whose event carries a
 * message (@sentry/node's captureMessage with a synthetic stack trace) is titled by the
 * message. */
enum err proto_event_title(struct arena *a, const cJSON *event, cJSON **meta,
                           const char **title) WUR;

/* The culprit: the transaction, else the location of the crash frame, else request.url;
 * at most LIMIT_CULPRIT_CHARS characters; "" when nothing applies. NULL over budget. */
const char *proto_event_culprit(struct arena *a, const cJSON *event);

/* Sentry's truncatechars(): s when at most max characters, else its first max - 1
 * characters and "…". In the arena (or s itself); NULL over budget. */
const char *proto_truncate_chars(struct arena *a, const char *s, size_t max);

#endif
