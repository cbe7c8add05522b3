/* clock: real and fake time, ISO 8601 formatting and parsing. */
#include "core/clock.h"

#include <ctype.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static _Atomic double clock_fake;

double clock_now(void)
{
    double f = atomic_load(&clock_fake);
    if (f > 0)
        return f;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

double clock_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void clock_set_fake(double t)
{
    atomic_store(&clock_fake, t);
}

void clock_format_iso(double t, char out[32])
{
    if (!(t >= 0) || t > 253402300799.0)
        t = 0;
    time_t secs = (time_t)t;
    long usec = (long)llround((t - (double)secs) * 1e6);
    if (usec >= 1000000) {
        secs++;
        usec -= 1000000;
    }
    struct tm tm;
    gmtime_r(&secs, &tm);
    char tmp[96];
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, usec);
    memcpy(out, tmp, 31);
    out[31] = '\0';
}

static int clock_digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)**p))
            return -1;
        v = v * 10 + (**p - '0');
        (*p)++;
    }
    *out = v;
    return 0;
}

/* Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm). */
static long long clock_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int clock_parse_iso(const char *s, double *t)
{
    const char *p = s;
    int y, mo, d, h = 0, mi = 0, sec = 0;
    if (clock_digits(&p, 4, &y) || *p++ != '-' || clock_digits(&p, 2, &mo) || *p++ != '-' ||
        clock_digits(&p, 2, &d))
        return -1;
    double frac = 0;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (clock_digits(&p, 2, &h) || *p++ != ':' || clock_digits(&p, 2, &mi))
            return -1;
        if (*p == ':') {
            p++;
            if (clock_digits(&p, 2, &sec))
                return -1;
            if (*p == '.' || *p == ',') {
                p++;
                double scale = 0.1;
                if (!isdigit((unsigned char)*p))
                    return -1;
                while (isdigit((unsigned char)*p)) {
                    frac += (*p - '0') * scale;
                    scale /= 10;
                    p++;
                }
            }
        }
    }
    long offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1, oh, om = 0;
        p++;
        if (clock_digits(&p, 2, &oh))
            return -1;
        if (*p == ':')
            p++;
        if (isdigit((unsigned char)*p) && clock_digits(&p, 2, &om))
            return -1;
        offset = sign * (oh * 3600L + om * 60L);
    }
    if (*p != '\0')
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return -1;
    long long days = clock_days_from_civil(y, mo, d);
    *t = (double)(days * 86400LL + h * 3600LL + mi * 60LL + sec - offset) + frac;
    return 0;
}

struct timespec clock_deadline(clockid_t clk, double secs)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    double whole = floor(secs);
    ts.tv_sec += (time_t)whole;
    ts.tv_nsec += (long)((secs - whole) * 1e9);
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}
