/* Unit tests for src/proto/envelope. Most cases are data: every tests/fixtures/envelopes/NAME.env
 * is parsed and compared with NAME.expect, which holds either "ok" and one "<type> <payload
 * length>" line per item, or "<E_CODE> <text the error detail must contain>". A few cases are
 * built in code (the item-count limit, exact payload bytes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/limits.h"
#include "proto/envelope.h"

#define FIXTURE_DIR "tests/fixtures/envelopes"
#define FIXTURE_MAX (1 * MIB)

/* Reads a whole file into b (NUL-terminated). */
static int read_file(const char *path, struct buf *b)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    char chunk[4096];
    size_t n;
    int rc = 0;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (buf_append(b, chunk, n) != E_OK)
            rc = -1;
    fclose(f);
    return rc;
}

static enum err err_from_name(const char *s, size_t n)
{
    static const struct {
        const char *name;
        enum err e;
    } names[] = {{"ok", E_OK}, {"E_PARSE", E_PARSE}, {"E_TOOBIG", E_TOOBIG}};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strlen(names[i].name) == n && memcmp(names[i].name, s, n) == 0)
            return names[i].e;
    fail_msg("unknown outcome '%.*s'", (int)n, s);
    return E__MAX;
}

/* Renders what the parser produced in the .expect format. */
static void describe(enum err e, const struct envelope *env, const struct errinfo *ei,
                     struct buf *out)
{
    if (e != E_OK) {
        assert_int_equal(
            buf_printf(out, "%s %s\n", e == E_PARSE ? "E_PARSE" : "E_TOOBIG", ei->detail), E_OK);
        return;
    }
    assert_int_equal(buf_append_cstr(out, "ok\n"), E_OK);
    for (size_t i = 0; i < env->nitems; i++)
        assert_int_equal(buf_printf(out, "%s %zu\n", env->items[i].type, env->items[i].payload.len),
                         E_OK);
}

/* An error expectation matches when the code matches and the detail contains the text; an ok
 * expectation must match the rendering exactly. */
static int expect_matches(const struct buf *want, const struct buf *got)
{
    const char *sp = strchr(want->p, ' ');
    const char *nl = strchr(want->p, '\n');
    size_t code_len = sp && (!nl || sp < nl) ? (size_t)(sp - want->p) : strcspn(want->p, "\n");
    enum err e = err_from_name(want->p, code_len);
    if (e == E_OK)
        return strcmp(want->p, got->p) == 0;
    size_t dlen = strcspn(want->p + code_len + 1, "\n");
    char detail[256];
    snprintf(detail, sizeof detail, "%.*s", (int)dlen, want->p + code_len + 1);
    return strncmp(want->p, got->p, code_len + 1) == 0 && strstr(got->p, detail) != NULL;
}

/* Parses one fixture; returns 1 when it behaves as its .expect says. */
static int run_fixture(const char *dir, const char *name, struct buf *got)
{
    char path[8192]; /* dir (< 4096) + "/" + name (< 256) + ".expect" */
    struct buf in, want;
    buf_init(&in, FIXTURE_MAX);
    buf_init(&want, FIXTURE_MAX);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    assert_int_equal(read_file(path, &in), 0);
    snprintf(path, sizeof path, "%s/%.*s.expect", dir, (int)(strlen(name) - 4), name);
    assert_int_equal(read_file(path, &want), 0);
    struct arena *a = arena_new(ARENA_REQUEST_BUDGET);
    struct envelope env;
    struct errinfo ei = {{0}};
    /* copy into an exact-size heap block so ASan sees any read past the end */
    char *exact = malloc(in.len ? in.len : 1);
    memcpy(exact, in.p ? in.p : "", in.len);
    enum err e = proto_envelope_parse(a, exact, in.len, &env, &ei);
    describe(e, &env, &ei, got);
    int ok = want.len && expect_matches(&want, got);
    free(exact);
    arena_free(a);
    buf_free(&in);
    buf_free(&want);
    return ok;
}

static void test_fixtures(void **state)
{
    (void)state;
    const char *root = getenv("SNAG_SOURCE_DIR");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s", root ? root : ".", FIXTURE_DIR);
    DIR *d = opendir(dir);
    assert_non_null(d);
    int count = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t n = strlen(de->d_name);
        if (n < 5 || strcmp(de->d_name + n - 4, ".env") != 0)
            continue;
        struct buf got;
        buf_init(&got, FIXTURE_MAX);
        if (!run_fixture(dir, de->d_name, &got))
            fail_msg("%s: got\n%s", de->d_name, got.p);
        buf_free(&got);
        count++;
    }
    closedir(d);
    assert_true(count >= 30);
}

/* Exact payload bytes: slices into the input, CR kept inside payloads. */
static void test_payload_bytes(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        size_t item;
        const char *type, *payload;
        size_t plen;
    } cases[] = {
        {"{}\n{\"type\":\"attachment\",\"length\":10}\n\xef\xbb\xbfHello\r\n\n", 0, "attachment",
         "\xef\xbb\xbfHello\r\n", 10},
        {"{}\n{\"type\":\"event\"}\n{\"a\":1}\r\n", 0, "event", "{\"a\":1}\r", 8},
        {"{}\n{\"type\":\"a\",\"length\":3}\nx\ny\n{\"type\":\"b\"}\nlast", 1, "b", "last", 4},
        {"{}\n\n\n{\"type\":\"c\",\"length\":0}\n\n{\"type\":\"d\"}\n\n", 1, "d", "", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct arena *a = arena_new(0);
        struct envelope env;
        size_t len = strlen(cases[i].in);
        enum err e = proto_envelope_parse(a, cases[i].in, len, &env, NULL);
        const struct envelope_item *it =
            e == E_OK && cases[i].item < env.nitems ? &env.items[cases[i].item] : NULL;
        if (!it || strcmp(it->type, cases[i].type) != 0 || it->payload.len != cases[i].plen ||
            memcmp(it->payload.p, cases[i].payload, cases[i].plen) != 0 ||
            it->payload.p < cases[i].in || it->payload.p > cases[i].in + len ||
            !cJSON_IsObject(it->header) || !cJSON_IsObject(env.header))
            fail_msg("row %zu: %s", i, err_name(e));
        arena_free(a);
    }
}

/* LIMIT_ENVELOPE_ITEMS items are fine, one more is E_TOOBIG; built in code, not a file. */
static void test_item_limit(void **state)
{
    (void)state;
    static const struct {
        size_t items;
        const char *sep; /* between items */
        enum err want;
    } cases[] = {
        {0, "", E_OK},
        {LIMIT_ENVELOPE_ITEMS, "", E_OK},
        {LIMIT_ENVELOPE_ITEMS + 1, "", E_TOOBIG},
        {LIMIT_ENVELOPE_ITEMS + 1, "\n\n", E_TOOBIG},
        {5000, "", E_TOOBIG},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct buf b;
        buf_init(&b, FIXTURE_MAX);
        assert_int_equal(
            buf_append_cstr(&b, "{\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\"}\n"), E_OK);
        for (size_t k = 0; k < cases[i].items; k++)
            assert_int_equal(
                buf_printf(&b, "%s{\"type\":\"session\"}\n{\"n\":%zu}\n", cases[i].sep, k), E_OK);
        struct arena *a = arena_new(ARENA_REQUEST_BUDGET);
        struct envelope env;
        struct errinfo ei = {{0}};
        enum err e = proto_envelope_parse(a, b.p, b.len, &env, &ei);
        if (e != cases[i].want || (e == E_OK && env.nitems != cases[i].items))
            fail_msg("row %zu: %s (%s)", i, err_name(e), ei.detail);
        arena_free(a);
        buf_free(&b);
    }
}

/* Over the arena budget the parser answers E_TOOBIG instead of crashing, whichever allocation
 * (header tree hook, item array) is the one that fails. */
static void test_arena_budget(void **state)
{
    (void)state;
    static const struct {
        size_t budget;
        enum err want;
    } cases[] = {{1, E_TOOBIG},        {64, E_TOOBIG},  {200, E_TOOBIG}, {1 * KIB, E_TOOBIG},
                 {16 * KIB, E_TOOBIG}, {1 * MIB, E_OK}, {0, E_OK}};
    struct buf b;
    buf_init(&b, FIXTURE_MAX);
    assert_int_equal(buf_append_cstr(&b, "{}\n"), E_OK);
    for (int k = 0; k < 500; k++)
        assert_int_equal(buf_append_cstr(&b, "{\"type\":\"x\"}\n{}\n"), E_OK);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct arena *a = arena_new(cases[i].budget);
        struct envelope env;
        enum err e = proto_envelope_parse(a, b.p, b.len, &env, NULL);
        if (e != cases[i].want)
            fail_msg("budget %zu: %s", cases[i].budget, err_name(e));
        arena_free(a);
    }
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixtures),
        cmocka_unit_test(test_payload_bytes),
        cmocka_unit_test(test_item_limit),
        cmocka_unit_test(test_arena_budget),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
