/* proto/auth: the Sentry ingest credentials — the `Sentry k=v, …` header grammar used by
 * X-Sentry-Auth and `Authorization: Sentry …`, and DSN parsing (envelope-header `dsn`).
 * Pure functions: bytes in, slices out (slices point into the input). */
#ifndef SNAG_PROTO_AUTH_H
#define SNAG_PROTO_AUTH_H

#include "core/err.h"
#include "core/slice.h"

struct sentry_auth {
    struct slice key;    /* sentry_key (required) */
    struct slice client; /* sentry_client, may be empty */
    int version;         /* sentry_version, 7 when absent */
};

/* Parses "Sentry sentry_key=…, sentry_version=7, …" (prefix case-insensitive, whitespace
 * around keys and values trimmed, unknown keys and sentry_secret ignored; like Relay, keys are
 * also accepted without their "sentry_" prefix, and a later duplicate wins). The slices point
 * into value. E_AUTH with detail when the prefix or sentry_key is missing or sentry_version is
 * not a number (Relay: bad auth, 401); E_PARSE (400) for a sentry_version above 7. */
enum err proto_auth_parse_header(const char *value, struct sentry_auth *out,
                                 struct errinfo *ei) WUR;

struct dsn {
    struct slice scheme;     /* http or https */
    struct slice public_key; /* user part before ':' */
    struct slice host;       /* host[:port] */
    struct slice path;       /* prefix path, may be empty */
    struct slice project_id; /* last path segment */
};

/* Parses {scheme}://{public_key}[:{secret}]@{host}[:{port}]{prefix}/{project_id} (scheme http
 * or https, any case; one trailing '/', a query and a fragment are ignored; the secret is
 * skipped). Slices point into s. E_PARSE with detail when a part is missing or malformed. */
enum err proto_dsn_parse(struct slice s, struct dsn *out, struct errinfo *ei) WUR;

#endif
