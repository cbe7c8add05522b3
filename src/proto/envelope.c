/* proto/envelope: splits a Sentry envelope into its header and items, following the reference
 * algorithm of shared/protocol.md §3.1. Lenient where the spec allows it: a CR before LF on a
 * header line is stripped, blank lines between items are skipped, the trailing newline is
 * optional, and an item header at the very end with no newline has an empty payload. Strict
 * about sizes: a `length` must be a non-negative integer that fits in the input, and the byte
 * after a sized payload must be a newline (or the end). Payloads are slices into the input. */
#include "proto/envelope.h"

#include <math.h>
#include <string.h>

#include "core/jsonx.h"
#include "core/limits.h"

#define ENVELOPE_ITEMS_INITIAL 8

/* A cursor over the input. */
struct env_cursor {
    const char *p;
    size_t len, pos;
};

/* The end of the line starting at pos (offset of its '\n', or len). */
static size_t env_line_end(const struct env_cursor *c, size_t pos)
{
    const char *nl = memchr(c->p + pos, '\n', c->len - pos);
    return nl ? (size_t)(nl - c->p) : c->len;
}

static void env_json_delete(void *tree)
{
    cJSON_Delete(tree);
}

/* Parses the header line [start, end) (CR before LF stripped) as a JSON object owned by the
 * arena. The tree is tied to the arena here, not by jsonx_parse, so that an arena over budget
 * (whose arena_defer frees the tree at once) is an E_TOOBIG rather than a dangling tree. */
static enum err env_parse_header(struct arena *a, const struct env_cursor *c, size_t start,
                                 size_t end, const char *what, cJSON **out, struct errinfo *ei)
{
    if (end > start && c->p[end - 1] == '\r')
        end--;
    struct errinfo sub = {{0}};
    enum err e = jsonx_parse(NULL, c->p + start, end - start, out, &sub);
    if (e == E_PARSE)
        return errinfo_set(ei, E_PARSE, "invalid %s at byte %zu: %s", what, start, sub.detail);
    if (e)
        return errinfo_set(ei, e, "%s at byte %zu: %s", what, start, sub.detail);
    if (arena_defer(a, env_json_delete, *out) != 0) {
        *out = NULL;
        return errinfo_set(ei, E_TOOBIG, "envelope exceeds the memory budget");
    }
    if (!cJSON_IsObject(*out))
        return errinfo_set(ei, E_PARSE, "%s at byte %zu is not a JSON object", what, start);
    return E_OK;
}

/* Reads the optional `length` of an item header; *sized is false when absent or null. */
static enum err env_item_length(const cJSON *hdr, size_t start, size_t avail, bool *sized,
                                size_t *out, struct errinfo *ei)
{
    const cJSON *l = cJSON_GetObjectItemCaseSensitive(hdr, "length");
    *sized = false;
    *out = 0;
    if (!l || cJSON_IsNull(l))
        return E_OK;
    double d = cJSON_IsNumber(l) ? l->valuedouble : -1.0;
    if (!cJSON_IsNumber(l) || d < 0 || !isfinite(d) || floor(d) != d)
        return errinfo_set(ei, E_PARSE, "item at byte %zu: length is not a non-negative integer",
                           start);
    if (d > (double)avail)
        return errinfo_set(ei, E_PARSE, "unexpected end of envelope: item at byte %zu", start);
    *sized = true;
    *out = (size_t)d;
    if (*out > avail) /* (double) rounding near SIZE_MAX */
        return errinfo_set(ei, E_PARSE, "unexpected end of envelope: item at byte %zu", start);
    return E_OK;
}

/* Finds the payload of the item whose header ends at ih_end, and moves the cursor past it. */
static enum err env_item_payload(struct env_cursor *c, const cJSON *hdr, size_t start,
                                 size_t ih_end, struct slice *payload, struct errinfo *ei)
{
    size_t pstart = ih_end < c->len ? ih_end + 1 : c->len;
    bool sized;
    size_t n;
    enum err e = env_item_length(hdr, start, c->len - pstart, &sized, &n, ei);
    if (e)
        return e;
    if (!sized)
        n = env_line_end(c, pstart) - pstart;
    else if (pstart + n < c->len && c->p[pstart + n] != '\n')
        return errinfo_set(ei, E_PARSE, "missing newline after item payload at byte %zu",
                           pstart + n);
    *payload = (struct slice){c->p + pstart, n};
    c->pos = pstart + n < c->len ? pstart + n + 1 : c->len;
    return E_OK;
}

/* Appends an item, growing the arena array by doubling (never pre-sized from the input). */
static enum err env_push(struct arena *a, struct envelope *env, size_t *cap,
                         const struct envelope_item *it, struct errinfo *ei)
{
    if (env->nitems >= LIMIT_ENVELOPE_ITEMS)
        return errinfo_set(ei, E_TOOBIG, "envelope has more than %d items", LIMIT_ENVELOPE_ITEMS);
    if (env->nitems == *cap) {
        size_t ncap = *cap ? *cap * 2 : ENVELOPE_ITEMS_INITIAL;
        struct envelope_item *items = arena_calloc(a, ncap, sizeof *items);
        if (!items)
            return errinfo_set(ei, E_TOOBIG, "envelope exceeds the memory budget");
        if (env->nitems)
            memcpy(items, env->items, env->nitems * sizeof *items);
        env->items = items;
        *cap = ncap;
    }
    env->items[env->nitems++] = *it;
    return E_OK;
}

/* Parses one item starting at c->pos (not a blank line). */
static enum err env_parse_item(struct arena *a, struct env_cursor *c, struct envelope_item *it,
                               struct errinfo *ei)
{
    size_t start = c->pos, ih_end = env_line_end(c, start);
    enum err e = env_parse_header(a, c, start, ih_end, "item header", &it->header, ei);
    if (e)
        return e;
    const char *type = jsonx_str(it->header, "type");
    it->type = type ? type : "";
    return env_item_payload(c, it->header, start, ih_end, &it->payload, ei);
}

/* True when the line at pos is empty (just "\n", or "\r\n"). */
static bool env_blank_line(const struct env_cursor *c)
{
    if (c->p[c->pos] == '\n')
        return true;
    return c->p[c->pos] == '\r' && c->pos + 1 < c->len && c->p[c->pos + 1] == '\n';
}

enum err proto_envelope_parse(struct arena *a, const char *p, size_t len, struct envelope *out,
                              struct errinfo *ei)
{
    memset(out, 0, sizeof *out);
    if (!p || len == 0)
        return errinfo_set(ei, E_PARSE, "empty envelope");
    struct env_cursor c = {p, len, 0};
    size_t hdr_end = env_line_end(&c, 0), cap = 0;
    enum err e = env_parse_header(a, &c, 0, hdr_end, "envelope header", &out->header, ei);
    if (e)
        return e;
    c.pos = hdr_end < len ? hdr_end + 1 : len;
    while (c.pos < len) {
        if (env_blank_line(&c)) {
            c.pos = env_line_end(&c, c.pos) + 1;
            continue;
        }
        struct envelope_item it;
        if ((e = env_parse_item(a, &c, &it, ei)) || (e = env_push(a, out, &cap, &it, ei)))
            return e;
    }
    return E_OK;
}
