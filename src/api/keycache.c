/* keycache: client keys cached for KEYCACHE_TTL seconds (see keycache.h). */
#include "api/keycache.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "core/xmalloc.h"

#define KEYCACHE_LOCKS 64
#define KEYCACHE_KEY_MAX 64

struct keycache_slot {
    char public_key[KEYCACHE_KEY_MAX + 1]; /* "" when empty */
    bool found;
    double fetched;
    int64_t id, project_id, rate_window, rate_count;
    bool active;
};

struct keycache {
    pthread_mutex_t locks[KEYCACHE_LOCKS];
    struct keycache_slot slots[KEYCACHE_SLOTS];
};

struct keycache *keycache_new(void)
{
    struct keycache *kc = xcalloc(1, sizeof *kc);
    for (int i = 0; i < KEYCACHE_LOCKS; i++)
        pthread_mutex_init(&kc->locks[i], NULL);
    return kc;
}

void keycache_free(struct keycache *kc)
{
    if (!kc)
        return;
    for (int i = 0; i < KEYCACHE_LOCKS; i++)
        pthread_mutex_destroy(&kc->locks[i]);
    free(kc);
}

static size_t keycache_index(const char *key)
{
    return (size_t)(hash_fnv1a(key, HASH_FNV1A_BASIS) % KEYCACHE_SLOTS);
}

/* Copies a fresh entry for key out of its slot; false when absent or stale. */
static bool keycache_get(struct keycache *kc, size_t i, const char *key, double now,
                         struct keycache_slot *copy)
{
    pthread_mutex_t *mu = &kc->locks[i % KEYCACHE_LOCKS];
    pthread_mutex_lock(mu);
    const struct keycache_slot *s = &kc->slots[i];
    bool hit =
        strcmp(s->public_key, key) == 0 && now - s->fetched < KEYCACHE_TTL && now >= s->fetched;
    if (hit)
        *copy = *s;
    pthread_mutex_unlock(mu);
    return hit;
}

static void keycache_put(struct keycache *kc, size_t i, const struct keycache_slot *fresh)
{
    pthread_mutex_t *mu = &kc->locks[i % KEYCACHE_LOCKS];
    pthread_mutex_lock(mu);
    kc->slots[i] = *fresh;
    pthread_mutex_unlock(mu);
}

void keycache_forget(struct keycache *kc, const char *public_key)
{
    if (!kc || !public_key)
        return;
    size_t i = keycache_index(public_key);
    pthread_mutex_t *mu = &kc->locks[i % KEYCACHE_LOCKS];
    pthread_mutex_lock(mu);
    if (strcmp(kc->slots[i].public_key, public_key) == 0)
        kc->slots[i].public_key[0] = '\0';
    pthread_mutex_unlock(mu);
}

void keycache_clear(struct keycache *kc)
{
    if (!kc)
        return;
    for (size_t i = 0; i < KEYCACHE_SLOTS; i++) {
        pthread_mutex_t *mu = &kc->locks[i % KEYCACHE_LOCKS];
        pthread_mutex_lock(mu);
        kc->slots[i].public_key[0] = '\0';
        pthread_mutex_unlock(mu);
    }
}

enum err keycache_lookup(struct keycache *kc, struct store *st, struct arena *a,
                         const char *public_key, double now, struct store_key *out)
{
    size_t len = strlen(public_key);
    if (len == 0 || len > KEYCACHE_KEY_MAX)
        return store_key_by_public(st, a, public_key, out);
    size_t i = keycache_index(public_key);
    struct keycache_slot s;
    if (!keycache_get(kc, i, public_key, now, &s)) {
        enum err e = store_key_by_public(st, a, public_key, out);
        if (e && e != E_NOTFOUND)
            return e;
        memset(&s, 0, sizeof s);
        memcpy(s.public_key, public_key, len + 1);
        s.found = e == E_OK;
        s.fetched = now;
        if (s.found) {
            s.id = out->id;
            s.project_id = out->project_id;
            s.active = out->active;
            s.rate_window = out->rate_window;
            s.rate_count = out->rate_count;
        }
        keycache_put(kc, i, &s);
        return e;
    }
    if (!s.found)
        return E_NOTFOUND;
    memset(out, 0, sizeof *out);
    out->id = s.id;
    out->project_id = s.project_id;
    out->active = s.active;
    out->rate_window = s.rate_window;
    out->rate_count = s.rate_count;
    out->public_key = arena_strdup(a, public_key);
    return out->public_key ? E_OK : E_NOMEM;
}
