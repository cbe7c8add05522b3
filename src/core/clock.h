/* clock: wall time as float epoch seconds, with a process-wide override for tests
 * (retention, drift correction). Thread-safe. */
#ifndef SNAG_CORE_CLOCK_H
#define SNAG_CORE_CLOCK_H

#include <time.h>

double clock_now(void);
/* Monotonic seconds, for measuring durations. */
double clock_mono(void);
/* The absolute time secs (>= 0) from now on clock clk, as pthread_cond_timedwait() takes it
 * (clk: the clock the condition variable was created with). Real time, never the fake one. */
struct timespec clock_deadline(clockid_t clk, double secs);
/* t > 0 freezes clock_now() at t; t == 0 returns to the real clock. */
void clock_set_fake(double t);

/* Formats t as ISO 8601 UTC with microseconds, e.g. 2026-11-25T08:00:00.123456Z.
 * out must hold 32 bytes. */
void clock_format_iso(double t, char out[32]);
/* Parses RFC 3339 / ISO 8601 (offset optional, meaning UTC; fraction optional).
 * Returns 0 and sets *t, or -1. */
int clock_parse_iso(const char *s, double *t);

#endif
