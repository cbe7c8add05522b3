/* ratelimit: per-client-key rate limits for ingest ("count events per window seconds", a
 * key's rateLimit). A pure, thread-safe module: it knows nothing of HTTP or the store; the
 * caller passes the key's limit and the current time and gets "allowed" or "retry after N
 * seconds" (for 429 + Retry-After).
 *
 * DESIGN
 * - A sliding-window counter: per key the counts of the current and the previous fixed
 *   window; the estimate is current + previous × (the part of the previous window still
 *   inside the sliding one). Two integers per key, no per-event memory.
 * - Memory is bounded: a fixed open-addressing table of `capacity` slots (rounded up to a
 *   power of two) split into shards, each with its own mutex. A key probes a few slots; when
 *   none is free it takes the least recently used one of them (that key then starts afresh,
 *   which can only let a little more through, never block a key wrongly).
 * - Refused requests are not counted, so a client that keeps retrying is not locked out
 *   for longer than its window. */
#ifndef SNAG_API_RATELIMIT_H
#define SNAG_API_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RATELIMIT_DEFAULT_CAPACITY 65536
#define RATELIMIT_PROBES 8

struct ratelimit;

/* capacity: most keys tracked at once (0: RATELIMIT_DEFAULT_CAPACITY). Aborts on OOM. */
struct ratelimit *ratelimit_new(size_t capacity);
void ratelimit_free(struct ratelimit *rl);

/* Counts one request of key_id against a limit of count per window seconds at time now
 * (epoch seconds). True when allowed (and counted); false when over the limit, with
 * *retry_after (may be NULL) set to the whole seconds, at least 1, until one is allowed
 * again. A limit with window <= 0 or count <= 0 is no limit (always true, nothing kept). */
bool ratelimit_hit(struct ratelimit *rl, int64_t key_id, int64_t window, int64_t count, double now,
                   int *retry_after);

#endif
