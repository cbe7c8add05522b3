/* throttle: a bounded, set-associative table of sign-in failure counters with exponential
 * lock-out (see throttle.h for the policy and the DESIGN). */
#include "auth/throttle.h"

#include <math.h>
#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"

#define THROTTLE_KEY_BYTES 16
#define THROTTLE_MAX_FAILS (1u << 30) /* the counter saturates here */

struct slot {
    unsigned char key[THROTTLE_KEY_BYTES];
    double last_fail; /* 0: free; also the eviction order */
    double locked_until;
    unsigned fails;
};

struct throttle {
    pthread_mutex_t mu;
    size_t nsets;
    struct slot *slots; /* nsets * THROTTLE_WAYS */
    unsigned char hkey[crypto_generichash_KEYBYTES];
};

struct throttle *throttle_new(size_t slots)
{
    struct throttle *t = xcalloc(1, sizeof *t);
    if (slots == 0)
        slots = THROTTLE_SLOTS_DEFAULT;
    t->nsets = (slots + THROTTLE_WAYS - 1) / THROTTLE_WAYS;
    t->slots = xcalloc(t->nsets * THROTTLE_WAYS, sizeof *t->slots);
    crypto_generichash_keygen(t->hkey);
    pthread_mutex_init(&t->mu, NULL);
    return t;
}

void throttle_free(struct throttle *t)
{
    if (!t)
        return;
    pthread_mutex_destroy(&t->mu);
    free(t->slots);
    sodium_memzero(t->hkey, sizeof t->hkey);
    free(t);
}

/* kind 'p' keys the pair (ip, lowercased email), kind 'i' the ip alone. */
static void key_of(const struct throttle *t, char kind, const char *ip, const char *email,
                   unsigned char out[THROTTLE_KEY_BYTES])
{
    crypto_generichash_state st;
    unsigned char chunk[64];
    ip = ip ? ip : "";
    crypto_generichash_init(&st, t->hkey, sizeof t->hkey, THROTTLE_KEY_BYTES);
    crypto_generichash_update(&st, (const unsigned char *)&kind, 1);
    crypto_generichash_update(&st, (const unsigned char *)ip, strlen(ip) + 1);
    for (const char *e = email; e && *e;) {
        size_t n = 0;
        for (; *e && n < sizeof chunk; e++)
            chunk[n++] = (unsigned char)(*e >= 'A' && *e <= 'Z' ? *e + 32 : *e);
        crypto_generichash_update(&st, chunk, n);
    }
    crypto_generichash_final(&st, out, THROTTLE_KEY_BYTES);
}

static bool slot_live(const struct slot *s, double now)
{
    return s->last_fail > 0 &&
           (now - s->last_fail <= THROTTLE_WINDOW_SECS || s->locked_until > now);
}

static struct slot *set_of(const struct throttle *t, const unsigned char *key)
{
    uint64_t h;
    memcpy(&h, key, sizeof h);
    return t->slots + (size_t)(h % t->nsets) * THROTTLE_WAYS;
}

/* The live slot holding key, or NULL. */
static struct slot *slot_find(const struct throttle *t, const unsigned char *key, double now)
{
    struct slot *set = set_of(t, key);
    for (int i = 0; i < THROTTLE_WAYS; i++)
        if (slot_live(&set[i], now) && memcmp(set[i].key, key, THROTTLE_KEY_BYTES) == 0)
            return &set[i];
    return NULL;
}

/* The slot for key, taking a free or expired slot, else the least recently failed one. */
static struct slot *slot_take(const struct throttle *t, const unsigned char *key, double now)
{
    struct slot *s = slot_find(t, key, now);
    if (s)
        return s;
    struct slot *set = set_of(t, key);
    s = &set[0];
    for (int i = 0; i < THROTTLE_WAYS && slot_live(s, now); i++)
        if (!slot_live(&set[i], now) || set[i].last_fail < s->last_fail)
            s = &set[i];
    memset(s, 0, sizeof *s);
    memcpy(s->key, key, THROTTLE_KEY_BYTES);
    return s;
}

/* 1 s for the first failure over the allowance, doubling, capped. */
static double lock_secs(unsigned over)
{
    if (over >= 31 || (1u << (over - 1)) >= THROTTLE_LOCK_MAX_SECS)
        return THROTTLE_LOCK_MAX_SECS;
    return (double)(1u << (over - 1));
}

static void slot_fail(struct slot *s, unsigned allowance, double now)
{
    if (s->fails < THROTTLE_MAX_FAILS)
        s->fails++;
    s->last_fail = now > 0 ? now : 1e-9;
    if (s->fails > allowance) {
        double until = now + lock_secs(s->fails - allowance);
        if (until > s->locked_until)
            s->locked_until = until;
    }
}

static unsigned slot_wait(const struct slot *s, double now)
{
    if (!s || !(s->locked_until > now))
        return 0;
    double w = ceil(s->locked_until - now);
    return w > THROTTLE_LOCK_MAX_SECS ? THROTTLE_LOCK_MAX_SECS : (unsigned)w;
}

static unsigned max_u(unsigned a, unsigned b)
{
    return a > b ? a : b;
}

unsigned throttle_check(struct throttle *t, const char *ip, const char *email, double now)
{
    unsigned char pk[THROTTLE_KEY_BYTES], ik[THROTTLE_KEY_BYTES];
    key_of(t, 'p', ip, email, pk);
    key_of(t, 'i', ip, NULL, ik);
    pthread_mutex_lock(&t->mu);
    unsigned w =
        max_u(slot_wait(slot_find(t, pk, now), now), slot_wait(slot_find(t, ik, now), now));
    pthread_mutex_unlock(&t->mu);
    return w;
}

unsigned throttle_fail(struct throttle *t, const char *ip, const char *email, double now)
{
    unsigned char pk[THROTTLE_KEY_BYTES], ik[THROTTLE_KEY_BYTES];
    key_of(t, 'p', ip, email, pk);
    key_of(t, 'i', ip, NULL, ik);
    pthread_mutex_lock(&t->mu);
    struct slot *p = slot_take(t, pk, now);
    slot_fail(p, THROTTLE_PAIR_FREE, now);
    unsigned w = slot_wait(p, now);
    /* Taking the ip's slot may evict the pair's (same set): read the pair's wait first. */
    struct slot *i = slot_take(t, ik, now);
    slot_fail(i, THROTTLE_IP_FREE, now);
    w = max_u(w, slot_wait(i, now));
    pthread_mutex_unlock(&t->mu);
    return w;
}

void throttle_success(struct throttle *t, const char *ip, const char *email, double now)
{
    unsigned char pk[THROTTLE_KEY_BYTES];
    key_of(t, 'p', ip, email, pk);
    pthread_mutex_lock(&t->mu);
    struct slot *s = slot_find(t, pk, now);
    if (s)
        memset(s, 0, sizeof *s);
    pthread_mutex_unlock(&t->mu);
}

unsigned throttle_failures(struct throttle *t, const char *ip, const char *email, double now)
{
    unsigned char pk[THROTTLE_KEY_BYTES];
    key_of(t, 'p', ip, email, pk);
    pthread_mutex_lock(&t->mu);
    struct slot *s = slot_find(t, pk, now);
    unsigned n = s ? s->fails : 0;
    pthread_mutex_unlock(&t->mu);
    return n;
}

size_t throttle_used(struct throttle *t, double now)
{
    size_t n = 0;
    pthread_mutex_lock(&t->mu);
    for (size_t i = 0; i < t->nsets * THROTTLE_WAYS; i++)
        n += slot_live(&t->slots[i], now);
    pthread_mutex_unlock(&t->mu);
    return n;
}
