/* err: error names and the error → HTTP status table. */
#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>

static const struct {
    int status;
    const char *name;
} err_table[E__MAX] = {
    [E_OK] = {200, "ok"},
    [E_NOMEM] = {500, "out of memory"},
    [E_TOOBIG] = {413, "payload too large"},
    [E_PARSE] = {400, "malformed input"},
    [E_INVALID] = {400, "invalid value"},
    [E_AUTH] = {401, "authentication required"},
    [E_FORBIDDEN] = {403, "forbidden"},
    [E_NOTFOUND] = {404, "not found"},
    [E_CONFLICT] = {409, "conflict"},
    [E_UNSUPPORTED] = {415, "unsupported"},
    [E_IO] = {500, "i/o error"},
    [E_DB] = {500, "database error"},
    [E_UNAVAILABLE] = {503, "service unavailable"},
};

enum err errinfo_set(struct errinfo *ei, enum err code, const char *fmt, ...)
{
    if (ei) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ei->detail, sizeof ei->detail, fmt, ap);
        va_end(ap);
    }
    return code;
}

int err_http_status(enum err e)
{
    if ((unsigned)e >= E__MAX)
        return 500;
    return err_table[e].status;
}

const char *err_name(enum err e)
{
    if ((unsigned)e >= E__MAX)
        return "unknown error";
    return err_table[e].name;
}
