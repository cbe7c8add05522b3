/* keycache: a short-lived cache of client keys for ingest, so the key check of every event
 * does not cost a database round trip (on PostgreSQL, a round trip and work in another
 * process). An entry — found or not found — is trusted for KEYCACHE_TTL seconds: a key
 * disabled, rotated or deleted stops working within that time, never later.
 *
 * DESIGN: a fixed table of KEYCACHE_SLOTS entries (bounded memory, whatever keys clients
 * send) indexed by a hash of the public key, each slot one key; a lookup that misses or finds
 * a stale entry asks the store and overwrites the slot. One mutex per slot group keeps the
 * critical sections to a copy. Thread-safe. */
#ifndef SNAG_API_KEYCACHE_H
#define SNAG_API_KEYCACHE_H

#include "core/arena.h"
#include "core/err.h"
#include "store/store.h"

#define KEYCACHE_TTL 1.0
#define KEYCACHE_SLOTS 4096

struct keycache;

struct keycache *keycache_new(void);
void keycache_free(struct keycache *kc);

/* Like store_key_by_public(): E_OK with *out (strings in a), E_NOTFOUND, or the store's
 * error (errors are not cached). now: clock_mono(). */
enum err keycache_lookup(struct keycache *kc, struct store *st, struct arena *a,
                         const char *public_key, double now, struct store_key *out) WUR;

/* Drops the entry of public_key / every entry, so this node sees a change made through its
 * own API at once (other nodes within KEYCACHE_TTL). */
void keycache_forget(struct keycache *kc, const char *public_key);
void keycache_clear(struct keycache *kc);

#endif
