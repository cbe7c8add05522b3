/* event_json: turns a stored, normalised event into the JSON Sentry's API returns for an
 * event — top-level summary fields plus `entries` (exception with frames and context lines,
 * threads, message, breadcrumbs, request), tags as {key, value} objects, camelCase frames. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/zdicts.h"
#include "core/buf.h"
#include "core/jsonx.h"
#include "core/limits.h"

static cJSON *ej_dup(const cJSON *v)
{
    return v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull();
}

static void ej_copy(cJSON *dst, const char *dkey, const cJSON *src, const char *skey)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(src, skey);
    cJSON_AddItemToObject(dst, dkey, ej_dup(v));
}

/* [[lineno, line], …] from pre_context / context_line / post_context. */
static cJSON *ej_frame_context(const cJSON *f)
{
    cJSON *ctx = cJSON_CreateArray();
    const cJSON *line = cJSON_GetObjectItemCaseSensitive(f, "context_line");
    double lineno = jsonx_num(f, "lineno", 0);
    if (!cJSON_IsString(line) || lineno <= 0)
        return ctx;
    const cJSON *pre = jsonx_arr(f, "pre_context"), *post = jsonx_arr(f, "post_context");
    int npre = pre ? cJSON_GetArraySize(pre) : 0, k = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, pre)
    {
        cJSON *pair = cJSON_CreateArray();
        cJSON_AddItemToArray(pair, cJSON_CreateNumber(lineno - npre + k++));
        cJSON_AddItemToArray(pair, ej_dup(it));
        cJSON_AddItemToArray(ctx, pair);
    }
    cJSON *pair = cJSON_CreateArray();
    cJSON_AddItemToArray(pair, cJSON_CreateNumber(lineno));
    cJSON_AddItemToArray(pair, ej_dup(line));
    cJSON_AddItemToArray(ctx, pair);
    k = 1;
    cJSON_ArrayForEach(it, post)
    {
        cJSON *p2 = cJSON_CreateArray();
        cJSON_AddItemToArray(p2, cJSON_CreateNumber(lineno + k++));
        cJSON_AddItemToArray(p2, ej_dup(it));
        cJSON_AddItemToArray(ctx, p2);
    }
    return ctx;
}

static cJSON *ej_frame(const cJSON *f)
{
    static const char *map[][2] = {
        {"filename", "filename"},
        {"absPath", "abs_path"},
        {"module", "module"},
        {"package", "package"},
        {"platform", "platform"},
        {"instructionAddr", "instruction_addr"},
        {"symbolAddr", "symbol_addr"},
        {"function", "function"},
        {"rawFunction", "raw_function"},
        {"symbol", "symbol"},
        {"lineNo", "lineno"},
        {"colNo", "colno"},
        {"inApp", "in_app"},
        {"trust", "trust"},
        {"vars", "vars"},
        {"data", "data"},
    };
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        ej_copy(o, map[i][0], f, map[i][1]);
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "inApp")))
        cJSON_ReplaceItemInObjectCaseSensitive(o, "inApp", cJSON_CreateBool(0));
    cJSON_AddItemToObject(o, "context", ej_frame_context(f));
    return o;
}

static cJSON *ej_stacktrace(const cJSON *st, bool *has_system)
{
    if (!cJSON_IsObject(st))
        return cJSON_CreateNull();
    cJSON *o = cJSON_CreateObject();
    cJSON *frames = cJSON_AddArrayToObject(o, "frames");
    const cJSON *f;
    cJSON_ArrayForEach(f, jsonx_arr(st, "frames"))
    {
        if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(f, "in_app")))
            *has_system = true;
        cJSON_AddItemToArray(frames, ej_frame(f));
    }
    ej_copy(o, "registers", st, "registers");
    cJSON_AddBoolToObject(o, "hasSystemFrames", *has_system);
    cJSON_AddNumberToObject(o, "framesOmitted", 0);
    return o;
}

static cJSON *ej_exception_entry(const cJSON *exc)
{
    cJSON *values = cJSON_CreateArray();
    bool has_system = false;
    const cJSON *v;
    cJSON_ArrayForEach(v, jsonx_arr(exc, "values"))
    {
        cJSON *o = cJSON_CreateObject();
        ej_copy(o, "type", v, "type");
        ej_copy(o, "value", v, "value");
        ej_copy(o, "module", v, "module");
        ej_copy(o, "mechanism", v, "mechanism");
        ej_copy(o, "threadId", v, "thread_id");
        cJSON_AddItemToObject(
            o, "stacktrace",
            ej_stacktrace(cJSON_GetObjectItemCaseSensitive(v, "stacktrace"), &has_system));
        cJSON_AddNullToObject(o, "rawStacktrace");
        cJSON_AddItemToArray(values, o);
    }
    cJSON *entry = cJSON_CreateObject();
    cJSON_AddStringToObject(entry, "type", "exception");
    cJSON *data = cJSON_AddObjectToObject(entry, "data");
    cJSON_AddItemToObject(data, "values", values);
    cJSON_AddBoolToObject(data, "hasSystemFrames", has_system);
    cJSON_AddNullToObject(data, "excOmitted");
    return entry;
}

static cJSON *ej_threads_entry(const cJSON *threads)
{
    cJSON *values = cJSON_CreateArray();
    const cJSON *t;
    cJSON_ArrayForEach(t, jsonx_arr(threads, "values"))
    {
        bool sys = false;
        cJSON *o = cJSON_CreateObject();
        ej_copy(o, "id", t, "id");
        ej_copy(o, "name", t, "name");
        ej_copy(o, "crashed", t, "crashed");
        ej_copy(o, "current", t, "current");
        cJSON_AddItemToObject(
            o, "stacktrace",
            ej_stacktrace(cJSON_GetObjectItemCaseSensitive(t, "stacktrace"), &sys));
        cJSON_AddItemToArray(values, o);
    }
    cJSON *entry = cJSON_CreateObject();
    cJSON_AddStringToObject(entry, "type", "threads");
    cJSON_AddItemToObject(cJSON_AddObjectToObject(entry, "data"), "values", values);
    return entry;
}

static cJSON *ej_breadcrumbs_entry(const cJSON *crumbs)
{
    cJSON *values = cJSON_CreateArray();
    const cJSON *c;
    cJSON_ArrayForEach(c, jsonx_arr(crumbs, "values"))
    {
        cJSON *o = cJSON_CreateObject();
        ej_copy(o, "type", c, "type");
        ej_copy(o, "category", c, "category");
        ej_copy(o, "level", c, "level");
        ej_copy(o, "message", c, "message");
        ej_copy(o, "data", c, "data");
        ej_copy(o, "event_id", c, "event_id");
        const cJSON *ts = cJSON_GetObjectItemCaseSensitive(c, "timestamp");
        if (cJSON_IsNumber(ts)) {
            char iso[32];
            api_iso_time(ts->valuedouble, iso);
            cJSON_AddStringToObject(o, "timestamp", iso);
        } else {
            cJSON_AddItemToObject(o, "timestamp", ej_dup(ts));
        }
        cJSON_AddItemToArray(values, o);
    }
    cJSON *entry = cJSON_CreateObject();
    cJSON_AddStringToObject(entry, "type", "breadcrumbs");
    cJSON_AddItemToObject(cJSON_AddObjectToObject(entry, "data"), "values", values);
    return entry;
}

static cJSON *ej_request_entry(const cJSON *r)
{
    static const char *map[][2] = {
        {"url", "url"},
        {"method", "method"},
        {"query", "query_string"},
        {"data", "data"},
        {"headers", "headers"},
        {"cookies", "cookies"},
        {"env", "env"},
        {"fragment", "fragment"},
        {"inferredContentType", "inferred_content_type"},
    };
    cJSON *entry = cJSON_CreateObject();
    cJSON_AddStringToObject(entry, "type", "request");
    cJSON *data = cJSON_AddObjectToObject(entry, "data");
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        ej_copy(data, map[i][0], r, map[i][1]);
    return entry;
}

static cJSON *ej_message_entry(const cJSON *logentry)
{
    cJSON *entry = cJSON_CreateObject();
    cJSON_AddStringToObject(entry, "type", "message");
    cJSON *data = cJSON_AddObjectToObject(entry, "data");
    ej_copy(data, "formatted", logentry, "formatted");
    ej_copy(data, "message", logentry, "message");
    ej_copy(data, "params", logentry, "params");
    return entry;
}

static cJSON *ej_entries(const cJSON *ev)
{
    cJSON *entries = cJSON_CreateArray();
    const cJSON *logentry = jsonx_obj(ev, "logentry");
    const cJSON *exc = jsonx_obj(ev, "exception");
    if (exc && cJSON_GetArraySize(jsonx_arr(exc, "values")) > 0)
        cJSON_AddItemToArray(entries, ej_exception_entry(exc));
    if (logentry)
        cJSON_AddItemToArray(entries, ej_message_entry(logentry));
    const cJSON *threads = jsonx_obj(ev, "threads");
    if (threads && cJSON_GetArraySize(jsonx_arr(threads, "values")) > 0)
        cJSON_AddItemToArray(entries, ej_threads_entry(threads));
    const cJSON *crumbs = jsonx_obj(ev, "breadcrumbs");
    if (crumbs && cJSON_GetArraySize(jsonx_arr(crumbs, "values")) > 0)
        cJSON_AddItemToArray(entries, ej_breadcrumbs_entry(crumbs));
    const cJSON *req = jsonx_obj(ev, "request");
    if (req)
        cJSON_AddItemToArray(entries, ej_request_entry(req));
    return entries;
}

static cJSON *ej_tags(const cJSON *ev)
{
    cJSON *out = cJSON_CreateArray();
    const cJSON *pair;
    cJSON_ArrayForEach(pair, jsonx_arr(ev, "tags"))
    {
        const cJSON *k = cJSON_GetArrayItem(pair, 0), *v = cJSON_GetArrayItem(pair, 1);
        if (!cJSON_IsString(k) || !cJSON_IsString(v))
            continue;
        cJSON *t = cJSON_CreateObject();
        cJSON_AddStringToObject(t, "key", k->valuestring);
        cJSON_AddStringToObject(t, "value", v->valuestring);
        cJSON_AddItemToArray(out, t);
    }
    return out;
}

static cJSON *ej_load(struct arena *a, struct zdicts *zd, const struct store_event_row *row)
{
    struct buf b;
    buf_init(&b, 4 * LIMIT_EVENT_SIZE);
    cJSON *ev = NULL;
    if (zdicts_decompress(zd, row->data, row->data_len, b.max, &b, NULL) == E_OK &&
        jsonx_parse(a, b.p ? b.p : "", b.len, &ev, NULL) != E_OK)
        ev = NULL;
    buf_free(&b);
    return cJSON_IsObject(ev) ? ev : NULL;
}

static void ej_add_time(cJSON *o, const char *key, double t)
{
    char iso[32];
    api_iso_time(t, iso);
    cJSON_AddStringToObject(o, key, iso);
}

cJSON *api_json_event(struct arena *a, struct zdicts *zd, const struct store_event_row *row)
{
    const cJSON *ev = ej_load(a, zd, row);
    if (!ev)
        return NULL;
    cJSON *o = cJSON_CreateObject();
    char id[24];
    cJSON_AddStringToObject(o, "id", row->event_id);
    cJSON_AddStringToObject(o, "eventID", row->event_id);
    snprintf(id, sizeof id, "%" PRId64, row->issue_id);
    cJSON_AddStringToObject(o, "groupID", id);
    snprintf(id, sizeof id, "%" PRId64, row->project_id);
    cJSON_AddStringToObject(o, "projectID", id);
    ej_copy(o, "title", ev, "title");
    ej_copy(o, "culprit", ev, "culprit");
    ej_copy(o, "type", ev, "type");
    ej_copy(o, "metadata", ev, "metadata");
    ej_copy(o, "platform", ev, "platform");
    ej_copy(o, "level", ev, "level");
    ej_copy(o, "logger", ev, "logger");
    ej_copy(o, "environment", ev, "environment");
    ej_copy(o, "dist", ev, "dist");
    ej_copy(o, "user", ev, "user");
    ej_copy(o, "contexts", ev, "contexts");
    ej_copy(o, "sdk", ev, "sdk");
    ej_copy(o, "context", ev, "extra");
    ej_copy(o, "packages", ev, "modules");
    ej_copy(o, "fingerprints", ev, "fingerprint");
    const cJSON *logentry = jsonx_obj(ev, "logentry");
    const char *msg = logentry ? jsonx_str(logentry, "formatted") : NULL;
    cJSON_AddStringToObject(o, "message", msg ? msg : "");
    const char *release = jsonx_str(ev, "release");
    if (release) {
        cJSON *r = cJSON_AddObjectToObject(o, "release");
        cJSON_AddStringToObject(r, "version", release);
    } else {
        cJSON_AddNullToObject(o, "release");
    }
    ej_add_time(o, "dateCreated", row->timestamp);
    ej_add_time(o, "dateReceived", row->received);
    cJSON_AddItemToObject(o, "tags", ej_tags(ev));
    cJSON_AddItemToObject(o, "entries", ej_entries(ev));
    cJSON_AddItemToObject(o, "errors", cJSON_CreateArray());
    cJSON_AddNumberToObject(o, "size", (double)row->data_len);
    return o;
}
