/* proto/parameterize: the message normalisation Sentry applies before hashing a message or an
 * exception value (shared/protocol.md §8.5): keep the first two non-blank lines, then replace
 * variable parts (e-mail addresses, URLs, host names, IPs, UUIDs, hashes, dates, durations,
 * hex and decimal numbers, quoted strings and booleans after '=') by placeholders such as
 * <int>, so that "timeout after 35 s for id=42" and "... 12 s for id=7" group together. */
#ifndef SNAG_PROTO_PARAMETERIZE_H
#define SNAG_PROTO_PARAMETERIZE_H

#include "core/arena.h"

/* Sentry's trim_message_for_grouping: the first two non-blank lines joined by "\n" and
 * stripped; "..." appended when that differs from the input. Result in the arena, NULL over
 * budget. */
char *proto_trim_for_grouping(struct arena *a, const char *s);

/* Replaces variable parts of s by placeholders. Result in the arena, NULL over budget. */
char *proto_parameterize(struct arena *a, const char *s);

/* Both of the above: what the message and exception-value grouping components hash. */
char *proto_normalize_message(struct arena *a, const char *s);

#endif
