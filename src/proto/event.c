/* proto/event: normalisation of one event into the shape Sentry stores (protocol.md §7) —
 * the entry point, the scalar attributes, timestamps and clock drift, user, request and
 * contexts, and the summary. Lists (exception, threads, breadcrumbs, logentry) live in
 * event_values.c, tags in event_tags.c.
 *
 * DESIGN: the cJSON tree is edited in place; new nodes come from cJSON's allocator and die
 * with the tree, scratch strings come from the arena. The first pass makes every string valid
 * UTF-8, so the later passes can cut strings at character boundaries in place. Nothing is
 * rejected: unusable values are dropped or replaced by defaults. */
#include "proto/event.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"
#include "core/ids.h"
#include "core/jsonx.h"
#include "core/limits.h"
#include "core/utf8.h"
#include "proto/event_int.h"

#define EV_MAX_DEPTH 1100 /* beyond cJSON's own parse nesting limit */
/* Fingerprint entries kept: each {{ default }} splices the whole default hash input. */

/* Legacy interface names Relay still accepts, renamed on input. */
static const char *const ev_aliases[][2] = {
    {"sentry.interfaces.Exception", "exception"},
    {"sentry.interfaces.Stacktrace", "stacktrace"},
    {"sentry.interfaces.Http", "request"},
    {"sentry.interfaces.User", "user"},
    {"sentry.interfaces.Breadcrumbs", "breadcrumbs"},
    {"sentry.interfaces.Contexts", "contexts"},
    {"sentry.interfaces.Template", "template"},
    {"sentry.interfaces.Csp", "csp"},
    {"sentry.interfaces.Hpkp", "hpkp"},
    {"sentry.interfaces.ExpectCT", "expectct"},
    {"sentry.interfaces.ExpectStaple", "expectstaple"},
    {"sentry.interfaces.Message", "logentry"},
};

const char *ev_text(struct arena *a, const cJSON *v)
{
    if (!v || cJSON_IsNull(v) || cJSON_IsInvalid(v))
        return NULL;
    if (cJSON_IsString(v))
        return v->valuestring;
    if (cJSON_IsBool(v))
        return cJSON_IsTrue(v) ? "true" : "false";
    return jsonx_print(a, v);
}

enum err ev_set_text(cJSON *it, const char *s)
{
    if (it->valuestring == s)
        return E_OK;
    return cJSON_SetValuestring(it, s) ? E_OK : E_NOMEM;
}

cJSON *ev_stringify(struct arena *a, cJSON *obj, const char *key)
{
    cJSON *it = jsonx_get(obj, key);
    if (!it)
        return NULL;
    const char *s = ev_text(a, it);
    if (!s || !*s) {
        cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
        return NULL;
    }
    if (cJSON_IsString(it))
        return it;
    return jsonx_set_str(obj, key, s);
}

bool ev_parse_ts(const cJSON *v, double *out)
{
    double t;
    if (cJSON_IsNumber(v)) {
        t = v->valuedouble;
    } else if (cJSON_IsString(v) && v->valuestring) {
        char *end = NULL;
        t = strtod(v->valuestring, &end);
        if (end == v->valuestring || *end != '\0') {
            if (clock_parse_iso(v->valuestring, &t) != 0)
                return false;
        }
    } else {
        return false;
    }
    if (!isfinite(t) || t < 0 || t >= 253402300800.0)
        return false;
    *out = round(t * 1e6) / 1e6;
    return true;
}

const char *ev_level_name(const cJSON *v)
{
    static const char *const names[][2] = {
        {"fatal", "fatal"}, {"error", "error"},    {"warning", "warning"},
        {"info", "info"},   {"debug", "debug"},    {"warn", "warning"},
        {"log", "info"},    {"critical", "fatal"}, {"trace", "debug"},
    };
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (!(d >= 10 && d <= 50))
            return NULL;
        return d < 20 ? "debug" : d < 30 ? "info" : d < 40 ? "warning" : d < 50 ? "error" : "fatal";
    }
    if (!cJSON_IsString(v) || !v->valuestring)
        return NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcasecmp(v->valuestring, names[i][0]) == 0)
            return names[i][1];
    }
    return NULL;
}

/* Replaces an object key that is not valid UTF-8. */
static enum err ev_rekey(struct arena *a, cJSON *it)
{
    char *fixed = utf8_sanitize(a, it->string, strlen(it->string));
    if (!fixed)
        return E_TOOBIG;
    size_t n = strlen(fixed) + 1;
    char *key = cJSON_malloc(n);
    if (!key)
        return E_NOMEM;
    memcpy(key, fixed, n);
    if (!(it->type & cJSON_StringIsConst))
        cJSON_free(it->string);
    it->string = key;
    it->type &= ~cJSON_StringIsConst;
    return E_OK;
}

/* True when s is valid UTF-8; one pass for the usual all-ASCII string, utf8_valid (which
 * needs the length) only past the first byte >= 0x80. */
static bool ev_utf8_ok(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    while (*u && *u < 0x80)
        u++;
    return !*u || utf8_valid((const char *)u, strlen((const char *)u));
}

/* Makes every key and string value in the tree valid UTF-8. */
static enum err ev_sanitize_tree(struct arena *a, cJSON *node, int depth)
{
    enum err rc = E_OK;
    for (cJSON *c = node->child; c && rc == E_OK; c = c->next) {
        if (c->string && !ev_utf8_ok(c->string))
            rc = ev_rekey(a, c);
        if (rc == E_OK && cJSON_IsString(c) && c->valuestring && !ev_utf8_ok(c->valuestring)) {
            char *fixed = utf8_sanitize(a, c->valuestring, strlen(c->valuestring));
            rc = fixed ? ev_set_text(c, fixed) : E_TOOBIG;
        }
        if (rc == E_OK && c->child && depth < EV_MAX_DEPTH)
            rc = ev_sanitize_tree(a, c, depth + 1);
    }
    return rc;
}

static void ev_rename_aliases(cJSON *ev)
{
    /* Legacy names are rare: one pass over the keys decides whether to look for each. */
    bool legacy = false;
    for (const cJSON *c = ev->child; c && !legacy; c = c->next)
        legacy = c->string && strncmp(c->string, "sentry.interfaces.", 18) == 0;
    for (size_t i = 0; legacy && i < sizeof ev_aliases / sizeof ev_aliases[0]; i++) {
        cJSON *old = jsonx_get(ev, ev_aliases[i][0]);
        if (!old)
            continue;
        cJSON_DetachItemViaPointer(ev, old);
        if (jsonx_get(ev, ev_aliases[i][1]) || !cJSON_AddItemToObject(ev, ev_aliases[i][1], old))
            cJSON_Delete(old);
    }
    cJSON *meta = jsonx_get(ev, "_meta");
    if (meta)
        cJSON_Delete(cJSON_DetachItemViaPointer(ev, meta));
}

static enum err ev_norm_event_id(struct norm *n, char out[33])
{
    const char *hdr = n->ctx ? n->ctx->event_id : NULL;
    const char *body = jsonx_str(n->ev, "event_id");
    if (!(hdr && ids_normalize_uuid(hdr, strlen(hdr), out)) &&
        !(body && ids_normalize_uuid(body, strlen(body), out)))
        ids_uuid4_hex(out);
    return jsonx_set_str(n->ev, "event_id", out) ? E_OK : E_NOMEM;
}

static bool ev_platform_ok(const char *s)
{
    size_t len = s ? strlen(s) : 0;
    if (len == 0 || len > 64)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!islower(c) && !isdigit(c) && c != '-' && c != '_' && c != '.')
            return false;
    }
    return true;
}

static enum err ev_norm_platform_level(struct norm *n)
{
    const char *platform = jsonx_str(n->ev, "platform");
    if (!ev_platform_ok(platform) && !jsonx_set_str(n->ev, "platform", "other"))
        return E_NOMEM;
    const char *level = ev_level_name(jsonx_get(n->ev, "level"));
    if (!level) {
        const char *type = jsonx_str(n->ev, "type");
        level = type && strcmp(type, "transaction") == 0 ? "info" : "error";
    }
    return jsonx_set_str(n->ev, "level", level) ? E_OK : E_NOMEM;
}

/* Strips leading and trailing whitespace of a string item in place. */
static void ev_strip(cJSON *it)
{
    char *s = it->valuestring;
    size_t len = strlen(s), b = 0;
    while (b < len && isspace((unsigned char)s[b]))
        b++;
    while (len > b && isspace((unsigned char)s[len - 1]))
        len--;
    memmove(s, s + b, len - b);
    s[len - b] = '\0';
}

/* A scalar attribute: stringified, stripped, cut to max_chars; removed when empty or when it
 * holds one of the characters in `bad`. */
static void ev_norm_attr(struct norm *n, const char *key, size_t max_chars, const char *bad)
{
    cJSON *it = ev_stringify(n->a, n->ev, key);
    if (!it)
        return;
    ev_strip(it);
    utf8_truncate(it->valuestring, max_chars);
    if (!*it->valuestring || (bad && strpbrk(it->valuestring, bad)))
        cJSON_DeleteItemFromObjectCaseSensitive(n->ev, key);
}

static void ev_norm_attrs(struct norm *n)
{
    ev_norm_attr(n, "logger", LIMIT_LOGGER_CHARS, "\r\n");
    ev_norm_attr(n, "release", LIMIT_RELEASE_CHARS, "\r\n\t");
    ev_norm_attr(n, "dist", LIMIT_DIST_CHARS, NULL);
    ev_norm_attr(n, "environment", LIMIT_ENVIRONMENT_CHARS, "\r\n/");
    ev_norm_attr(n, "transaction", LIMIT_TRANSACTION_CHARS, NULL);
    ev_norm_attr(n, "server_name", LIMIT_TAG_VALUE_CHARS, NULL);
    const char *server = jsonx_str(n->ev, "server_name");
    n->server_name = server ? arena_strdup(n->a, server) : NULL;
    cJSON_DeleteItemFromObjectCaseSensitive(n->ev, "server_name");
}

/* Adds shift to obj[key] when it holds a timestamp, leaving it as float seconds. */
static enum err ev_shift_ts(cJSON *obj, const char *key, double shift)
{
    double t;
    if (!ev_parse_ts(jsonx_get(obj, key), &t)) {
        cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
        return E_OK;
    }
    t = round((t + shift) * 1e6) / 1e6;
    return jsonx_set_num(obj, key, t) ? E_OK : E_NOMEM;
}

static enum err ev_shift_list(cJSON *ev, const char *iface, const char *list, double shift)
{
    cJSON *container = jsonx_obj(ev, iface);
    cJSON *items = container ? jsonx_arr(container, list) : jsonx_arr(ev, iface);
    cJSON *it;
    cJSON_ArrayForEach(it, items)
    {
        if (!cJSON_IsObject(it))
            continue;
        if (jsonx_get(it, "timestamp") && ev_shift_ts(it, "timestamp", shift) != E_OK)
            return E_NOMEM;
        if (jsonx_get(it, "start_timestamp") && ev_shift_ts(it, "start_timestamp", shift) != E_OK)
            return E_NOMEM;
    }
    return E_OK;
}

/* §7.4: out-of-range timestamps are moved to the receive time, clock drift reported by
 * sent_at shifts every timestamp of the event. */
static enum err ev_norm_timestamps(struct norm *n, double *ts_out)
{
    double r = n->received, ts = 0, shift = 0;
    double sent_at = n->ctx ? n->ctx->sent_at : 0;
    bool have = ev_parse_ts(jsonx_get(n->ev, "timestamp"), &ts);
    if (have && (ts > r + LIMIT_FUTURE_SECS || ts < r - LIMIT_PAST_SECS))
        shift = r - ts;
    else if (sent_at > 0 && fabs(r - sent_at) >= CLOCK_DRIFT_MIN_SECS)
        shift = r - sent_at;
    if (!have && !jsonx_set_num(n->ev, "timestamp", r))
        return E_NOMEM;
    if (ev_shift_ts(n->ev, "timestamp", have ? shift : 0) != E_OK)
        return E_NOMEM;
    if (jsonx_get(n->ev, "start_timestamp") && ev_shift_ts(n->ev, "start_timestamp", shift) != E_OK)
        return E_NOMEM;
    if (ev_shift_list(n->ev, "breadcrumbs", "values", shift) != E_OK ||
        ev_shift_list(n->ev, "spans", NULL, shift) != E_OK)
        return E_NOMEM;
    *ts_out = jsonx_num(n->ev, "timestamp", r);
    return jsonx_set_num(n->ev, "received", r) ? E_OK : E_NOMEM;
}

static bool ev_is_ip(const char *s)
{
    size_t len = s ? strlen(s) : 0;
    if (len < 2 || len > 45)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!isxdigit((unsigned char)s[i]) && s[i] != '.' && s[i] != ':')
            return false;
    }
    return true;
}

/* REMOTE_ADDR "{{auto}}" → client IP; returns the (possibly new) REMOTE_ADDR or NULL. */
static const char *ev_remote_addr(struct norm *n)
{
    cJSON *env = jsonx_obj(jsonx_obj(n->ev, "request"), "env");
    const char *ra = jsonx_str(env, "REMOTE_ADDR");
    if (ra && strcmp(ra, "{{auto}}") == 0) {
        const char *ip = n->ctx ? n->ctx->client_ip : NULL;
        if (!ip) {
            cJSON_DeleteItemFromObjectCaseSensitive(env, "REMOTE_ADDR");
            return NULL;
        }
        cJSON *it = jsonx_set_str(env, "REMOTE_ADDR", ip);
        return it ? it->valuestring : NULL;
    }
    return ev_is_ip(ra) ? ra : NULL;
}

/* §7.5: {{auto}} and the legacy client-side fill-in of user.ip_address. */
static enum err ev_norm_user_ip(struct norm *n, cJSON *user)
{
    const char *client = n->ctx ? n->ctx->client_ip : NULL;
    const char *platform = jsonx_str(n->ev, "platform");
    const char *ip = jsonx_str(user, "ip_address");
    const char *remote = ev_remote_addr(n);
    const char *fill = NULL;
    if (ip && strcmp(ip, "{{auto}}") == 0)
        fill = client;
    else if (ip && *ip)
        return E_OK;
    else if (remote)
        fill = remote;
    else if (platform && (!strcmp(platform, "javascript") || !strcmp(platform, "cocoa") ||
                          !strcmp(platform, "objc")))
        fill = client;
    if (!fill) {
        if (user)
            cJSON_DeleteItemFromObjectCaseSensitive(user, "ip_address");
        return E_OK;
    }
    if (!user) {
        user = cJSON_AddObjectToObject(n->ev, "user");
        if (!user)
            return E_NOMEM;
    }
    return jsonx_set_str(user, "ip_address", fill) ? E_OK : E_NOMEM;
}

static enum err ev_norm_user(struct norm *n)
{
    cJSON *user = jsonx_get(n->ev, "user");
    if (user && !cJSON_IsObject(user)) {
        cJSON_DeleteItemFromObjectCaseSensitive(n->ev, "user");
        user = NULL;
    }
    if (user) {
        static const char *const keys[] = {"id", "email", "username"};
        for (size_t i = 0; i < 3; i++) {
            cJSON *it = ev_stringify(n->a, user, keys[i]);
            if (it)
                utf8_truncate(it->valuestring, LIMIT_SUMMARY_CHARS);
        }
        ev_stringify(n->a, user, "ip_address");
    }
    return ev_norm_user_ip(n, user);
}

/* Splits "?query" and "#fragment" out of request.url. */
static enum err ev_norm_request(struct norm *n)
{
    cJSON *req = jsonx_get(n->ev, "request");
    if (req && !cJSON_IsObject(req)) {
        cJSON_DeleteItemFromObjectCaseSensitive(n->ev, "request");
        return E_OK;
    }
    cJSON *url = ev_stringify(n->a, req, "url");
    if (!url)
        return E_OK;
    char *s = url->valuestring;
    char *hash = strchr(s, '#');
    if (hash) {
        *hash = '\0';
        if (!jsonx_get(req, "fragment") && hash[1] && !jsonx_set_str(req, "fragment", hash + 1))
            return E_NOMEM;
    }
    char *q = strchr(s, '?');
    if (q) {
        *q = '\0';
        if (!jsonx_get(req, "query_string") && q[1] && !jsonx_set_str(req, "query_string", q + 1))
            return E_NOMEM;
    }
    return E_OK;
}

/* contexts: objects only, each with a type (defaulting to its alias). */
static enum err ev_norm_contexts(struct norm *n)
{
    cJSON *ctxs = jsonx_get(n->ev, "contexts");
    if (!ctxs)
        return E_OK;
    if (!cJSON_IsObject(ctxs)) {
        cJSON_DeleteItemFromObjectCaseSensitive(n->ev, "contexts");
        return E_OK;
    }
    cJSON *c = ctxs->child;
    while (c) {
        cJSON *next = c->next;
        if (!cJSON_IsObject(c))
            cJSON_Delete(cJSON_DetachItemViaPointer(ctxs, c));
        else if (!jsonx_str(c, "type") && !jsonx_set_str(c, "type", c->string))
            return E_NOMEM;
        c = next;
    }
    return E_OK;
}

/* fingerprint: an array of strings (scalars stringified, the rest dropped), else removed. */
static enum err ev_norm_fingerprint(struct norm *n)
{
    cJSON *fp = jsonx_get(n->ev, "fingerprint");
    if (!fp)
        return E_OK;
    cJSON *out = cJSON_IsArray(fp) ? cJSON_CreateArray() : NULL;
    cJSON *it;
    int kept = 0;
    cJSON_ArrayForEach(it, fp)
    {
        if ((!cJSON_IsString(it) && !cJSON_IsNumber(it) && !cJSON_IsBool(it)) ||
            kept >= LIMIT_FINGERPRINT_ENTRIES)
            continue;
        kept++;
        const char *s = ev_text(n->a, it);
        if (!s || !cJSON_AddItemToArray(out, cJSON_CreateString(s))) {
            cJSON_Delete(out);
            return E_NOMEM;
        }
    }
    if (!out || cJSON_GetArraySize(out) == 0) {
        cJSON_Delete(out);
        cJSON_DeleteItemFromObjectCaseSensitive(n->ev, "fingerprint");
        return E_OK;
    }
    return jsonx_set(n->ev, "fingerprint", out) ? E_OK : E_NOMEM;
}

static void ev_drop_unless_object(cJSON *ev, const char *key)
{
    cJSON *it = jsonx_get(ev, key);
    if (it && !cJSON_IsObject(it))
        cJSON_DeleteItemFromObjectCaseSensitive(ev, key);
}

const char *ev_user_key(struct arena *a, const cJSON *ev)
{
    static const char *const keys[][2] = {
        {"id", "id"}, {"email", "email"}, {"username", "username"}, {"ip_address", "ip"}};
    cJSON *user = jsonx_obj(ev, "user");
    for (size_t i = 0; i < 4; i++) {
        const char *v = jsonx_str(user, keys[i][0]);
        if (v && *v)
            return arena_concat(a, keys[i][1], ":", v, NULL);
    }
    return NULL;
}

static const char *ev_dup(struct norm *n, const char *key)
{
    const char *s = jsonx_str(n->ev, key);
    return s ? arena_strdup(n->a, s) : NULL;
}

static enum err ev_fill_summary(struct norm *n, struct event_summary *out)
{
    out->received = n->received;
    out->platform = ev_dup(n, "platform");
    out->level = ev_dup(n, "level");
    out->logger = ev_dup(n, "logger");
    out->release = ev_dup(n, "release");
    out->dist = ev_dup(n, "dist");
    out->environment = ev_dup(n, "environment");
    out->transaction = ev_dup(n, "transaction");
    out->user_key = ev_user_key(n->a, n->ev);
    const char *msg = jsonx_str(jsonx_obj(n->ev, "logentry"), "formatted");
    out->message = msg ? arena_strdup(n->a, msg) : NULL;
    if (!out->platform || !out->level)
        return E_TOOBIG;
    return E_OK;
}

static enum err ev_norm_interfaces(struct norm *n)
{
    enum err rc = ev_norm_logentry(n);
    if (rc == E_OK)
        rc = ev_norm_exceptions(n);
    if (rc == E_OK)
        rc = ev_norm_threads(n);
    if (rc == E_OK)
        rc = ev_norm_breadcrumbs(n);
    if (rc == E_OK)
        rc = ev_norm_user(n);
    if (rc == E_OK)
        rc = ev_norm_request(n);
    if (rc == E_OK)
        rc = ev_norm_contexts(n);
    if (rc == E_OK)
        rc = ev_norm_fingerprint(n);
    ev_drop_unless_object(n->ev, "sdk");
    ev_drop_unless_object(n->ev, "modules");
    ev_drop_unless_object(n->ev, "extra");
    return rc;
}

enum err proto_event_normalize(struct arena *a, cJSON *event, const struct event_ctx *ctx,
                               struct event_summary *out, struct errinfo *ei)
{
    enum err rc = E_OK;
    memset(out, 0, sizeof *out);
    if (!cJSON_IsObject(event))
        return errinfo_set(ei, E_PARSE, "event is not a JSON object");
    struct norm n = {.a = a, .ev = event, .ctx = ctx};
    n.received = ctx && ctx->received > 0 ? ctx->received : clock_now();
    rc = ev_sanitize_tree(a, event, 0);
    if (rc != E_OK)
        goto out;
    ev_rename_aliases(event);
    rc = ev_tags_client(&n);
    if (rc != E_OK)
        goto out;
    ev_norm_attrs(&n);
    rc = ev_norm_event_id(&n, out->event_id);
    if (rc == E_OK)
        rc = ev_norm_platform_level(&n);
    if (rc == E_OK)
        rc = ev_norm_interfaces(&n);
    if (rc == E_OK)
        rc = ev_norm_timestamps(&n, &out->timestamp);
    if (rc == E_OK)
        rc = ev_tags_derived(&n);
    if (rc == E_OK)
        rc = ev_fill_summary(&n, out);
out:
    if (rc != E_OK)
        errinfo_set(ei, rc, "cannot normalise event: %s", err_name(rc));
    return rc;
}
