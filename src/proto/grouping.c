/* proto/grouping: the grouping hash ("Level B, simplified" of protocol.md §8).
 *
 * DESIGN: instead of Sentry's component trees each strategy appends its contributing leaf
 * values, in tree order, to a flat list; the hash is MD5 over their concatenation, as
 * hash_from_values() does. Stack-bearing strategies run twice, for the "app" variant (only
 * in_app == true frames) and the "system" variant (all frames); the app variant wins when
 * its stack trace contributes, which is the primary hash Sentry would attach. Strategies are
 * tried in Sentry's score order: chained exception, single thread, top-level stack trace,
 * message; nothing contributing gives the fallback md5(""). A client fingerprint replaces or
 * (with {{ default }}) extends those values. */
#include "proto/grouping.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <string.h>

#include "core/ids.h"
#include "core/jsonx.h"
#include "proto/eventtitle.h"
#include "proto/parameterize.h"
#include "proto/stackframe.h"

#define GROUP_VAR_MAX 128

/* The contributing values of one variant, in order. */
struct gvals {
    struct arena *a;
    const char **v;
    size_t n, cap;
    bool oom;
};

static void gv_push(struct gvals *g, const char *s)
{
    if (!s) {
        g->oom = true;
        return;
    }
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 16;
        const char **v = arena_calloc(g->a, cap, sizeof *v);
        if (!v) {
            g->oom = true;
            return;
        }
        if (g->n)
            memcpy(v, g->v, g->n * sizeof *v);
        g->v = v;
        g->cap = cap;
    }
    g->v[g->n++] = s;
}

/* The frames' leaves of one stack trace; true when any frame contributes. */
static bool stack_values(struct gvals *g, const cJSON *st, const char *platform, bool app_only)
{
    const cJSON *frames = jsonx_arr(st, "frames"), *f, *prev = NULL;
    bool single = cJSON_GetArraySize(frames) == 1, any = false;
    cJSON_ArrayForEach(f, frames)
    {
        if (!cJSON_IsObject(f))
            continue;
        bool recursion = prev && proto_frame_same(prev, f);
        prev = f;
        struct frame_leaves l;
        if (recursion || (app_only && !jsonx_bool(f, "in_app", false)) ||
            !proto_frame_leaves(g->a, f, platform, single, &l))
            continue;
        const char *leaves[] = {l.module, l.filename, l.function, l.context_line};
        for (size_t i = 0; i < 4; i++) {
            if (leaves[i])
                gv_push(g, leaves[i]);
        }
        any = true;
    }
    return any;
}

/* [stacktrace, type, ns-error, value] of one exception; *stack tells whether its stack
 * trace contributed. */
static bool exception_values(struct gvals *g, const cJSON *exc, const char *platform, bool app_only,
                             bool *stack)
{
    *stack = stack_values(g, jsonx_obj(exc, "stacktrace"), platform, app_only);
    bool any = *stack;
    const cJSON *mech = jsonx_obj(exc, "mechanism");
    const char *type = jsonx_str(exc, "type");
    if (type && *type && !jsonx_bool(mech, "synthetic", false)) {
        gv_push(g, type);
        any = true;
    }
    const cJSON *ns = jsonx_obj(jsonx_obj(mech, "meta"), "ns_error");
    const char *domain = jsonx_str(ns, "domain");
    const cJSON *code = jsonx_get(ns, "code");
    if (domain || code) {
        if (domain)
            gv_push(g, domain);
        if (cJSON_IsNumber(code))
            gv_push(g, arena_printf(g->a, "%.0f", code->valuedouble));
        return true;
    }
    const char *value = jsonx_str(exc, "value");
    if (!*stack && value && *value) {
        const char *norm = proto_normalize_message(g->a, value);
        if (!norm || *norm)
            gv_push(g, norm);
        any = true;
    }
    return any;
}

/* A strategy's values for one variant; *stack: whether a stack trace contributed. */
typedef bool (*strategy_fn)(struct gvals *g, const cJSON *src, const char *platform, bool app_only,
                            bool *stack);

static bool strategy_exceptions(struct gvals *g, const cJSON *ev, const char *platform,
                                bool app_only, bool *stack)
{
    bool any = false;
    const cJSON *exc;
    *stack = false;
    cJSON_ArrayForEach(exc, jsonx_arr(jsonx_obj(ev, "exception"), "values"))
    {
        bool st = false;
        any |= exception_values(g, exc, platform, app_only, &st);
        *stack |= st;
    }
    return any;
}

static bool strategy_stack(struct gvals *g, const cJSON *st, const char *platform, bool app_only,
                           bool *stack)
{
    *stack = stack_values(g, st, platform, app_only);
    return *stack;
}

/* Runs a strategy for both variants; the app variant is used when its stack trace
 * contributes, else the system one (a variant without a contributing stack trace is
 * dropped when another has one; equal variants collapse). */
static bool strategy_run(struct gvals *out, strategy_fn fn, const cJSON *src, const char *platform)
{
    struct gvals app = {.a = out->a}, sys = {.a = out->a};
    bool app_stack = false, sys_stack = false;
    bool app_any = fn(&app, src, platform, true, &app_stack);
    bool sys_any = fn(&sys, src, platform, false, &sys_stack);
    if (!app_any && !sys_any)
        return false;
    *out = app_any && app_stack ? app : sys;
    return true;
}

/* The stack trace of the only thread that has one, when exactly one does. */
static const cJSON *single_thread_stack(const cJSON *ev)
{
    const cJSON *t, *found = NULL;
    int count = 0;
    cJSON_ArrayForEach(t, jsonx_arr(jsonx_obj(ev, "threads"), "values"))
    {
        const cJSON *st = jsonx_obj(t, "stacktrace");
        if (st) {
            found = st;
            count++;
        }
    }
    return count == 1 ? found : NULL;
}

static bool strategy_message(struct gvals *g, const cJSON *ev)
{
    const cJSON *le = jsonx_obj(ev, "logentry");
    const char *text = jsonx_str(le, "message");
    if (!text || !*text)
        text = jsonx_str(le, "formatted");
    if (!text || !*text)
        return false;
    const char *norm = proto_normalize_message(g->a, text);
    if (norm && !*norm)
        return false;
    gv_push(g, norm);
    return true;
}

/* The default grouping values; none means the fallback (md5 of nothing). */
static void default_values(struct gvals *g, const cJSON *ev)
{
    const char *platform = jsonx_str(ev, "platform");
    if (strategy_run(g, strategy_exceptions, ev, platform))
        return;
    const cJSON *thread = single_thread_stack(ev);
    if (thread && strategy_run(g, strategy_stack, thread, platform))
        return;
    const cJSON *st = jsonx_obj(ev, "stacktrace");
    if (st && strategy_run(g, strategy_stack, st, platform))
        return;
    strategy_message(g, ev);
}

/* "{{ name }}" → name lowercased into out; false when s is a literal. */
static bool fp_variable(const char *s, char out[GROUP_VAR_MAX])
{
    size_t len = strlen(s);
    if (len < 5 || strncmp(s, "{{", 2) != 0 || strcmp(s + len - 2, "}}") != 0)
        return false;
    const char *p = s + 2, *end = s + len - 2;
    while (p < end && isspace((unsigned char)*p))
        p++;
    while (end > p && isspace((unsigned char)end[-1]))
        end--;
    size_t n = (size_t)(end - p);
    if (n == 0 || n >= GROUP_VAR_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (isspace((unsigned char)p[i]))
            return false;
        out[i] = (char)tolower((unsigned char)p[i]);
    }
    out[n] = '\0';
    return true;
}

static const char *or_missing(const char *v, const char *missing)
{
    return v && *v ? v : missing;
}

static const char *fp_tag(struct arena *a, const cJSON *ev, const char *name)
{
    const cJSON *pair;
    cJSON_ArrayForEach(pair, jsonx_arr(ev, "tags"))
    {
        const cJSON *k = cJSON_GetArrayItem(pair, 0), *v = cJSON_GetArrayItem(pair, 1);
        if (cJSON_IsString(k) && cJSON_IsString(v) && strcmp(k->valuestring, name) == 0)
            return v->valuestring;
    }
    return arena_printf(a, "<no-value-for-tag-%s>", name);
}

static const char *fp_basename(const char *path)
{
    const char *base = path;
    for (const char *p = path; p && *p; p++) {
        if (*p == '/' || *p == '\\')
            base = p + 1;
    }
    return base;
}

/* Variables about the crash frame; NULL when name is not one of them. */
static const char *fp_frame_var(const cJSON *ev, const char *name)
{
    const cJSON *f = proto_crash_frame(ev, false);
    if (!strcmp(name, "function") || !strcmp(name, "stack.function"))
        return or_missing(jsonx_str(f, "function"), "<no-function>");
    if (!strcmp(name, "module") || !strcmp(name, "stack.module"))
        return or_missing(jsonx_str(f, "module"), "<no-module>");
    if (!strcmp(name, "stack.filename"))
        return or_missing(jsonx_str(f, "filename"), "<no-filename>");
    if (!strcmp(name, "path") || !strcmp(name, "stack.abs_path")) {
        const char *p = jsonx_str(f, "abs_path");
        return or_missing(p && *p ? p : jsonx_str(f, "filename"), "<no-abs-path>");
    }
    if (!strcmp(name, "package") || !strcmp(name, "stack.package"))
        return or_missing(fp_basename(jsonx_str(f, "package")), "<no-package>");
    return NULL;
}

/* The value of a fingerprint variable (other than {{ default }}); NULL when unknown. */
static const char *fp_resolve(struct arena *a, const cJSON *ev, const char *name)
{
    const cJSON *values = jsonx_arr(jsonx_obj(ev, "exception"), "values");
    const cJSON *last = cJSON_GetArrayItem(values, cJSON_GetArraySize(values) - 1);
    const cJSON *le = jsonx_obj(ev, "logentry");
    if (!strcmp(name, "transaction"))
        return or_missing(jsonx_str(ev, "transaction"), "<no-transaction>");
    if (!strcmp(name, "message")) {
        const char *m = or_missing(jsonx_str(le, "formatted"), NULL);
        m = m ? m : or_missing(jsonx_str(le, "message"), NULL);
        return or_missing(m ? m : jsonx_str(last, "value"), "<no-message>");
    }
    if (!strcmp(name, "type") || !strcmp(name, "error.type"))
        return or_missing(jsonx_str(last, "type"), "<no-type>");
    if (!strcmp(name, "value") || !strcmp(name, "error.value"))
        return or_missing(jsonx_str(last, "value"), "<no-value>");
    if (!strcmp(name, "level"))
        return or_missing(jsonx_str(ev, "level"), "<no-level>");
    if (!strcmp(name, "logger"))
        return or_missing(jsonx_str(ev, "logger"), "<no-logger>");
    if (!strncmp(name, "tags.", 5) && name[5])
        return fp_tag(a, ev, name + 5);
    return fp_frame_var(ev, name);
}

/* True when the fingerprint is absent or exactly ["{{ default }}"]. */
static bool fp_is_default(const cJSON *fp)
{
    char name[GROUP_VAR_MAX];
    if (cJSON_GetArraySize(fp) == 0)
        return true;
    return cJSON_GetArraySize(fp) == 1 && cJSON_IsString(fp->child) &&
           fp_variable(fp->child->valuestring, name) && !strcmp(name, "default");
}

/* The fingerprint's values, {{ default }} spliced with the default grouping values. */
static void fp_values(struct gvals *out, const cJSON *ev, const cJSON *fp, const struct gvals *def)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, fp)
    {
        char name[GROUP_VAR_MAX];
        if (!cJSON_IsString(it))
            continue;
        if (!fp_variable(it->valuestring, name)) {
            gv_push(out, it->valuestring);
        } else if (!strcmp(name, "default")) {
            for (size_t i = 0; i < def->n; i++)
                gv_push(out, def->v[i]);
        } else {
            const char *v = fp_resolve(out->a, ev, name);
            gv_push(out, v ? v : it->valuestring);
        }
    }
}

static enum err hash_values(const struct gvals *g, char out[33])
{
    enum err rc = E_NOMEM;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_md5(), NULL) != 1)
        goto out;
    for (size_t i = 0; i < g->n; i++) {
        if (EVP_DigestUpdate(ctx, g->v[i], strlen(g->v[i])) != 1)
            goto out;
    }
    if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 16)
        goto out;
    ids_hex(md, 16, out);
    rc = E_OK;
out:
    EVP_MD_CTX_free(ctx);
    return rc;
}

static enum err group_hash(struct arena *a, const cJSON *ev, char out[33])
{
    struct gvals def = {.a = a}, custom = {.a = a};
    default_values(&def, ev);
    const cJSON *fp = jsonx_arr(ev, "fingerprint");
    const struct gvals *use = &def;
    if (!fp_is_default(fp)) {
        fp_values(&custom, ev, fp, &def);
        use = &custom;
    }
    if (def.oom || custom.oom)
        return E_TOOBIG;
    return hash_values(use, out);
}

/* Writes title, culprit, type and metadata into the event. */
static enum err group_store(cJSON *ev, struct event_summary *io, cJSON *meta)
{
    if (!jsonx_set_str(ev, "title", io->title) || !jsonx_set_str(ev, "culprit", io->culprit) ||
        !jsonx_set_str(ev, "type", io->type)) {
        cJSON_Delete(meta);
        return E_NOMEM;
    }
    return jsonx_set(ev, "metadata", meta) ? E_OK : E_NOMEM;
}

enum err proto_event_group(struct arena *a, cJSON *event, struct event_summary *io,
                           struct errinfo *ei)
{
    cJSON *meta = NULL;
    const char *title = NULL;
    if (!cJSON_IsObject(event))
        return errinfo_set(ei, E_PARSE, "event is not a JSON object");
    enum err rc = group_hash(a, event, io->hash);
    if (rc == E_OK)
        rc = proto_event_title(a, event, &meta, &title);
    if (rc != E_OK)
        goto out;
    io->title = arena_strdup(a, title);
    io->culprit = proto_event_culprit(a, event);
    io->culprit = io->culprit ? arena_strdup(a, io->culprit) : NULL;
    io->metadata_json = jsonx_print(a, meta);
    io->type = jsonx_arr(jsonx_obj(event, "exception"), "values") ? "error" : "default";
    if (!io->title || !io->culprit || !io->metadata_json) {
        cJSON_Delete(meta);
        rc = E_TOOBIG;
        goto out;
    }
    rc = group_store(event, io, meta);
out:
    if (rc != E_OK)
        errinfo_set(ei, rc, "cannot group event: %s", err_name(rc));
    return rc;
}
