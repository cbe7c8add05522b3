/* hist: log-linear latency histogram (see hist.h). */
#include "hist.h"

static unsigned hist_index(uint64_t us)
{
    if (us < HIST_LINEAR)
        return (unsigned)us;
    unsigned k = 63u - (unsigned)__builtin_clzll(us); /* 2^k <= us, k >= 10 */
    unsigned sub = (unsigned)(us >> (k - 6)) & (HIST_SUB - 1);
    unsigned i = HIST_LINEAR + (k - 10) * HIST_SUB + sub;
    return i < HIST_BUCKETS ? i : HIST_BUCKETS - 1;
}

/* The middle of bucket i, in microseconds. */
static uint64_t hist_value(unsigned i)
{
    if (i < HIST_LINEAR)
        return i;
    unsigned k = (i - HIST_LINEAR) / HIST_SUB + 10, sub = (i - HIST_LINEAR) % HIST_SUB;
    uint64_t lo = (1ull << k) + ((uint64_t)sub << (k - 6));
    return lo + (1ull << (k - 7));
}

void hist_add(struct hist *h, uint64_t us)
{
    h->count[hist_index(us)]++;
    h->n++;
    if (us > h->max_us)
        h->max_us = us;
}

uint64_t hist_quantile(const struct hist *h, double q)
{
    if (h->n == 0)
        return 0;
    uint64_t want = (uint64_t)(q * (double)h->n);
    if (want >= h->n)
        want = h->n - 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < HIST_BUCKETS; i++) {
        seen += h->count[i];
        if (seen > want)
            return hist_value(i) < h->max_us ? hist_value(i) : h->max_us;
    }
    return h->max_us;
}
