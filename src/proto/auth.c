/* proto/auth: parses the `Sentry k=v, …` credentials header (X-Sentry-Auth and
 * `Authorization: Sentry …`) and DSN strings. Every result is a slice into the caller's
 * input; nothing is allocated (shared/protocol.md §1). */
#include "proto/auth.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#define AUTH_PROTOCOL_VERSION 7
#define AUTH_VERSION_DIGITS 9 /* more digits than this is "too new" without overflowing */

static bool auth_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static struct slice slice_trim(struct slice s)
{
    while (s.len && auth_is_space(s.p[0])) {
        s.p++;
        s.len--;
    }
    while (s.len && auth_is_space(s.p[s.len - 1]))
        s.len--;
    return s;
}

/* The position of c in s, or s.len when absent. */
static size_t slice_find(struct slice s, char c)
{
    const char *q = s.len ? memchr(s.p, c, s.len) : NULL;
    return q ? (size_t)(q - s.p) : s.len;
}

/* Relay accepts the keys with and without their `sentry_` prefix. */
static struct slice auth_key_name(struct slice k)
{
    if (k.len > 7 && strncasecmp(k.p, "sentry_", 7) == 0)
        return (struct slice){k.p + 7, k.len - 7};
    return k;
}

/* The integer part before an optional '.', as Relay reads it. Empty means the default. */
static enum err auth_parse_version(struct slice v, int *out, struct errinfo *ei)
{
    size_t n = slice_find(v, '.');
    if (n == 0 && v.len == 0) {
        *out = AUTH_PROTOCOL_VERSION;
        return E_OK;
    }
    if (n == 0)
        return errinfo_set(ei, E_AUTH, "invalid sentry_version");
    int ver = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)v.p[i]))
            return errinfo_set(ei, E_AUTH, "invalid sentry_version");
        if (i < AUTH_VERSION_DIGITS)
            ver = ver * 10 + (v.p[i] - '0');
    }
    if (n > AUTH_VERSION_DIGITS || ver > AUTH_PROTOCOL_VERSION)
        return errinfo_set(ei, E_PARSE, "unsupported protocol version (%.*s)", (int)n, v.p);
    *out = ver;
    return E_OK;
}

/* Applies one `key=value` pair; unknown keys (and sentry_secret, sentry_timestamp) are
 * ignored. */
static enum err auth_apply_pair(struct slice pair, struct sentry_auth *out, struct errinfo *ei)
{
    size_t eq = slice_find(pair, '=');
    struct slice key = auth_key_name(slice_trim((struct slice){pair.p, eq}));
    struct slice val = {"", 0};
    if (eq < pair.len)
        val = slice_trim((struct slice){pair.p + eq + 1, pair.len - eq - 1});
    if (slice_eq_cstr(key, "key"))
        out->key = val;
    else if (slice_eq_cstr(key, "client"))
        out->client = val;
    else if (slice_eq_cstr(key, "version"))
        return auth_parse_version(val, &out->version, ei);
    return E_OK;
}

enum err proto_auth_parse_header(const char *value, struct sentry_auth *out, struct errinfo *ei)
{
    *out = (struct sentry_auth){.key = {"", 0}, .client = {"", 0}, .version = 7};
    if (!value)
        return errinfo_set(ei, E_AUTH, "missing authorization information");
    while (auth_is_space(*value))
        value++;
    if (strncasecmp(value, "sentry", 6) != 0 || !auth_is_space(value[6]))
        return errinfo_set(ei, E_AUTH, "authorization header is not of the form 'Sentry …'");
    struct slice rest = slice_from_cstr(value + 7);
    while (rest.len) {
        size_t comma = slice_find(rest, ',');
        enum err e = auth_apply_pair((struct slice){rest.p, comma}, out, ei);
        if (e)
            return e;
        if (comma == rest.len)
            break;
        rest.p += comma + 1;
        rest.len -= comma + 1;
    }
    if (!out->key.len)
        return errinfo_set(ei, E_AUTH, "missing sentry_key in authorization header");
    return E_OK;
}

/* ---- DSN ------------------------------------------------------------------------------ */

/* Splits "{scheme}://" off s. */
static enum err dsn_scheme(struct slice *s, struct dsn *out, struct errinfo *ei)
{
    size_t colon = slice_find(*s, ':');
    if (colon == s->len || s->len - colon < 3 || memcmp(s->p + colon, "://", 3) != 0)
        return errinfo_set(ei, E_PARSE, "DSN has no scheme");
    out->scheme = (struct slice){s->p, colon};
    bool http = colon == 4 && strncasecmp(s->p, "http", 4) == 0;
    bool https = colon == 5 && strncasecmp(s->p, "https", 5) == 0;
    if (!http && !https)
        return errinfo_set(ei, E_PARSE, "DSN scheme must be http or https");
    s->p += colon + 3;
    s->len -= colon + 3;
    return E_OK;
}

/* An optional ":port" after the host must be digits. */
static bool dsn_port_ok(struct slice host)
{
    size_t start = 0;
    if (host.len && host.p[0] == '[') {
        start = slice_find(host, ']');
        if (start == host.len)
            return false;
    }
    struct slice tail = {host.p + start, host.len - start};
    size_t colon = slice_find(tail, ':');
    if (colon == tail.len)
        return true;
    if (colon + 1 == tail.len)
        return false;
    for (size_t i = colon + 1; i < tail.len; i++)
        if (!isdigit((unsigned char)tail.p[i]))
            return false;
    return true;
}

/* Splits "{public_key}[:{secret}]@{host}[:{port}]" out of the authority. */
static enum err dsn_authority(struct slice auth, struct dsn *out, struct errinfo *ei)
{
    const char *at = NULL;
    for (size_t i = 0; i < auth.len; i++)
        if (auth.p[i] == '@')
            at = auth.p + i;
    if (!at)
        return errinfo_set(ei, E_PARSE, "DSN has no public key");
    struct slice user = {auth.p, (size_t)(at - auth.p)};
    out->public_key = (struct slice){user.p, slice_find(user, ':')};
    out->host = (struct slice){at + 1, auth.len - user.len - 1};
    if (!out->public_key.len)
        return errinfo_set(ei, E_PARSE, "DSN has no public key");
    if (!out->host.len || !dsn_port_ok(out->host))
        return errinfo_set(ei, E_PARSE, "DSN has no valid host");
    return E_OK;
}

/* Splits "{prefix}/{project_id}" (query and fragment ignored, one trailing '/' tolerated). */
static enum err dsn_path(struct slice path, struct dsn *out, struct errinfo *ei)
{
    size_t end = 0;
    while (end < path.len && path.p[end] != '?' && path.p[end] != '#')
        end++;
    if (end > 1 && path.p[end - 1] == '/')
        end--;
    size_t slash = end;
    while (slash > 0 && path.p[slash - 1] != '/')
        slash--;
    if (slash == 0 || slash == end)
        return errinfo_set(ei, E_PARSE, "DSN has no project id");
    out->path = (struct slice){path.p, slash - 1};
    out->project_id = (struct slice){path.p + slash, end - slash};
    return E_OK;
}

enum err proto_dsn_parse(struct slice s, struct dsn *out, struct errinfo *ei)
{
    memset(out, 0, sizeof *out);
    s = slice_trim(s);
    enum err e = dsn_scheme(&s, out, ei);
    if (e)
        return e;
    size_t auth_end = 0;
    while (auth_end < s.len && s.p[auth_end] != '/' && s.p[auth_end] != '?' && s.p[auth_end] != '#')
        auth_end++;
    e = dsn_authority((struct slice){s.p, auth_end}, out, ei);
    if (e)
        return e;
    return dsn_path((struct slice){s.p + auth_end, s.len - auth_end}, out, ei);
}
