/* Unit tests for src/core: arena, buf, clock, ids, jsonx, config. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/ids.h"
#include "core/jsonx.h"

static int hook_calls;
static void count_hook(void *p)
{
    (void)p;
    hook_calls++;
}

static void test_arena_budget_and_hooks(void **state)
{
    (void)state;
    struct arena *a = arena_new(1000);
    assert_non_null(arena_alloc(a, 500));
    assert_null(arena_alloc(a, 600)); /* over budget */
    char *s = arena_printf(a, "%s-%d", "x", 42);
    assert_string_equal(s, "x-42");
    assert_string_equal(arena_concat(a, "ab", "", "c: ", "d", NULL), "abc: d");
    assert_string_equal(arena_concat(a, NULL), "");
    char big[400];
    memset(big, 'z', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_null(arena_concat(a, big, big, NULL)); /* over budget */
    hook_calls = 0;
    assert_int_equal(arena_defer(a, count_hook, NULL), 0);
    arena_free(a);
    assert_int_equal(hook_calls, 1);
    a = arena_new(0);
    for (int i = 0; i < 1000; i++)
        memset(arena_alloc(a, 1000), 0xab, 1000); /* many blocks, big ones too */
    assert_non_null(arena_alloc(a, 1 << 20));
    assert_null(arena_calloc(a, SIZE_MAX / 2, 4));
    arena_free(a);
}

/* A reset arena runs its hooks, forgets its allocations (budget included) and still works;
 * under ASan a reset that kept a freed block, or freed a kept one, is caught here. */
static void test_arena_reset(void **state)
{
    (void)state;
    struct arena *a = arena_new(100000);
    for (int round = 0; round < 3; round++) {
        hook_calls = 0;
        for (int i = 0; i < 70; i++)
            memset(arena_alloc(a, 1000), 0xab, 1000); /* two 64 KiB blocks */
        memset(arena_alloc(a, 20000), 0xcd, 20000);   /* a large one of its own */
        assert_null(arena_alloc(a, 10000));           /* over budget */
        assert_int_equal(arena_defer(a, count_hook, NULL), 0);
        arena_reset(a);
        assert_int_equal(hook_calls, 1);
        assert_int_equal(arena_used(a), 0);
    }
    char *s = arena_strdup(a, "after");
    assert_true(arena_owns(a, s));
    assert_string_equal(s, "after");
    arena_free(a);
    a = arena_new(0); /* never used: nothing to keep */
    arena_reset(a);
    assert_non_null(arena_alloc(a, 10));
    arena_free(a);
}

static void test_buf_cap(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 10);
    assert_int_equal(buf_append(&b, "12345", 5), E_OK);
    assert_int_equal(buf_append(&b, "12345", 5), E_OK);
    assert_int_equal(buf_append(&b, "1", 1), E_TOOBIG);
    assert_int_equal(b.len, 10);
    assert_string_equal(b.p, "1234512345");
    buf_free(&b);
}

/* Deadlines land secs ahead on the clock asked for, nanoseconds always normalised. */
static void test_clock_deadline(void **state)
{
    (void)state;
    static const double secs[] = {0, 0.000001, 0.05, 0.999999999, 1.5, 59.75};
    for (size_t i = 0; i < sizeof secs / sizeof *secs; i++) {
        struct timespec now, d = clock_deadline(CLOCK_MONOTONIC, secs[i]);
        clock_gettime(CLOCK_MONOTONIC, &now);
        assert_true(d.tv_nsec >= 0 && d.tv_nsec < 1000000000L);
        double ahead = (double)(d.tv_sec - now.tv_sec) + (double)(d.tv_nsec - now.tv_nsec) / 1e9;
        assert_true(ahead <= secs[i] + 1e-6 && ahead > secs[i] - 0.5);
    }
}

static void test_clock_iso(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        double want;
        int ok;
    } cases[] = {
        {"2026-11-25T08:00:00Z", 1795593600.0, 0},
        {"2026-11-25T08:00:00.5Z", 1795593600.5, 0},
        {"2026-11-25T08:00:00+01:00", 1795590000.0, 0},
        {"2026-11-25T08:00:00", 1795593600.0, 0},
        {"2026-11-25 08:00:00.250000", 1795593600.25, 0},
        {"2026-11-25", 1795564800.0, 0},
        {"not a date", 0, -1},
        {"2026-13-01T00:00:00Z", 0, -1},
        {"2026-11-25T08:00:00Zjunk", 0, -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        double t = 0;
        int r = clock_parse_iso(cases[i].in, &t);
        assert_int_equal(r, cases[i].ok);
        if (r == 0)
            assert_float_equal(t, cases[i].want, 1e-6);
    }
    char out[32];
    clock_format_iso(1795593600.25, out);
    assert_string_equal(out, "2026-11-25T08:00:00.250000Z");
}

static void test_ids(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *want; /* NULL: rejected */
    } cases[] = {
        {"fc6d8c0c43fc4630ad850ee518f1b9d0", "fc6d8c0c43fc4630ad850ee518f1b9d0"},
        {"FC6D8C0C-43FC-4630-AD85-0EE518F1B9D0", "fc6d8c0c43fc4630ad850ee518f1b9d0"},
        {"{fc6d8c0c-43fc-4630-ad85-0ee518f1b9d0}", "fc6d8c0c43fc4630ad850ee518f1b9d0"},
        {"fc6d8c0c43fc4630ad850ee518f1b9dz", NULL},
        {"fc6d8c0c-43fc4630-ad85-0ee518f1b9d0a", NULL},
        {"", NULL},
    };
    assert_int_equal(ids_init(), 0);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char out[33];
        bool ok = ids_normalize_uuid(cases[i].in, strlen(cases[i].in), out);
        assert_int_equal(ok, cases[i].want != NULL);
        if (ok)
            assert_string_equal(out, cases[i].want);
    }
    char a[33], b[33];
    ids_uuid4_hex(a);
    ids_uuid4_hex(b);
    assert_int_equal(strlen(a), 32);
    assert_string_not_equal(a, b);
    assert_int_equal(a[12], '4');
}

static void test_jsonx_parse(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        enum err want;
    } cases[] = {
        {"{\"a\":1}", E_OK},  {"{\"a\":1}  \n", E_OK}, {"{\"a\":1} x", E_PARSE},
        {"{\"a\":", E_PARSE}, {"", E_PARSE},           {"[1,2,3]", E_OK},
    };
    struct arena *a = arena_new(0);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cJSON *j;
        assert_int_equal(jsonx_parse(a, cases[i].in, strlen(cases[i].in), &j, NULL), cases[i].want);
    }
    /* nesting deeper than the limit is refused */
    char deep[2 * 200 + 1];
    memset(deep, '[', 200);
    memset(deep + 200, ']', 200);
    deep[400] = '\0';
    cJSON *j;
    assert_int_equal(jsonx_parse(a, deep, 400, &j, NULL), E_PARSE);
    arena_free(a);
}

/* jsonx_get finds exactly the member named, whatever prefix other keys share with it. */
static void test_jsonx_get(void **state)
{
    (void)state;
    static const char doc[] = "{\"abd\":1,\"a\":2,\"\":3,\"ab\":4,\"abc\":5,\"b\":6,\"abcd\":7}";
    static const struct {
        const char *key;
        int want; /* 0: absent */
    } cases[] = {{"a", 2}, {"ab", 4}, {"abc", 5}, {"abd", 1}, {"abcd", 7},  {"", 3},
                 {"b", 6}, {"c", 0},  {"ac", 0},  {"abe", 0}, {"abcde", 0}, {"A", 0}};
    struct arena *a = arena_new(0);
    cJSON *j = NULL;
    assert_int_equal(jsonx_parse(a, doc, strlen(doc), &j, NULL), E_OK);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const cJSON *v = jsonx_get(j, cases[i].key);
        if (!cases[i].want)
            assert_null(v);
        else
            assert_int_equal(v ? v->valueint : -1, cases[i].want);
    }
    assert_null(jsonx_get(NULL, "a"));
    assert_null(jsonx_get(j, NULL));
    arena_free(a);
}

/* jsonx_print prints j as cJSON_PrintUnformatted does. */
static void assert_prints_like_cjson(struct arena *a, const cJSON *j)
{
    char *want = cJSON_PrintUnformatted(j);
    char *got = jsonx_print(a, j);
    assert_non_null(want);
    assert_non_null(got);
    assert_string_equal(got, want);
    cJSON_free(want);
}

static void assert_string_prints_like_cjson(struct arena *a, const char *str)
{
    cJSON *j = cJSON_CreateString(str);
    assert_prints_like_cjson(a, j);
    cJSON_Delete(j);
}

/* Strings are scanned 8 bytes at a time: every byte that needs an escape (and some that
 * do not, next to them: 0x20, 0x7f, UTF-8) at every offset of a 20-byte string, printed as
 * cJSON prints it. */
static void test_jsonx_print_string_offsets(void **state)
{
    (void)state;
    static const unsigned char specials[] = {'"',  '\\', 0x01, 0x08, 0x0a, 0x1f,
                                             0x20, 0x21, 0x5b, 0x5d, 0x7f, 0xc3};
    struct arena *a = arena_new(0);
    for (size_t k = 0; k < sizeof specials; k++) {
        for (size_t at = 0; at < 20; at++) {
            char str[21];
            memset(str, 'a', 20);
            str[20] = '\0';
            str[at] = (char)specials[k];
            if (specials[k] == 0xc3 && at < 19)
                str[at + 1] = (char)0xa9; /* é */
            assert_string_prints_like_cjson(a, str);
        }
    }
    arena_free(a);
}

/* Long strings are written in pieces: escapes on either side of every piece boundary, and a
 * string of escapes only, as cJSON prints them. */
static void test_jsonx_print_long_strings(void **state)
{
    (void)state;
    static const size_t len[] = {4095, 4096, 4097, 8191, 8192, 8193, 20000};
    static const size_t at[] = {0, 4094, 4095, 4096, 4097, 8191, 8192, 12288};
    struct arena *a = arena_new(0);
    char *str = malloc(20001);
    assert_non_null(str);
    for (size_t l = 0; l < sizeof len / sizeof *len; l++) {
        for (int esc_only = 0; esc_only < 2; esc_only++) {
            memset(str, esc_only ? '\n' : 'a', len[l]);
            str[len[l]] = '\0';
            for (size_t k = 0; k < sizeof at / sizeof *at; k++)
                if (at[k] < len[l])
                    str[at[k]] = k % 2 ? '"' : 0x01;
            assert_string_prints_like_cjson(a, str);
        }
    }
    free(str);
    arena_free(a);
}

/* Numbers: jsonx_print decides most fractions without printf; every one must come out as
 * cJSON prints it. Timestamps to the microsecond (what normalisation leaves), random doubles
 * across the fast way's range and beyond it, halves and other ties, values next to powers of
 * ten and of two, negatives. */
static uint64_t num_rng = 0x9e3779b97f4a7c15ULL;

static uint64_t num_next(void)
{
    num_rng ^= num_rng << 13;
    num_rng ^= num_rng >> 7;
    num_rng ^= num_rng << 17;
    return num_rng;
}

static double num_sample(int kind)
{
    uint64_t r = num_next();
    double d, u = (double)(r >> 11) / 9007199254740992.0;
    switch (kind) {
    case 0: /* a timestamp to the microsecond */
        return round((1.0e9 + u * 1.0e9) * 1e6) / 1e6;
    case 1: /* any double from 1e-3 to 1e16, on a log scale */
        return pow(10.0, -3.0 + u * 19.0);
    case 2: /* few decimals, ties among them */
        return (double)(r % 100000000) / (double)(1ULL << (r >> 60));
    case 3: { /* next to a power of ten or two */
        double base = (r & 1) ? pow(10.0, (double)(r % 16)) : ldexp(1.0, (int)(r % 50));
        d = base;
        for (int k = (int)((r >> 8) % 5); k > 0; k--)
            d = (r >> 16) & 1 ? nextafter(d, 0) : nextafter(d, INFINITY);
        return d;
    }
    default: { /* raw bits: any finite double in [1, 2^50) */
        double x = ldexp(1.0 + (double)(r >> 12) / 4503599627370496.0, (int)(r % 50));
        return x;
    }
    }
}

static void test_jsonx_print_numbers(void **state)
{
    (void)state;
    struct arena *a = arena_new(0);
    for (int round = 0; round < 100; round++) {
        cJSON *arr = cJSON_CreateArray();
        for (int i = 0; i < 10000; i++) {
            double d = num_sample(i % 5);
            cJSON_AddItemToArray(arr, cJSON_CreateNumber(i % 3 == 0 ? -d : d));
        }
        assert_prints_like_cjson(a, arr);
        cJSON_Delete(arr);
    }
    arena_free(a);
}

/* jsonx_print writes exactly what cJSON_PrintUnformatted writes, inside an arena scope and
 * outside; a scope's tree needs no cJSON_Delete and a budget overrun is E_TOOBIG. */
static void test_jsonx_print(void **state)
{
    (void)state;
    static const char *const docs[] = {
        "{}",
        "[]",
        "null",
        "true",
        "[false,null,{}]",
        "\"x\"",
        "{\"a\":1,\"b\":-2,\"c\":1.5,\"d\":0.1,\"e\":1e300,\"f\":-0.0,\"g\":1700000000.123456}",
        "[2147483647,2147483648,-2147483649,9007199254740993,1.7976931348623157e308,5e-324]",
        "{\"s\":\"q\\\"b\\\\n\\n\\t\\r\\b\\f\\u0001\\u001f/\\u00e9\\u2028 \\ud83d\\ude00\"}",
        "{\"\\n\":{\"k\":[1,[2,[3]]]},\"\":\"\"}",
    };
    struct arena *a = arena_new(0);
    for (int scoped = 0; scoped < 2; scoped++) {
        for (size_t i = 0; i < sizeof docs / sizeof *docs; i++) {
            cJSON *j = NULL;
            if (scoped)
                jsonx_arena_begin(a);
            assert_int_equal(jsonx_parse(a, docs[i], strlen(docs[i]), &j, NULL), E_OK);
            assert_prints_like_cjson(a, j);
            if (scoped)
                jsonx_arena_end();
        }
    }
    arena_free(a);
    struct arena *small = arena_new(4096);
    char big[8192];
    memset(big, ' ', sizeof big);
    for (size_t i = 0; i + 4 < sizeof big; i += 4)
        memcpy(big + i, i ? ",[]" : "[[]", 3);
    big[sizeof big - 2] = ']';
    big[sizeof big - 1] = '\0';
    cJSON *j = NULL;
    jsonx_arena_begin(small);
    assert_int_equal(jsonx_parse(small, big, strlen(big), &j, NULL), E_TOOBIG);
    jsonx_arena_end();
    arena_free(small);
}

static void test_config_values(void **state)
{
    (void)state;
    static const struct {
        const char *name, *value;
        enum err want;
    } cases[] = {
        {"PORT", "8080", E_OK},
        {"PORT", "0", E_INVALID},
        {"PORT", "80x", E_INVALID},
        {"DATABASE_URL", "mysql://x", E_INVALID},
        {"DATABASE_URL", "postgres://u:p@h/db", E_OK},
        {"GLITCHTIP_DOMAIN", "ftp://x", E_INVALID},
        {"ENABLE_USER_REGISTRATION", "maybe", E_INVALID},
        {"ENABLE_USER_REGISTRATION", "True", E_OK},
        {"GLITCHTIP_MAX_EVENT_LIFE_DAYS", "30", E_OK},
        {"SNAG_HTTP_EPOLL", "often", E_INVALID},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct config c;
        struct errinfo ei = {{0}};
        setenv(cases[i].name, cases[i].value, 1);
        assert_int_equal(config_load(&c, &ei), cases[i].want);
        if (cases[i].want)
            assert_non_null(strstr(ei.detail, cases[i].name));
        unsetenv(cases[i].name);
    }
    struct config c;
    setenv("GLITCHTIP_MAX_EVENT_LIFE_DAYS", "30", 1);
    assert_int_equal(config_load(&c, NULL), E_OK);
    assert_int_equal(c.retention_days, 30);
    setenv("GLITCHTIP_RETENTION_DAYS", "7", 1); /* the new name wins */
    assert_int_equal(config_load(&c, NULL), E_OK);
    assert_int_equal(c.retention_days, 7);
    unsetenv("GLITCHTIP_MAX_EVENT_LIFE_DAYS");
    unsetenv("GLITCHTIP_RETENTION_DAYS");
    assert_int_equal(c.port == 8000 || c.port > 0, 1);
    assert_false(c.http_epoll);
    setenv("SNAG_HTTP_EPOLL", "true", 1);
    assert_int_equal(config_load(&c, NULL), E_OK);
    assert_true(c.http_epoll);
    unsetenv("SNAG_HTTP_EPOLL");
}

static void test_config_dotenv(void **state)
{
    (void)state;
    char path[] = "/tmp/snag-env-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "# comment\nexport SNAG_T1=one\nSNAG_T2=\"two words\"\nSNAG_T3=x # c\n"
                       "PORT_NOT_SET_HERE\nSNAG_T4=keep\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    setenv("SNAG_T4", "env-wins", 1);
    assert_int_equal(config_load_dotenv(path, NULL), E_OK);
    assert_string_equal(getenv("SNAG_T1"), "one");
    assert_string_equal(getenv("SNAG_T2"), "two words");
    assert_string_equal(getenv("SNAG_T3"), "x");
    assert_string_equal(getenv("SNAG_T4"), "env-wins");
    unlink(path);
    assert_int_equal(config_load_dotenv("/nonexistent/.env", NULL), E_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arena_budget_and_hooks),
        cmocka_unit_test(test_arena_reset),
        cmocka_unit_test(test_buf_cap),
        cmocka_unit_test(test_clock_iso),
        cmocka_unit_test(test_clock_deadline),
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_jsonx_parse),
        cmocka_unit_test(test_jsonx_get),
        cmocka_unit_test(test_jsonx_print),
        cmocka_unit_test(test_jsonx_print_string_offsets),
        cmocka_unit_test(test_jsonx_print_long_strings),
        cmocka_unit_test(test_jsonx_print_numbers),
        cmocka_unit_test(test_config_values),
        cmocka_unit_test(test_config_dotenv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
