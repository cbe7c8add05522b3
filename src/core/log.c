/* log: stderr logger, safe to call from any thread (one fprintf per line). */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static enum log_level log_min = LOG_INFO;

void log_set_level(enum log_level level)
{
    log_min = level;
}

__attribute__((format(printf, 2, 0))) static void log_vwrite(const char *tag, const char *fmt,
                                                             va_list ap)
{
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char ts[32];
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(stderr, "%s %s %s\n", ts, tag, msg);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    static const char *tags[] = {"DEBUG", "INFO", "WARN", "ERROR"};
    if (level < log_min)
        return;
    va_list ap;
    va_start(ap, fmt);
    log_vwrite(tags[level], fmt, ap);
    va_end(ap);
}

void fatal(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vwrite("FATAL", fmt, ap);
    va_end(ap);
    exit(status);
}
