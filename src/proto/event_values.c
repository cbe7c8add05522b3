/* proto/event_values: the interfaces that arrive in several shapes — exception, threads and
 * breadcrumbs ({"values":[…]}, a bare list or one object → {"values":[…]}), stack traces
 * (frames checked, capped and trimmed) and logentry/message (a string or an object; formatted
 * filled in by interpolating the parameters). */
#include <ctype.h>
#include <string.h>

#include "core/buf.h"
#include "core/jsonx.h"
#include "core/limits.h"
#include "core/utf8.h"
#include "proto/event_int.h"

/* Placeholders filled per message; the rest stay as written (bounds the work that hostile
 * templates and parameter lists can cause). */

/* Removes the elements of arr that are not objects. */
static void vals_only_objects(cJSON *arr)
{
    cJSON *c = arr->child;
    while (c) {
        cJSON *next = c->next;
        if (!cJSON_IsObject(c))
            cJSON_Delete(cJSON_DetachItemViaPointer(arr, c));
        c = next;
    }
}

/* Wraps it (detached by the caller) as {"values": it} or {"values": [it]} under key. */
static cJSON *vals_wrap(cJSON *ev, const char *key, cJSON *it, bool as_list)
{
    cJSON *box = cJSON_CreateObject();
    cJSON *list = as_list ? it : cJSON_CreateArray();
    if (!box || !list || (!as_list && !cJSON_AddItemToArray(list, it)) ||
        !cJSON_AddItemToObject(box, "values", list)) {
        cJSON_Delete(box);
        cJSON_Delete(list);
        if (!as_list)
            cJSON_Delete(it);
        return NULL;
    }
    return jsonx_set(ev, key, box) ? list : NULL;
}

/* Brings ev[key] into the {"values":[objects…]} shape. Returns the values array, or NULL when
 * the key is absent, unusable (then removed), or on OOM. */
static cJSON *vals_normalize(cJSON *ev, const char *key)
{
    cJSON *it = jsonx_get(ev, key);
    cJSON *list = NULL;
    if (cJSON_IsArray(it)) {
        list = vals_wrap(ev, key, cJSON_DetachItemViaPointer(ev, it), true);
    } else if (cJSON_IsObject(it) && jsonx_get(it, "values")) {
        list = jsonx_arr(it, "values");
    } else if (cJSON_IsObject(it)) {
        list = vals_wrap(ev, key, cJSON_DetachItemViaPointer(ev, it), false);
    }
    if (!list) {
        cJSON_DeleteItemFromObjectCaseSensitive(ev, key);
        return NULL;
    }
    vals_only_objects(list);
    return list;
}

/* Drops the whole interface when its list ended up empty. */
static void vals_drop_if_empty(cJSON *ev, const char *key, cJSON *list)
{
    if (list && cJSON_GetArraySize(list) == 0)
        cJSON_DeleteItemFromObjectCaseSensitive(ev, key);
}

static void vals_trim_strs(struct norm *n, cJSON *obj, const char *const *keys, size_t nkeys,
                           size_t max_chars)
{
    for (size_t i = 0; i < nkeys; i++) {
        cJSON *it = ev_stringify(n->a, obj, keys[i]);
        if (it)
            utf8_truncate(it->valuestring, max_chars);
    }
}

static void frame_normalize(struct norm *n, cJSON *f)
{
    static const char *const symbols[] = {"function", "raw_function", "symbol",
                                          "module",   "package",      "platform"};
    static const char *const paths[] = {"filename", "abs_path"};
    static const char *const lines[] = {"context_line"};
    vals_trim_strs(n, f, symbols, 6, LIMIT_SYMBOL_CHARS);
    vals_trim_strs(n, f, paths, 2, LIMIT_PATH_CHARS);
    vals_trim_strs(n, f, lines, 1, LIMIT_SUMMARY_CHARS);
    const cJSON *in_app = jsonx_get(f, "in_app");
    if (in_app && !cJSON_IsBool(in_app))
        cJSON_DeleteItemFromObjectCaseSensitive(f, "in_app");
    if (jsonx_get(f, "lineno") && !jsonx_num(f, "lineno", 0))
        cJSON_DeleteItemFromObjectCaseSensitive(f, "lineno");
    if (jsonx_get(f, "colno") && !jsonx_num(f, "colno", 0))
        cJSON_DeleteItemFromObjectCaseSensitive(f, "colno");
}

/* parent[key] as a stack trace with object frames, at most LIMIT_FRAMES of them (the
 * middle ones go: the outermost callers and the crash site are what people read).
 * Removed when it has no frames. */
static void stack_normalize(struct norm *n, cJSON *parent, const char *key)
{
    cJSON *st = jsonx_get(parent, key);
    if (!st)
        return;
    cJSON *frames = jsonx_arr(st, "frames");
    if (!cJSON_IsObject(st) || !frames) {
        cJSON_DeleteItemFromObjectCaseSensitive(parent, key);
        return;
    }
    vals_only_objects(frames);
    for (int extra = cJSON_GetArraySize(frames) - LIMIT_FRAMES; extra > 0; extra--)
        cJSON_DeleteItemFromArray(frames, LIMIT_FRAMES / 2);
    cJSON *f;
    cJSON_ArrayForEach(f, frames)
    {
        frame_normalize(n, f);
    }
    if (cJSON_GetArraySize(frames) == 0)
        cJSON_DeleteItemFromObjectCaseSensitive(parent, key);
}

static enum err exc_mechanism(cJSON *exc)
{
    cJSON *mech = jsonx_get(exc, "mechanism");
    if (mech && !cJSON_IsObject(mech)) {
        cJSON_DeleteItemFromObjectCaseSensitive(exc, "mechanism");
        return E_OK;
    }
    if (mech && !jsonx_str(mech, "type") && !jsonx_set_str(mech, "type", "generic"))
        return E_NOMEM;
    return E_OK;
}

/* Returns false when the exception carries nothing (no type, value or stack trace). */
static bool exc_normalize(struct norm *n, cJSON *exc, enum err *rc)
{
    static const char *const symbols[] = {"type", "module"};
    static const char *const values[] = {"value"};
    vals_trim_strs(n, exc, symbols, 2, LIMIT_SYMBOL_CHARS);
    vals_trim_strs(n, exc, values, 1, LIMIT_MESSAGE_CHARS);
    stack_normalize(n, exc, "stacktrace");
    stack_normalize(n, exc, "raw_stacktrace");
    *rc = exc_mechanism(exc);
    return jsonx_str(exc, "type") || jsonx_str(exc, "value") || jsonx_obj(exc, "stacktrace");
}

/* A top-level stack trace moves into the only exception when that has none (Relay). */
static enum err exc_adopt_stacktrace(struct norm *n, cJSON *list)
{
    stack_normalize(n, n->ev, "stacktrace");
    cJSON *only = cJSON_GetArraySize(list) == 1 ? list->child : NULL;
    if (!only || !jsonx_obj(n->ev, "stacktrace") || jsonx_obj(only, "stacktrace"))
        return E_OK;
    cJSON *st = cJSON_DetachItemFromObjectCaseSensitive(n->ev, "stacktrace");
    return jsonx_set(only, "stacktrace", st) ? E_OK : E_NOMEM;
}

enum err ev_norm_exceptions(struct norm *n)
{
    enum err rc = E_OK;
    cJSON *list = vals_normalize(n->ev, "exception");
    if (!list) {
        stack_normalize(n, n->ev, "stacktrace");
        return E_OK;
    }
    /* the newest exceptions (the end of the list) are the ones raised: keep those */
    for (int extra = cJSON_GetArraySize(list) - LIMIT_EXCEPTIONS; extra > 0; extra--)
        cJSON_DeleteItemFromArray(list, 0);
    cJSON *c = list->child;
    while (c && rc == E_OK) {
        cJSON *next = c->next;
        if (!exc_normalize(n, c, &rc))
            cJSON_Delete(cJSON_DetachItemViaPointer(list, c));
        c = next;
    }
    if (rc == E_OK)
        rc = exc_adopt_stacktrace(n, list);
    vals_drop_if_empty(n->ev, "exception", list);
    return rc;
}

enum err ev_norm_threads(struct norm *n)
{
    cJSON *list = vals_normalize(n->ev, "threads");
    cJSON *t;
    cJSON_ArrayForEach(t, list)
    {
        static const char *const names[] = {"name"};
        vals_trim_strs(n, t, names, 1, LIMIT_SYMBOL_CHARS);
        stack_normalize(n, t, "stacktrace");
        stack_normalize(n, t, "raw_stacktrace");
    }
    vals_drop_if_empty(n->ev, "threads", list);
    return E_OK;
}

static enum err crumb_normalize(struct norm *n, cJSON *c)
{
    static const char *const shorts[] = {"type", "category"};
    static const char *const longs[] = {"message"};
    vals_trim_strs(n, c, shorts, 2, LIMIT_SYMBOL_CHARS);
    vals_trim_strs(n, c, longs, 1, LIMIT_MESSAGE_CHARS);
    if (!jsonx_str(c, "type") && !jsonx_set_str(c, "type", "default"))
        return E_NOMEM;
    const char *level = ev_level_name(jsonx_get(c, "level"));
    if (!jsonx_set_str(c, "level", level ? level : "info"))
        return E_NOMEM;
    double ts;
    if (!ev_parse_ts(jsonx_get(c, "timestamp"), &ts)) {
        cJSON_DeleteItemFromObjectCaseSensitive(c, "timestamp");
        return E_OK;
    }
    return jsonx_set_num(c, "timestamp", ts) ? E_OK : E_NOMEM;
}

enum err ev_norm_breadcrumbs(struct norm *n)
{
    cJSON *list = vals_normalize(n->ev, "breadcrumbs");
    if (!list)
        return E_OK;
    for (int extra = cJSON_GetArraySize(list) - LIMIT_BREADCRUMBS; extra > 0; extra--)
        cJSON_DeleteItemFromArray(list, 0);
    cJSON *c;
    cJSON_ArrayForEach(c, list)
    {
        enum err rc = crumb_normalize(n, c);
        if (rc != E_OK)
            return rc;
    }
    vals_drop_if_empty(n->ev, "breadcrumbs", list);
    return E_OK;
}

/* The parameter a placeholder refers to: by name ("%(name)s", "{name}") when params is an
 * object, by position otherwise ({N} picks position N). */
static const cJSON *le_param(const cJSON *params, const char *name, size_t nlen, int *pos)
{
    if (nlen > 0 && cJSON_IsObject(params)) {
        for (const cJSON *c = params->child; c; c = c->next) {
            if (c->string && strlen(c->string) == nlen && memcmp(c->string, name, nlen) == 0)
                return c;
        }
        return NULL;
    }
    if (!cJSON_IsArray(params))
        return NULL;
    if (nlen == 0)
        return cJSON_GetArrayItem(params, (*pos)++);
    int idx = 0;
    for (size_t i = 0; i < nlen; i++) {
        if (!isdigit((unsigned char)name[i]) || idx > 100000)
            return NULL;
        idx = idx * 10 + (name[i] - '0');
    }
    return cJSON_GetArrayItem(params, idx);
}

/* Length of a printf conversion spec after '%' (flags, width, precision, length, conversion
 * character), or 0 when there is none. */
static size_t le_spec_len(const char *p)
{
    size_t i = strspn(p, "#0- +");
    i += strspn(p + i, "0123456789");
    if (p[i] == '.')
        i += 1 + strspn(p + i + 1, "0123456789");
    i += strspn(p + i, "hlL");
    return p[i] && strchr("diouxXeEfFgGcrsa", p[i]) ? i + 1 : 0;
}

/* One placeholder at p (p[0] is '%' or '{'): appends its parameter, returns the length it
 * consumed, or 0 when p is no placeholder it can fill. */
static size_t le_placeholder(struct norm *n, struct buf *b, const char *p, const cJSON *params,
                             int *pos)
{
    const char *name = p + 1;
    size_t nlen = 0, used;
    if (p[0] == '{') {
        nlen = strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
        if (name[nlen] != '}')
            return 0;
        used = nlen + 2;
    } else if (p[1] == '(') {
        name = p + 2;
        const char *close = strchr(name, ')');
        size_t spec = close ? le_spec_len(close + 1) : 0;
        if (!spec)
            return 0;
        nlen = (size_t)(close - name);
        used = nlen + 3 + spec;
    } else {
        used = le_spec_len(p + 1);
        if (!used)
            return 0;
        used++;
    }
    const cJSON *v = le_param(params, name, nlen, pos);
    if (!v)
        return 0;
    const char *text = ev_text(n->a, v);
    if (buf_append_cstr(b, text ? text : "null") != E_OK)
        return 0;
    return used;
}

/* logentry.message with params interpolated; NULL over budget. */
static char *le_format(struct norm *n, const char *tmpl, const cJSON *params)
{
    struct buf b;
    buf_init(&b, LIMIT_MESSAGE_CHARS * 4 + 16);
    int pos = 0, filled = 0;
    char *out = NULL;
    for (const char *p = tmpl; *p;) {
        size_t used = 0;
        if (p[0] == '%' && p[1] == '%') {
            used = 2;
            if (buf_append(&b, "%", 1) != E_OK)
                break;
        } else if ((p[0] == '%' || p[0] == '{') && filled < LIMIT_MESSAGE_PLACEHOLDERS) {
            used = le_placeholder(n, &b, p, params, &pos);
            filled += used > 0;
        }
        if (!used) {
            if (buf_append(&b, p, 1) != E_OK)
                break;
            used = 1;
        }
        p += used;
    }
    /* over the buffer's cap the text is simply cut, and trimmed to size below */
    out = arena_strndup(n->a, b.p ? b.p : "", b.len);
    buf_free(&b);
    if (out && !utf8_valid(out, strlen(out)))
        out = utf8_sanitize(n->a, out, strlen(out));
    return out;
}

/* "message" at the top level is the legacy name of logentry. */
static cJSON *le_adopt_message(cJSON *ev)
{
    cJSON *le = jsonx_get(ev, "logentry");
    cJSON *msg = jsonx_get(ev, "message");
    if (!le && msg) {
        le = cJSON_DetachItemViaPointer(ev, msg);
        if (!cJSON_AddItemToObject(ev, "logentry", le)) {
            cJSON_Delete(le);
            return NULL;
        }
    } else if (msg && !cJSON_IsString(msg)) {
        cJSON_DeleteItemFromObjectCaseSensitive(ev, "message");
    } else if (msg) {
        utf8_truncate(msg->valuestring, LIMIT_MESSAGE_CHARS);
    }
    if (cJSON_IsString(le)) {
        cJSON *obj = cJSON_CreateObject();
        if (!obj || !cJSON_AddStringToObject(obj, "formatted", le->valuestring) ||
            !jsonx_set(ev, "logentry", obj))
            return NULL;
        le = obj;
    }
    if (le && !cJSON_IsObject(le)) {
        cJSON_DeleteItemFromObjectCaseSensitive(ev, "logentry");
        le = NULL;
    }
    return le;
}

enum err ev_norm_logentry(struct norm *n)
{
    cJSON *le = le_adopt_message(n->ev);
    if (!le)
        return E_OK;
    cJSON *msg = ev_stringify(n->a, le, "message");
    cJSON *fmt = ev_stringify(n->a, le, "formatted");
    const cJSON *params = jsonx_get(le, "params");
    if (params && !cJSON_IsArray(params) && !cJSON_IsObject(params))
        cJSON_DeleteItemFromObjectCaseSensitive(le, "params");
    if (!msg && !fmt) {
        cJSON_DeleteItemFromObjectCaseSensitive(n->ev, "logentry");
        return E_OK;
    }
    if (!fmt) {
        params = jsonx_get(le, "params");
        const char *text = params ? le_format(n, msg->valuestring, params) : msg->valuestring;
        fmt = text ? jsonx_set_str(le, "formatted", text) : NULL;
        if (!fmt)
            return E_NOMEM;
    }
    utf8_truncate(fmt->valuestring, LIMIT_MESSAGE_CHARS);
    if (msg)
        utf8_truncate(msg->valuestring, LIMIT_MESSAGE_CHARS);
    if (msg && strcmp(msg->valuestring, fmt->valuestring) == 0)
        cJSON_DeleteItemFromObjectCaseSensitive(le, "message");
    return E_OK;
}
