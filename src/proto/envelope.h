/* proto/envelope: the Sentry envelope framing (shared/protocol.md §3): a JSON header line,
 * then items, each a JSON header line and a payload delimited by `length` or by the next
 * newline. Items of unknown type are kept (the caller skips them). Parsing never copies
 * payload bytes: item payloads are slices into the input, which must outlive the result.
 * The JSON headers are cJSON trees owned by the arena. */
#ifndef SNAG_PROTO_ENVELOPE_H
#define SNAG_PROTO_ENVELOPE_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/slice.h"

struct envelope_item {
    cJSON *header;        /* the item header object */
    const char *type;     /* header "type" ("" when absent or not a string) */
    struct slice payload; /* the payload bytes (not decoded) */
};

struct envelope {
    cJSON *header;               /* envelope header object */
    struct envelope_item *items; /* arena array */
    size_t nitems;
};

/* Parses p[0..len). E_PARSE with a detail naming the offset for malformed framing (bad
 * header JSON, header not an object, length past the end, missing newline after a sized
 * payload, a negative or non-integer length), E_TOOBIG over LIMIT_ENVELOPE_ITEMS items or
 * when the arena's budget runs out. Blank lines between items are skipped; an item header at
 * the very end without a newline has an empty payload. On error *out is not usable. */
enum err proto_envelope_parse(struct arena *a, const char *p, size_t len, struct envelope *out,
                              struct errinfo *ei) WUR;

#endif
