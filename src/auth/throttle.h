/* throttle: login throttling that does not reveal which accounts exist. Failed sign-ins are
 * counted per (client ip, lowercased email) and per client ip alone; past a free allowance
 * each further failure locks that key for an exponentially growing time (1 s, 2 s, 4 s, …,
 * at most THROTTLE_LOCK_MAX_SECS). Failures are forgotten after THROTTLE_WINDOW_SECS without
 * one (the window slides with each failure).
 *
 * Use: call throttle_check() before looking at the password and refuse (429, same body for
 * every account) while it is non-zero; call throttle_fail() on every failure — unknown email,
 * wrong password, wrong second factor alike — so the answer never depends on whether the
 * account exists; call throttle_success() after a full sign-in (it clears the pair, not the
 * ip's count, so one valid account cannot launder a password spray).
 *
 * DESIGN: a fixed-size, set-associative table allocated once: a key is hashed (keyed BLAKE2b,
 * random key per table, so nobody can aim at one set) to a set of THROTTLE_WAYS slots; a new
 * key takes a free or expired slot of its set, else the least recently failed one. Memory
 * never grows, whatever the traffic. Only 16-byte hashes are stored, never addresses or
 * emails. One mutex guards the table; every function is thread-safe. Times are passed in. */
#ifndef SNAG_AUTH_THROTTLE_H
#define SNAG_AUTH_THROTTLE_H

#include <stddef.h>

#define THROTTLE_SLOTS_DEFAULT 4096
#define THROTTLE_WAYS 8
#define THROTTLE_PAIR_FREE 4       /* failures per (ip, email) before the first lock */
#define THROTTLE_IP_FREE 19        /* failures per ip (any email) before the first lock */
#define THROTTLE_LOCK_MAX_SECS 900 /* the lock doubles from 1 s up to this */
#define THROTTLE_WINDOW_SECS 3600.0

struct throttle;

/* A table of about slots entries (0: THROTTLE_SLOTS_DEFAULT; rounded up to a multiple of
 * THROTTLE_WAYS). Aborts on out-of-memory; libsodium must be initialised. Free it with
 * throttle_free() (NULL is fine) once no thread uses it. ip and email below are the
 * caller's NUL-terminated strings, read only during the call. */
struct throttle *throttle_new(size_t slots);
void throttle_free(struct throttle *t);

/* Seconds the client must still wait (rounded up; 0 = may try now). */
unsigned throttle_check(struct throttle *t, const char *ip, const char *email, double now);

/* Records a failure for the pair and for the ip; returns the wait now in force. */
unsigned throttle_fail(struct throttle *t, const char *ip, const char *email, double now);

/* Forgets the pair's failures (the ip's count stays). */
void throttle_success(struct throttle *t, const char *ip, const char *email, double now);

/* The pair's failures in the current window (for logs and tests). */
unsigned throttle_failures(struct throttle *t, const char *ip, const char *email, double now);

/* Slots holding a live (not yet forgotten) key. */
size_t throttle_used(struct throttle *t, double now);

#endif
