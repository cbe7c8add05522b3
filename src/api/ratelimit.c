/* ratelimit: sliding-window counters in a bounded, sharded table (ratelimit.h). */
#include "api/ratelimit.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>

#include "core/xmalloc.h"

#define RL_SHARDS 16

struct rl_slot {
    int64_t key_id; /* 0: free */
    int64_t window; /* the window length the counts belong to */
    int64_t start;  /* index of the current window: floor(now / window) */
    int64_t cur, prev;
    double last; /* last use, for eviction */
};

struct rl_shard {
    pthread_mutex_t mu;
    struct rl_slot *slots;
};

struct ratelimit {
    size_t per_shard; /* slots per shard, a power of two */
    struct rl_shard shards[RL_SHARDS];
};

static size_t rl_pow2(size_t n)
{
    size_t p = 1;
    while (p < n)
        p <<= 1;
    return p;
}

struct ratelimit *ratelimit_new(size_t capacity)
{
    struct ratelimit *rl = xcalloc(1, sizeof *rl);
    size_t cap = capacity ? capacity : RATELIMIT_DEFAULT_CAPACITY;
    rl->per_shard = rl_pow2((cap + RL_SHARDS - 1) / RL_SHARDS);
    if (rl->per_shard < RATELIMIT_PROBES)
        rl->per_shard = RATELIMIT_PROBES;
    for (int i = 0; i < RL_SHARDS; i++) {
        pthread_mutex_init(&rl->shards[i].mu, NULL);
        rl->shards[i].slots = xcalloc(rl->per_shard, sizeof(struct rl_slot));
    }
    return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
    if (!rl)
        return;
    for (int i = 0; i < RL_SHARDS; i++) {
        pthread_mutex_destroy(&rl->shards[i].mu);
        free(rl->shards[i].slots);
    }
    free(rl);
}

static uint64_t rl_hash(int64_t key)
{
    uint64_t x = (uint64_t)key;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}

/* The key's slot (claimed and reset if it had none): a match, else a free slot, else the
 * least recently used of the probed ones. */
static struct rl_slot *rl_find(struct ratelimit *rl, struct rl_shard *sh, uint64_t h,
                               int64_t key_id)
{
    size_t mask = rl->per_shard - 1;
    struct rl_slot *victim = NULL;
    for (size_t i = 0; i < RATELIMIT_PROBES; i++) {
        struct rl_slot *s = &sh->slots[(h + i) & mask];
        if (s->key_id == key_id)
            return s;
        if (s->key_id == 0 && (!victim || victim->key_id != 0))
            victim = s;
        else if (!victim || (victim->key_id != 0 && s->last < victim->last))
            victim = s;
    }
    *victim = (struct rl_slot){.key_id = key_id};
    return victim;
}

/* Moves the slot's counts to the window that now falls in. */
static void rl_advance(struct rl_slot *s, int64_t window, int64_t idx)
{
    if (s->window != window) {
        *s = (struct rl_slot){.key_id = s->key_id, .window = window, .start = idx};
        return;
    }
    if (idx == s->start)
        return;
    s->prev = idx == s->start + 1 ? s->cur : 0;
    s->cur = 0;
    s->start = idx;
}

/* Seconds until the estimate drops below count again (at least 1). */
static int rl_retry_after(const struct rl_slot *s, int64_t window, int64_t count, double now)
{
    double end = (double)(s->start + 1) * (double)window;
    double wait = end - now; /* the current window alone is full: wait for the next one */
    if (s->cur < count && s->prev > 0) {
        /* the previous window's share must fall to count - cur - 1 or less */
        double need = (double)(count - s->cur - 1) / (double)s->prev;
        double frac_now = (now - (double)s->start * (double)window) / (double)window;
        double at = (1.0 - need) - frac_now;
        wait = at > 0 ? at * (double)window : 1;
    }
    double w = ceil(wait);
    return w < 1 ? 1 : w > (double)window ? (int)(window > 1 ? window : 1) : (int)w;
}

bool ratelimit_hit(struct ratelimit *rl, int64_t key_id, int64_t window, int64_t count, double now,
                   int *retry_after)
{
    if (window <= 0 || count <= 0)
        return true;
    uint64_t h = rl_hash(key_id == 0 ? INT64_MIN : key_id);
    struct rl_shard *sh = &rl->shards[h % RL_SHARDS];
    int64_t idx = (int64_t)floor(now / (double)window);
    pthread_mutex_lock(&sh->mu);
    struct rl_slot *s = rl_find(rl, sh, h / RL_SHARDS, key_id == 0 ? INT64_MIN : key_id);
    rl_advance(s, window, idx);
    s->last = now;
    double frac = (now - (double)idx * (double)window) / (double)window;
    double estimate = (double)s->cur + (double)s->prev * (1.0 - frac);
    bool ok = estimate + 1.0 <= (double)count;
    if (ok)
        s->cur++;
    else if (retry_after)
        *retry_after = rl_retry_after(s, window, count, now);
    pthread_mutex_unlock(&sh->mu);
    return ok;
}
