/* err: the one project-wide error enum, the optional human-readable detail that travels
 * with it, and the single mapping from an error to an HTTP status. */
#ifndef SNAG_CORE_ERR_H
#define SNAG_CORE_ERR_H

#include <stddef.h>

#define WUR __attribute__((warn_unused_result))

enum err {
    E_OK = 0,
    E_NOMEM,
    E_TOOBIG,      /* over a size limit: 413 */
    E_PARSE,       /* malformed input: 400 */
    E_INVALID,     /* well-formed but unacceptable value: 400 */
    E_AUTH,        /* missing or bad credentials: 401 */
    E_FORBIDDEN,   /* credentials fine, not allowed: 403 */
    E_NOTFOUND,    /* 404 */
    E_CONFLICT,    /* already exists: 409 */
    E_UNSUPPORTED, /* e.g. unknown Content-Encoding: 415 */
    E_IO,
    E_DB,
    E_UNAVAILABLE, /* database down, overloaded: 503 */
    E__MAX
};

/* Optional out-parameter: a short message for people (goes into {"detail": ...}). */
struct errinfo {
    char detail[256];
};

/* Sets ei->detail (printf-style) when ei is not NULL; returns code so callers can
 * `return errinfo_set(ei, E_PARSE, "...")`. */
enum err errinfo_set(struct errinfo *ei, enum err code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

int err_http_status(enum err e);
const char *err_name(enum err e);

#endif
