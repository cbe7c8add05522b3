/* proto/eventtitle: ErrorEvent/DefaultEvent metadata and titles, and generate_culprit(),
 * ported from Sentry's Python to cJSON. */
#include "proto/eventtitle.h"

#include <ctype.h>
#include <string.h>

#include "core/jsonx.h"
#include "core/limits.h"
#include "core/utf8.h"
#include "proto/stackframe.h"

#define TITLE_TYPE_CHARS 128
#define TITLE_VALUE_CHARS 1024

static bool nonempty(const char *s)
{
    return s && *s;
}

const char *proto_truncate_chars(struct arena *a, const char *s, size_t max)
{
    size_t len = strlen(s);
    if (max == 0 || utf8_count(s, len) <= max)
        return s;
    size_t cut = utf8_prefix_len(s, len, max - 1);
    char *out = arena_alloc(a, cut + 4);
    if (!out)
        return NULL;
    memcpy(out, s, cut);
    memcpy(out + cut, "\xe2\x80\xa6", 4);
    return out;
}

/* s cut to max characters without an ellipsis (Sentry's trim() for metadata). */
static const char *cut_chars(struct arena *a, const char *s, size_t max)
{
    size_t len = strlen(s);
    size_t cut = utf8_prefix_len(s, len, max);
    return cut == len ? s : arena_strndup(a, s, cut);
}

/* Python's s.splitlines()[0] (s non-empty). */
static const char *first_line(struct arena *a, const char *s)
{
    return arena_strndup(a, s, strcspn(s, "\r\n"));
}

static const char *strip(struct arena *a, const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t len = strlen(s);
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        len--;
    return arena_strndup(a, s, len);
}

/* DefaultEvent's title: the first line of the message, or NULL when there is none. */
static const char *message_title(struct arena *a, const cJSON *ev)
{
    const cJSON *le = jsonx_obj(ev, "logentry");
    const char *text = jsonx_str(le, "formatted");
    if (!nonempty(text))
        text = jsonx_str(le, "message");
    if (!nonempty(text))
        text = jsonx_str(ev, "message");
    if (!nonempty(text))
        return NULL;
    const char *s = strip(a, text);
    const char *line = s && *s ? first_line(a, s) : NULL;
    return line ? proto_truncate_chars(a, line, LIMIT_TITLE_CHARS) : NULL;
}

static bool meta_add(cJSON *meta, const char *key, const char *value)
{
    return value == NULL || cJSON_AddStringToObject(meta, key, value) != NULL;
}

/* filename and function of the crash frame. */
static enum err meta_location(struct arena *a, const cJSON *ev, cJSON *meta, const char **fn)
{
    const cJSON *crash = proto_crash_frame(ev, true);
    *fn = NULL;
    if (!crash)
        return E_OK;
    const char *filename = jsonx_str(crash, "filename");
    if (!nonempty(filename))
        filename = jsonx_str(crash, "abs_path");
    *fn = proto_frame_function(a, crash, jsonx_str(ev, "platform"));
    if (!meta_add(meta, "filename", nonempty(filename) ? filename : NULL) ||
        !meta_add(meta, "function", *fn))
        return E_NOMEM;
    return E_OK;
}

static const char *error_title(struct arena *a, const char *type, const char *value, const char *fn)
{
    if (!type)
        return fn ? fn : "<unknown>";
    if (!*value)
        return type;
    const char *line = first_line(a, value);
    line = line ? proto_truncate_chars(a, line, LIMIT_TITLE_CHARS) : NULL;
    return line ? arena_concat(a, type, ": ", line, NULL) : NULL;
}

static enum err title_error(struct arena *a, const cJSON *ev, const cJSON *last, cJSON *meta,
                            const char **title)
{
    bool synthetic = jsonx_bool(jsonx_obj(last, "mechanism"), "synthetic", false);
    const char *type = jsonx_str(last, "type");
    const char *value = jsonx_str(last, "value");
    bool has_type = nonempty(type);
    const char *mtype =
        synthetic ? NULL : cut_chars(a, has_type ? type : "Error", TITLE_TYPE_CHARS);
    const char *mvalue = cut_chars(a, value ? value : "", TITLE_VALUE_CHARS);
    if (!mvalue || (!synthetic && !mtype))
        return E_TOOBIG;
    if (!meta_add(meta, "type", mtype) || !meta_add(meta, "value", mvalue))
        return E_NOMEM;
    const char *fn = NULL;
    enum err rc = meta_location(a, ev, meta, &fn);
    if (rc != E_OK)
        return rc;
    /* no type at all: a message sent with a synthetic stack trace is titled by the message */
    const char *msg = has_type ? NULL : message_title(a, ev);
    if (msg && !meta_add(meta, "title", msg))
        return E_NOMEM;
    *title = msg ? msg : error_title(a, mtype, mvalue, fn);
    return *title ? E_OK : E_TOOBIG;
}

enum err proto_event_title(struct arena *a, const cJSON *ev, cJSON **meta, const char **title)
{
    *title = NULL;
    *meta = cJSON_CreateObject();
    if (!*meta)
        return E_NOMEM;
    const cJSON *values = jsonx_arr(jsonx_obj(ev, "exception"), "values");
    const cJSON *last = cJSON_GetArrayItem(values, cJSON_GetArraySize(values) - 1);
    enum err rc = E_OK;
    if (last) {
        rc = title_error(a, ev, last, *meta, title);
    } else {
        const char *msg = message_title(a, ev);
        *title = msg ? msg : "<unlabeled event>";
        rc = meta_add(*meta, "title", *title) ? E_OK : E_NOMEM;
    }
    if (rc != E_OK) {
        cJSON_Delete(*meta);
        *meta = NULL;
    }
    return rc;
}

/* get_stacktrace_culprit(): the newest in-app frame with a culprit, else the newest
 * other frame's. */
static const char *stack_culprit(struct arena *a, const cJSON *st, const char *platform)
{
    const char *in_app = NULL, *other = NULL;
    const cJSON *f;
    cJSON_ArrayForEach(f, jsonx_arr(st, "frames"))
    {
        if (!cJSON_IsObject(f))
            continue;
        const char *c = proto_frame_culprit(a, f, platform);
        if (jsonx_bool(f, "in_app", false)) {
            if (nonempty(c))
                in_app = c;
        } else {
            other = c;
        }
    }
    return in_app ? in_app : other;
}

static bool has_frames(const cJSON *st)
{
    return cJSON_GetArraySize(jsonx_arr(st, "frames")) > 0;
}

static const char *culprit_generate(struct arena *a, const cJSON *ev)
{
    const cJSON *values = jsonx_arr(jsonx_obj(ev, "exception"), "values");
    const cJSON *st = NULL, *exc;
    if (cJSON_GetArraySize(values) > 0) {
        const cJSON *last = cJSON_GetArrayItem(values, cJSON_GetArraySize(values) - 1);
        if (jsonx_bool(jsonx_obj(last, "mechanism"), "synthetic", false))
            return "";
        cJSON_ArrayForEach(exc, values)
        {
            if (has_frames(jsonx_obj(exc, "stacktrace")))
                st = jsonx_obj(exc, "stacktrace");
        }
    } else if (has_frames(jsonx_obj(ev, "stacktrace"))) {
        st = jsonx_obj(ev, "stacktrace");
    }
    const char *c = st ? stack_culprit(a, st, jsonx_str(ev, "platform")) : NULL;
    if (!nonempty(c)) {
        const char *url = jsonx_str(jsonx_obj(ev, "request"), "url");
        if (url)
            c = url;
    }
    return c ? c : "";
}

const char *proto_event_culprit(struct arena *a, const cJSON *ev)
{
    const char *tx = jsonx_str(ev, "transaction");
    const char *c = nonempty(tx) ? tx : culprit_generate(a, ev);
    return proto_truncate_chars(a, c, LIMIT_CULPRIT_CHARS);
}
