/* eventgen: realistic Sentry error events for the benchmark — the shapes the Python (Django)
 * and JavaScript (browser) SDKs send: a chained exception with in-app and library frames that
 * carry context lines and vars, breadcrumbs, contexts, request, user and tags; 2–3 KB each.
 *
 * The group number decides the grouping (function and module names differ per group; even
 * groups are Python, odd ones JavaScript), so N groups give N issues. Plain libc, so both the
 * load generator and the seeder (which links snaglib) can use it. */
#ifndef SNAG_BENCH_EVENTGEN_H
#define SNAG_BENCH_EVENTGEN_H

#include <stddef.h>

/* A 32-hex event id that occurs nowhere else in a generated body; the load generator puts
 * it in the templates and overwrites it per request. */
#define EVENTGEN_ID_PLACEHOLDER "5ea1ed0000000000000000000000beef"
#define EVENTGEN_ID_LEN 32

/* Writes the event JSON of group g with the given 32-hex event_id and epoch timestamp into
 * out (cap bytes, NUL-terminated). Returns its length, or 0 when cap is too small. */
size_t eventgen_event(char *out, size_t cap, unsigned g, const char *event_id, double ts);

/* The same event as an envelope: header line (event_id, sdk), item header, payload. */
size_t eventgen_envelope(char *out, size_t cap, unsigned g, const char *event_id, double ts);

#endif
