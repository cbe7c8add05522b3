/* hist: a latency histogram in microseconds for the load generator — log-linear buckets
 * (exact below 1 ms, then 64 per power of two: under 1.6 % error) up to about nine hours, so
 * recording is one increment and percentiles need no stored samples. */
#ifndef SNAG_BENCH_HIST_H
#define SNAG_BENCH_HIST_H

#include <stdint.h>

#define HIST_LINEAR 1024 /* exact microseconds below this */
#define HIST_SUB 64      /* buckets per power of two above it */
#define HIST_BUCKETS (HIST_LINEAR + 26 * HIST_SUB)

struct hist {
    uint64_t count[HIST_BUCKETS];
    uint64_t n, max_us;
};

void hist_add(struct hist *h, uint64_t us);
/* The value at quantile q (0..1) in microseconds; 0 when empty. */
uint64_t hist_quantile(const struct hist *h, double q);

#endif
