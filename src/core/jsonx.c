/* jsonx: cJSON helpers and the arena scope for cJSON allocations (see jsonx.h). */
#include "core/jsonx.h"

#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/limits.h"

/* This thread's open scope (NULL when none), and whether an allocation in it hit the budget. */
static _Thread_local struct arena *jsonx_scope;
static _Thread_local bool jsonx_scope_full;
static pthread_once_t jsonx_once = PTHREAD_ONCE_INIT;

static void *jsonx_malloc(size_t n)
{
    if (!jsonx_scope)
        return malloc(n);
    void *p = arena_alloc(jsonx_scope, n);
    if (!p)
        jsonx_scope_full = true;
    return p;
}

static void jsonx_free(void *p)
{
    if (p && jsonx_scope && arena_owns(jsonx_scope, p))
        return;
    free(p);
}

static void jsonx_install_hooks(void)
{
    cJSON_Hooks h = {jsonx_malloc, jsonx_free};
    cJSON_InitHooks(&h);
}

void jsonx_init(void)
{
    pthread_once(&jsonx_once, jsonx_install_hooks);
}

void jsonx_arena_begin(struct arena *a)
{
    jsonx_init();
    jsonx_scope = a;
    jsonx_scope_full = false;
}

void jsonx_arena_end(void)
{
    jsonx_scope = NULL;
}

/* True when tree lives in the open scope's arena (it must then not be deleted later). */
static bool jsonx_in_scope(const cJSON *tree)
{
    return jsonx_scope && arena_owns(jsonx_scope, tree);
}

static int jsonx_depth(const cJSON *item, int depth)
{
    if (depth > LIMIT_JSON_DEPTH)
        return depth;
    int max = depth;
    for (const cJSON *c = item->child; c; c = c->next) {
        int d = jsonx_depth(c, depth + 1);
        if (d > max)
            max = d;
        if (max > LIMIT_JSON_DEPTH)
            break;
    }
    return max;
}

static void jsonx_delete_hook(void *p)
{
    cJSON_Delete(p);
}

int jsonx_own(struct arena *a, cJSON *tree)
{
    if (a && tree && !jsonx_in_scope(tree))
        return arena_defer(a, jsonx_delete_hook, tree);
    return 0;
}

enum err jsonx_parse(struct arena *a, const char *p, size_t len, cJSON **out, struct errinfo *ei)
{
    *out = NULL;
    if (len == 0)
        return errinfo_set(ei, E_PARSE, "empty JSON document");
    const char *end = NULL;
    cJSON *tree = cJSON_ParseWithLengthOpts(p, len, &end, 0);
    if (!tree && jsonx_scope && jsonx_scope_full)
        return errinfo_set(ei, E_TOOBIG, "request too large to parse");
    if (!tree) {
        size_t off = end && end >= p ? (size_t)(end - p) : 0;
        return errinfo_set(ei, E_PARSE, "invalid JSON at byte %zu", off);
    }
    for (const char *q = end; q < p + len; q++) {
        if (*q != ' ' && *q != '\t' && *q != '\r' && *q != '\n') {
            cJSON_Delete(tree);
            return errinfo_set(ei, E_PARSE, "trailing data after JSON at byte %zu",
                               (size_t)(q - p));
        }
    }
    if (jsonx_depth(tree, 0) > LIMIT_JSON_DEPTH) {
        cJSON_Delete(tree);
        return errinfo_set(ei, E_PARSE, "JSON nested deeper than %d levels", LIMIT_JSON_DEPTH);
    }
    if (jsonx_own(a, tree) != 0)
        return errinfo_set(ei, E_TOOBIG, "request too large to parse");
    *out = tree;
    return E_OK;
}

/* Keys are compared on their first two bytes before strcmp: normalisation and grouping look
 * up tens of keys in objects of tens of members, and most first letters are shared. */
cJSON *jsonx_get(const cJSON *obj, const char *key)
{
    if (!obj || !key)
        return NULL;
    const char k0 = key[0], k1 = k0 ? key[1] : 0;
    for (cJSON *c = obj->child; c && c->string; c = c->next) {
        const char *s = c->string;
        if (s[0] != k0)
            continue;
        if (!k0 || (s[1] == k1 && (!k1 || strcmp(s + 2, key + 2) == 0)))
            return c;
    }
    return NULL;
}

const char *jsonx_str(const cJSON *obj, const char *key)
{
    const cJSON *v = jsonx_get(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

double jsonx_num(const cJSON *obj, const char *key, double fallback)
{
    const cJSON *v = jsonx_get(obj, key);
    return cJSON_IsNumber(v) ? v->valuedouble : fallback;
}

bool jsonx_bool(const cJSON *obj, const char *key, bool fallback)
{
    const cJSON *v = jsonx_get(obj, key);
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : fallback;
}

cJSON *jsonx_obj(const cJSON *obj, const char *key)
{
    cJSON *v = jsonx_get(obj, key);
    return cJSON_IsObject(v) ? v : NULL;
}

cJSON *jsonx_arr(const cJSON *obj, const char *key)
{
    cJSON *v = jsonx_get(obj, key);
    return cJSON_IsArray(v) ? v : NULL;
}

cJSON *jsonx_set(cJSON *obj, const char *key, cJSON *item)
{
    if (!item)
        return NULL;
    if (jsonx_get(obj, key)) {
        if (!cJSON_ReplaceItemInObjectCaseSensitive(obj, key, item)) {
            cJSON_Delete(item);
            return NULL;
        }
    } else if (!cJSON_AddItemToObject(obj, key, item)) {
        cJSON_Delete(item);
        return NULL;
    }
    return item;
}

cJSON *jsonx_set_str(cJSON *obj, const char *key, const char *value)
{
    return jsonx_set(obj, key, cJSON_CreateString(value ? value : ""));
}

cJSON *jsonx_set_num(cJSON *obj, const char *key, double value)
{
    return jsonx_set(obj, key, cJSON_CreateNumber(value));
}

/* ---- printing ---------------------------------------------------------------------------- */

/* The compact printer writes straight into an arena buffer that doubles as it fills. Its
 * output is byte for byte cJSON_PrintUnformatted's (same escapes, same number formats), but
 * it needs no malloc per growth step, no strlen per string and no sscanf per number. */
struct jw {
    struct arena *a;
    char *p;
    size_t len, cap;
    bool fail;
};

#define JW_INITIAL 4096

static bool jw_grow(struct jw *w, size_t more)
{
    size_t cap = w->cap ? w->cap : JW_INITIAL;
    while (cap - w->len < more) {
        if (cap > SIZE_MAX / 2)
            return false;
        cap *= 2;
    }
    char *p = arena_alloc(w->a, cap);
    if (!p)
        return false;
    if (w->len)
        memcpy(p, w->p, w->len);
    w->p = p;
    w->cap = cap;
    return true;
}

/* Makes room for n more bytes; false (and w->fail) when there is none. The common case, room
 * left, is one comparison inlined at the caller. */
static bool jw_reserve_slow(struct jw *w, size_t n)
{
    if (!w->fail && !jw_grow(w, n))
        w->fail = true;
    return !w->fail;
}

static inline __attribute__((always_inline)) bool jw_reserve(struct jw *w, size_t n)
{
    return (w->cap - w->len >= n && !w->fail) || jw_reserve_slow(w, n);
}

static void jw_put(struct jw *w, const char *s, size_t n)
{
    if (!jw_reserve(w, n))
        return;
    memcpy(w->p + w->len, s, n);
    w->len += n;
}

static void jw_char(struct jw *w, char c)
{
    if (jw_reserve(w, 1))
        w->p[w->len++] = c;
}

/* Bytes a JSON string cannot hold raw: controls, '"', '\\' (and the terminating NUL). */
static bool jw_needs_escape(unsigned char c)
{
    return c < 32 || c == '"' || c == '\\';
}

/* Writes c's escape at out (room for 6 bytes); returns its length. */
static size_t jw_escape(char *out, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    static const char from[] = "\"\\\b\f\n\r\t", to[] = "\"\\bfnrt";
    const char *k = memchr(from, c, sizeof from - 1);
    char esc[6] = {'\\', k ? to[k - from] : 'u', '0', '0', hex[c >> 4], hex[c & 15]};
    memcpy(out, esc, 6);
    return k ? 2 : 6;
}

/* Whether none of the 8 bytes in x needs escaping (word-at-a-time tests: a byte below 0x20,
 * a byte equal to '"', a byte equal to '\\'; exact as yes/no answers). */
static bool jw_word_plain(uint64_t x)
{
    const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
    uint64_t quote = x ^ (ones * '"'), slash = x ^ (ones * '\\');
    uint64_t ctl = (x - ones * 0x20) & ~x;
    uint64_t q = (quote - ones) & ~quote, b = (slash - ones) & ~slash;
    return ((ctl | q | b) & high) == 0;
}

/* Up to JW_PIECE bytes of a string with their escapes, written straight into room reserved
 * for the worst case (every byte a six-byte escape): runs of plain bytes are found 8 at a
 * time and copied in one piece. */
#define JW_PIECE 4096

static void jw_string_piece(struct jw *w, const char *s, size_t n)
{
    if (!jw_reserve(w, 6 * n))
        return;
    char *out = w->p + w->len;
    size_t i = 0;
    while (i < n) {
        size_t run = i;
        uint64_t x;
        while (run + 8 <= n && (memcpy(&x, s + run, 8), jw_word_plain(x)))
            run += 8;
        while (run < n && !jw_needs_escape((unsigned char)s[run]))
            run++;
        memcpy(out, s + i, run - i);
        out += run - i;
        if (run < n)
            out += jw_escape(out, (unsigned char)s[run++]);
        i = run;
    }
    w->len = (size_t)(out - w->p);
}

static void jw_string(struct jw *w, const char *s)
{
    if (!s)
        s = "";
    size_t n = strlen(s);
    jw_char(w, '"');
    for (size_t i = 0; i < n && !w->fail; i += JW_PIECE)
        jw_string_piece(w, s + i, n - i < JW_PIECE ? n - i : JW_PIECE);
    jw_char(w, '"');
}

static bool jw_close_enough(double a, double b)
{
    double max = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
    return fabs(a - b) <= max * DBL_EPSILON;
}

/* Decimal digits of v into nb (at least 21 bytes); returns their count. */
static int jw_integer(char nb[32], long long v)
{
    char tmp[24];
    int n = 0, len = 0;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        nb[len++] = '-';
    while (n)
        nb[len++] = tmp[--n];
    nb[len] = '\0';
    return len;
}

static void jw_number(struct jw *w, const cJSON *item)
{
    char nb[32];
    double d = item->valuedouble;
    int n;
    if (isnan(d) || isinf(d)) {
        n = snprintf(nb, sizeof nb, "null");
    } else if (d == trunc(d) && fabs(d) < 1e15 && !(d == 0 && signbit(d))) {
        /* what %1.15g prints for an integer of at most 15 digits, without printf */
        n = jw_integer(nb, (long long)d);
    } else {
        n = snprintf(nb, sizeof nb, "%1.15g", d);
        if (!jw_close_enough(strtod(nb, NULL), d))
            n = snprintf(nb, sizeof nb, "%1.17g", d);
    }
    if (n < 0 || (size_t)n >= sizeof nb)
        w->fail = true;
    else
        jw_put(w, nb, (size_t)n);
}

static void jw_value(struct jw *w, const cJSON *item);

static void jw_children(struct jw *w, const cJSON *item, bool keys)
{
    jw_char(w, keys ? '{' : '[');
    for (const cJSON *c = item->child; c && !w->fail; c = c->next) {
        if (c != item->child)
            jw_char(w, ',');
        if (keys) {
            jw_string(w, c->string);
            jw_char(w, ':');
        }
        jw_value(w, c);
    }
    jw_char(w, keys ? '}' : ']');
}

static void jw_value(struct jw *w, const cJSON *item)
{
    switch (item->type & 0xFF) {
    case cJSON_NULL:
        jw_put(w, "null", 4);
        break;
    case cJSON_False:
        jw_put(w, "false", 5);
        break;
    case cJSON_True:
        jw_put(w, "true", 4);
        break;
    case cJSON_Number:
        jw_number(w, item);
        break;
    case cJSON_String:
        jw_string(w, item->valuestring);
        break;
    case cJSON_Raw:
        if (item->valuestring)
            jw_put(w, item->valuestring, strlen(item->valuestring));
        else
            w->fail = true;
        break;
    case cJSON_Array:
        jw_children(w, item, false);
        break;
    case cJSON_Object:
        jw_children(w, item, true);
        break;
    default:
        w->fail = true;
    }
}

char *jsonx_print(struct arena *a, const cJSON *tree)
{
    struct jw w = {.a = a};
    if (!tree)
        return NULL;
    jw_value(&w, tree);
    jw_char(&w, '\0');
    return w.fail ? NULL : w.p;
}
