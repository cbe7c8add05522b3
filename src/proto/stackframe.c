/* proto/stackframe: Sentry's frame rules from grouping/strategies/newstyle.py,
 * stacktraces/processing.py and culprit.py, in the subset snag implements: no enhancement
 * rules, client-supplied in_app honoured as is. */
#include "proto/stackframe.h"

#include <ctype.h>
#include <string.h>

#include "core/jsonx.h"
#include "core/utf8.h"

#define FRAME_CONTEXT_LINE_MAX 120

static bool str_in(const char *s, const char *const *list)
{
    for (; s && *list; list++) {
        if (strcmp(s, *list) == 0)
            return true;
    }
    return false;
}

static bool is_js(const char *platform)
{
    static const char *const js[] = {"javascript", "node", NULL};
    return str_in(platform, js);
}

static bool is_native(const char *platform)
{
    static const char *const native[] = {"native", "c", "cocoa", "objc", "swift", NULL};
    return str_in(platform, native);
}

static bool starts_with(const char *s, const char *prefix)
{
    return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = s ? strlen(s) : 0, m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static bool nonempty(const char *s)
{
    return s && *s;
}

/* has_url_origin(): a frame that points into a web page rather than a source file. */
static bool url_origin(const char *path, bool js)
{
    static const char *const schemes[] = {
        "http:", "https:", "ws:", "wss:", "blob:", "applewebdata:"};
    for (size_t i = 0; path && i < sizeof schemes / sizeof schemes[0]; i++) {
        if (starts_with(path, schemes[i]))
            return true;
    }
    return js && starts_with(path, "file:");
}

static const char *frame_platform(const cJSON *f, const char *platform)
{
    const char *own = jsonx_str(f, "platform");
    return nonempty(own) ? own : platform;
}

static const char *leaf_module(const cJSON *f, const char *platform)
{
    const char *mod = jsonx_str(f, "module");
    if (!nonempty(mod))
        return NULL;
    if (is_js(platform) && strchr(mod, '/') && ends_with(jsonx_str(f, "abs_path"), mod))
        return NULL;
    if (platform && strcmp(platform, "java") == 0 && strstr(mod, "$$Lambda$"))
        return NULL;
    return mod;
}

/* Basename of filename, lowercased. */
static const char *leaf_filename(struct arena *a, const cJSON *f, const char *platform)
{
    const char *fn = jsonx_str(f, "filename");
    if (!nonempty(fn) || url_origin(jsonx_str(f, "abs_path"), is_js(platform)))
        return NULL;
    const char *base = fn;
    for (const char *p = fn; *p; p++) {
        if (*p == '/' || *p == '\\')
            base = p + 1;
    }
    char *low = arena_strdup(a, base);
    for (char *p = low; p && *p; p++)
        *p = (char)tolower((unsigned char)*p);
    if (!low || !*low || !strcmp(low, "<anonymous>") || !strcmp(low, "[native code]"))
        return NULL;
    return low;
}

/* trim_function_name() for native code: "void ns::f(int) const" → "ns::f". */
static const char *native_trim(struct arena *a, const char *fn)
{
    const char *paren = strchr(fn, '(');
    if (!paren || paren == fn)
        return fn;
    const char *end = paren;
    while (end > fn && end[-1] == ' ')
        end--;
    const char *start = fn;
    int depth = 0;
    for (const char *p = fn; p < end; p++) {
        depth += (*p == '<') - (*p == '>');
        if (*p == ' ' && depth == 0)
            start = p + 1;
    }
    return end > start ? arena_strndup(a, start, (size_t)(end - start)) : fn;
}

const char *proto_frame_function(struct arena *a, const cJSON *f, const char *platform)
{
    platform = frame_platform(f, platform);
    const char *fn = jsonx_str(f, "function");
    if (!nonempty(fn))
        return NULL;
    return is_native(platform) ? native_trim(a, fn) : fn;
}

static const char *js_function(const char *fn)
{
    static const char *const anon[] = {"?", "<anonymous>", "<anonymous function>",
                                       "Anonymous function", NULL};
    const char *dot = strrchr(fn, '.');
    if (dot)
        fn = dot + 1;
    if (!*fn || str_in(fn, anon) || ends_with(fn, "/<"))
        return NULL;
    return fn;
}

static const char *leaf_function(struct arena *a, const cJSON *f, const char *platform)
{
    static const char *const unknown[] = {"<redacted>", "<unknown>", NULL};
    const char *fn = jsonx_str(f, "function"), *raw = jsonx_str(f, "raw_function");
    bool csharp = platform && strcmp(platform, "csharp") == 0;
    const char *v = csharp ? (nonempty(raw) ? raw : fn) : (nonempty(fn) ? fn : raw);
    if (!nonempty(v))
        return NULL;
    if (v == fn && !nonempty(raw) && is_native(platform))
        v = native_trim(a, v);
    if (is_js(platform))
        return js_function(v);
    if (platform && strcmp(platform, "ruby") == 0 && starts_with(v, "block "))
        return "block";
    if (platform && strcmp(platform, "php") == 0 &&
        (starts_with(v, "[Anonymous") || starts_with(v, "class@anonymous")))
        return NULL;
    if (platform && strcmp(platform, "java") == 0 && starts_with(v, "lambda$"))
        return NULL;
    if (is_native(platform) && str_in(v, unknown))
        return NULL;
    return v;
}

/* context_line with whitespace runs collapsed to one space, trimmed. */
static const char *leaf_context_line(struct arena *a, const cJSON *f, const char *platform)
{
    static const char *const platforms[] = {"javascript", "node", "python", "php", "ruby", NULL};
    const char *cl = jsonx_str(f, "context_line");
    if (!cl || !str_in(platform, platforms) || utf8_count(cl, strlen(cl)) > FRAME_CONTEXT_LINE_MAX)
        return NULL;
    if (is_js(platform) && !nonempty(jsonx_str(f, "function")) &&
        url_origin(jsonx_str(f, "abs_path"), true))
        return NULL;
    char *out = arena_alloc(a, strlen(cl) + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (const char *p = cl; *p; p++) {
        if (!isspace((unsigned char)*p))
            out[o++] = *p;
        else if (o > 0 && out[o - 1] != ' ')
            out[o++] = ' ';
    }
    while (o > 0 && out[o - 1] == ' ')
        o--;
    out[o] = '\0';
    return o ? out : NULL;
}

/* JavaScript frames that say nothing about the code: eval and native code. */
static bool js_frame_ignored(const cJSON *f, bool single)
{
    static const char *const paths[] = {"[native code]", "native code", "eval code", "<anonymous>",
                                        NULL};
    const char *fn = jsonx_str(f, "function"), *abs = jsonx_str(f, "abs_path");
    if ((fn && strcmp(fn, "eval") == 0) || str_in(abs, paths))
        return true;
    return single && !nonempty(fn) && url_origin(abs, true);
}

bool proto_frame_leaves(struct arena *a, const cJSON *f, const char *platform, bool single,
                        struct frame_leaves *out)
{
    memset(out, 0, sizeof *out);
    platform = frame_platform(f, platform);
    if (is_js(platform) && js_frame_ignored(f, single))
        return false;
    out->module = leaf_module(f, platform);
    if (!out->module)
        out->filename = leaf_filename(a, f, platform);
    out->function = leaf_function(a, f, platform);
    out->context_line = leaf_context_line(a, f, platform);
    /* a source-mapped JS frame is identified by its line of code, not its (minified) name */
    if (is_js(platform) && out->context_line && jsonx_get(jsonx_obj(f, "data"), "sourcemap"))
        out->function = NULL;
    return out->module || out->filename || out->function || out->context_line;
}

bool proto_frame_same(const cJSON *prev, const cJSON *f)
{
    static const char *const keys[] = {"abs_path", "package", "module", "filename",
                                       "function", "lineno",  "colno"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const cJSON *x = jsonx_get(prev, keys[i]);
        const cJSON *y = jsonx_get(f, keys[i]);
        if ((x == NULL) != (y == NULL) || (x && !cJSON_Compare(x, y, 1)))
            return false;
    }
    return true;
}

static const cJSON *crash_frames(const cJSON *ev)
{
    const cJSON *values = jsonx_arr(jsonx_obj(ev, "exception"), "values");
    const cJSON *last = cJSON_GetArrayItem(values, cJSON_GetArraySize(values) - 1);
    const cJSON *frames = jsonx_arr(jsonx_obj(last, "stacktrace"), "frames");
    if (!cJSON_GetArraySize(frames))
        frames = jsonx_arr(jsonx_obj(ev, "stacktrace"), "frames");
    if (!cJSON_GetArraySize(frames)) {
        const cJSON *threads = jsonx_arr(jsonx_obj(ev, "threads"), "values");
        if (cJSON_GetArraySize(threads) == 1)
            frames = jsonx_arr(jsonx_obj(threads->child, "stacktrace"), "frames");
    }
    return frames;
}

const cJSON *proto_crash_frame(const cJSON *ev, bool need_function)
{
    static const char *const unusable[] = {"<redacted>", "<unknown>", NULL};
    const cJSON *in_app = NULL, *any = NULL, *f;
    cJSON_ArrayForEach(f, crash_frames(ev))
    {
        const char *fn = jsonx_str(f, "function");
        if (!cJSON_IsObject(f) || (need_function && (!fn || str_in(fn, unusable))))
            continue;
        if (jsonx_bool(f, "in_app", false))
            in_app = f;
        any = f;
    }
    return in_app ? in_app : any;
}

const char *proto_frame_culprit(struct arena *a, const cJSON *f, const char *platform)
{
    platform = frame_platform(f, platform);
    const char *fn = jsonx_str(f, "function");
    if (!nonempty(fn))
        fn = "?";
    if (platform &&
        (!strcmp(platform, "objc") || !strcmp(platform, "cocoa") || !strcmp(platform, "native")))
        return fn;
    const char *loc = jsonx_str(f, "module");
    if (!nonempty(loc))
        loc = jsonx_str(f, "filename");
    if (!nonempty(loc))
        return "";
    if (is_js(platform))
        return arena_concat(a, fn, "(", loc, ")", NULL);
    return arena_concat(a, loc, " in ", fn, NULL);
}
