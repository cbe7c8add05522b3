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

/* ---- fractions without printf: cJSON prints a number with %1.15g, and with %1.17g when the
 * 15 digits do not read back within a unit in the last place (jw_close_enough). For a
 * non-integral 1 <= |d| < 1e15 both steps are decided here in exact integer arithmetic:
 * |d| = m * 2^-s with m of 53 bits, so d * 10^f rounded to an integer (ties to even, as glibc
 * prints) and the distance between the 15 digits and d in units in the last place, both
 * fit in 128 bits. Values this cannot decide exactly (m at the edge of its binade, where the
 * neighbouring doubles are not one unit away; a distance of exactly 1.5 units) go the printf
 * way. The unit test compares the two ways on millions of values. */

typedef unsigned __int128 jw_u128;

static const uint64_t jw_pow10[] = {1ULL,
                                    10ULL,
                                    100ULL,
                                    1000ULL,
                                    10000ULL,
                                    100000ULL,
                                    1000000ULL,
                                    10000000ULL,
                                    100000000ULL,
                                    1000000000ULL,
                                    10000000000ULL,
                                    100000000000ULL,
                                    1000000000000ULL,
                                    10000000000000ULL,
                                    100000000000000ULL,
                                    1000000000000000ULL,
                                    10000000000000000ULL,
                                    100000000000000000ULL};

/* m * 10^f / 2^s rounded to an integer, ties to even. */
static uint64_t jw_scaled(uint64_t m, int f, int s)
{
    jw_u128 prod = (jw_u128)m * jw_pow10[f];
    jw_u128 q = prod >> s, r = prod & (((jw_u128)1 << s) - 1), half = (jw_u128)1 << (s - 1);
    if (r > half || (r == half && (q & 1)))
        q++;
    return (uint64_t)q;
}

/* %1.<p>g of m * 2^-s (its integer part has x + 1 digits) as digits, a point and the
 * fraction without trailing zeros; *q gets the rounded digits, *fp how many of them are
 * decimals. Returns the length, 0 when rounding carries past %g's fixed form. */
static int jw_fixed(char *out, uint64_t m, int s, int x, int p, uint64_t *q, int *fp)
{
    int f = p - 1 - x;
    *q = jw_scaled(m, f, s);
    if (*q >= jw_pow10[p]) { /* 9.99…5 rounded up: one integer digit more, one decimal less */
        if (++x > p - 1)
            return 0;
        f--;
        *q = jw_scaled(m, f, s);
    }
    *fp = f;
    int len = jw_integer(out, (long long)(*q / jw_pow10[f]));
    uint64_t frac = *q % jw_pow10[f];
    while (f > 0 && frac % 10 == 0) {
        frac /= 10;
        f--;
    }
    if (f > 0) {
        out[len++] = '.';
        for (int i = f - 1; i >= 0; i--)
            out[len + i] = (char)('0' + frac % 10), frac /= 10;
        len += f;
    }
    out[len] = '\0';
    return len;
}

/* cJSON's text for a non-integral d with 1 <= |d| < 1e15 into nb (sign included); 0 when
 * the exact way cannot decide (the caller then prints as cJSON does). */
static int jw_fraction(char nb[32], double d)
{
    int e;
    double a = fabs(d);
    uint64_t m = (uint64_t)ldexp(frexp(a, &e), 53), q;
    int s = 53 - e, x = 0;
    if (m <= (1ULL << 52) + 2 || m >= (1ULL << 53) - 2)
        return 0;
    for (uint64_t ip = (uint64_t)a; ip >= 10; ip /= 10)
        x++;
    char *out = nb + (d < 0);
    nb[0] = '-';
    int f = 0, len = jw_fixed(out, m, s, x, 15, &q, &f);
    if (!len)
        return 0;
    /* the 15 digits' distance from d, in units of d's last place: |v - t| / 10^f */
    jw_u128 v = (jw_u128)q << s, t = (jw_u128)m * jw_pow10[f];
    jw_u128 twice = 2 * (v > t ? v - t : t - v), limit = (jw_u128)3 * jw_pow10[f];
    if (twice == limit)
        return 0;
    if (twice > limit && !(len = jw_fixed(out, m, s, x, 17, &q, &f)))
        return 0;
    return len + (d < 0);
}

static void jw_number(struct jw *w, const cJSON *item)
{
    char nb[32];
    double d = item->valuedouble;
    int n = 0;
    if (isnan(d) || isinf(d)) {
        n = snprintf(nb, sizeof nb, "null");
    } else if (d == trunc(d) && fabs(d) < 1e15 && !(d == 0 && signbit(d))) {
        /* what %1.15g prints for an integer of at most 15 digits, without printf */
        n = jw_integer(nb, (long long)d);
    } else if (fabs(d) >= 1 && fabs(d) < 1e15) {
        n = jw_fraction(nb, d);
    }
    if (n == 0) {
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
