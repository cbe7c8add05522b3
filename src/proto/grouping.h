/* proto/grouping: Sentry's default grouping (shared/protocol.md §8) over a normalised event —
 * a custom fingerprint (with {{ default }} and the other variables), else the exception types
 * plus their in-app frames (module or filename, and function; never line numbers), else the
 * whole stack trace, else the message template with parameters masked, else the fallback —
 * and the issue title, culprit and metadata as Sentry computes them. */
#ifndef SNAG_PROTO_GROUPING_H
#define SNAG_PROTO_GROUPING_H

#include <cjson/cJSON.h>

#include "core/arena.h"
#include "core/err.h"
#include "proto/event.h"

/* Fills io->hash, io->type, io->title, io->culprit, io->metadata_json from an event that
 * proto_event_normalize() has already processed, and writes "title", "culprit", "type" and
 * "metadata" into the event object (the stored event carries them, as Sentry's does). */
enum err proto_event_group(struct arena *a, cJSON *event, struct event_summary *io,
                           struct errinfo *ei) WUR;

#endif
