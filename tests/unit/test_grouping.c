/* test_grouping: grouping hash, title, culprit and metadata (proto/grouping and its helpers
 * proto/parameterize, proto/eventtitle). Tables for message parameterisation, trimming,
 * title truncation and known hashes, then one test per fixture file under
 * tests/fixtures/grouping/: {"event": {...}, "expect": {"title", "culprit", "type", "hash",
 * "same_group_as": "NNN-name", "different_group_from": ["NNN-name", …]}}. Every fixture event
 * goes through proto_event_normalize() first, as ingest does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/arena.h"
#include "core/ids.h"
#include "core/jsonx.h"
#include "helpers/fixtures.h"
#include "proto/event.h"
#include "proto/eventtitle.h"
#include "proto/grouping.h"
#include "proto/parameterize.h"

#define RECEIVED 1700000000.0

static char fixture_dir[4096];

/* ---- tables ---- */

static void test_parameterize_table(void **state)
{
    static const char *const cases[][2] = {
        {"Request to 10.0.0.1 failed with code 35, id=42",
         "Request to <ip> failed with code <int>, id=<int>"},
        {"mail bob.smith+x@example.com now", "mail <email> now"},
        {"GET https://api.example.com/v1/users?id=3 failed", "GET <url> failed"},
        {"host db.example.com is down", "host <hostname> is down"},
        {"job 550e8400-e29b-41d4-a716-446655440000 done", "job <uuid> done"},
        {"commit da39a3ee5e6b4b0d3255bfef95601890afd80709", "commit <sha1>"},
        {"digest d41d8cd98f00b204e9800998ecf8427e", "digest <md5>"},
        {"at 2024-01-15T10:00:00.123Z and 2024-01-16", "at <date> and <date>"},
        {"at 10:30:45 sharp", "at <date> sharp"},
        {"took 35ms then 1.5s", "took <duration> then <duration>"},
        {"ptr 0xdeadBEEF ref deadbeef12", "ptr <hex> ref <hex>"},
        {"ratio 0.75 delta -3 version 1.2.3", "ratio <float> delta <int> version <float>"},
        {"user12 item v2 abc123 x_9", "user12 item v2 abc123 x_9"},
        {"flag=true name='bob' q=\"x y\"", "flag=<bool> name=<quoted_str> q=<quoted_str>"},
        {"addr fe80::1 and 2001:db8:0:0:0:0:2:1", "addr <ip> and <ip>"},
        {"\xc3\x9c"
         "n\xc3\xaf"
         "c\xc3\xb6"
         "d\xc3\xa9 42",
         "\xc3\x9c"
         "n\xc3\xaf"
         "c\xc3\xb6"
         "d\xc3\xa9 <int>"},
        {"plain words only", "plain words only"},
        {"", ""},
    };
    struct arena *a = arena_new(0);
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = proto_parameterize(a, cases[i][0]);
        if (!got || strcmp(got, cases[i][1]) != 0)
            fail_msg("parameterize(%s) = %s, want %s", cases[i][0], got ? got : "(null)",
                     cases[i][1]);
    }
    arena_free(a);
}

static void test_trim_table(void **state)
{
    static const char *const cases[][2] = {
        {"one line", "one line"},
        {"a\nb\nc", "a\nb..."},
        {"\n\n  first\n\nsecond\n", "first\nsecond..."},
        {"trailing\n", "trailing..."},
        {"cr\r\nlf\r\nmore", "cr\nlf..."},
        {"   ", "..."},
    };
    struct arena *a = arena_new(0);
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = proto_trim_for_grouping(a, cases[i][0]);
        if (!got || strcmp(got, cases[i][1]) != 0)
            fail_msg("case %zu: trim = [%s], want [%s]", i, got ? got : "(null)", cases[i][1]);
    }
    arena_free(a);
}

static void test_truncate_table(void **state)
{
    static const struct {
        const char *in;
        size_t max;
        const char *out;
    } cases[] = {
        {"abc", 3, "abc"},
        {"abcd", 3, "ab\xe2\x80\xa6"},
        {"\xc3\xa9\xc3\xa9\xc3\xa9", 2, "\xc3\xa9\xe2\x80\xa6"},
        {"", 100, ""},
    };
    struct arena *a = arena_new(0);
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_string_equal(proto_truncate_chars(a, cases[i].in, cases[i].max), cases[i].out);
    arena_free(a);
}

/* Normalises and groups one event given as JSON text. */
static void group_text(struct arena *a, const char *json, cJSON **ev, struct event_summary *sum)
{
    struct event_ctx ctx = {.received = RECEIVED};
    if (jsonx_parse(a, json, strlen(json), ev, NULL) != E_OK)
        fail_msg("bad test JSON: %s", json);
    assert_int_equal(proto_event_normalize(a, *ev, &ctx, sum, NULL), E_OK);
    assert_int_equal(proto_event_group(a, *ev, sum, NULL), E_OK);
}

/* Hashes that follow from the definition: md5 over the values, no separator. */
static void test_hash_table(void **state)
{
    static const char *const cases[][2] = {
        {"{}", "d41d8cd98f00b204e9800998ecf8427e"},
        {"{\"message\":\"hello\"}", "5d41402abc4b2a76b9719d911017c592"},
        {"{\"message\":\"hello\",\"fingerprint\":[\"{{ default }}\"]}",
         "5d41402abc4b2a76b9719d911017c592"},
        {"{\"message\":\"User 42 logged in\"}", "8ed2b53cc5d425822138dc8122f930a0"},
        {"{\"logentry\":{\"message\":\"User %s logged in\",\"params\":[42]}}",
         "3a22e4db3b88a36e206ca3223b705207"},
        {"{\"message\":\"x\",\"fingerprint\":[\"a\",\"b\"]}", "187ef4436122d1cc2f40dc2b92f0eba0"},
        {"{\"message\":\"x\",\"fingerprint\":[\"a\",\"{{ no.such.var }}\"]}",
         "99979eda209d7130221759b7a707d995"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct arena *a = arena_new(0);
        cJSON *ev;
        struct event_summary sum;
        group_text(a, cases[i][0], &ev, &sum);
        if (strcmp(sum.hash, cases[i][1]) != 0)
            fail_msg("%s: hash %s, want %s", cases[i][0], sum.hash, cases[i][1]);
        arena_free(a);
    }
}

/* The event carries title, culprit, type and metadata afterwards, like the summary. */
static void test_written_into_event(void **state)
{
    struct arena *a = arena_new(0);
    cJSON *ev;
    struct event_summary sum;
    (void)state;
    group_text(a,
               "{\"platform\":\"python\",\"exception\":{\"values\":[{\"type\":\"E\",\"value\":"
               "\"v\",\"stacktrace\":{\"frames\":[{\"module\":\"m\",\"function\":\"f\","
               "\"filename\":\"m.py\",\"in_app\":true}]}}]}}",
               &ev, &sum);
    assert_string_equal(jsonx_str(ev, "title"), "E: v");
    assert_string_equal(sum.title, "E: v");
    assert_string_equal(jsonx_str(ev, "culprit"), "m in f");
    assert_string_equal(jsonx_str(ev, "type"), "error");
    assert_string_equal(sum.type, "error");
    assert_string_equal(
        sum.metadata_json,
        "{\"type\":\"E\",\"value\":\"v\",\"filename\":\"m.py\",\"function\":\"f\"}");
    assert_string_equal(jsonx_str(jsonx_obj(ev, "metadata"), "function"), "f");
    arena_free(a);
}

/* ---- data-driven: tests/fixtures/grouping ---- */

struct grouped {
    char hash[33];
    char title[512];
    char culprit[512];
    char type[16];
};

static cJSON *load_doc(struct arena *a, const char *name)
{
    char path[8192];
    snprintf(path, sizeof path, "%s/%s.json", fixture_dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    static char text[1 << 20];
    size_t len = fread(text, 1, sizeof text, f);
    fclose(f);
    cJSON *doc = NULL;
    if (jsonx_parse(a, text, len, &doc, NULL) != E_OK)
        fail_msg("%s is not JSON", path);
    return doc;
}

static void group_fixture(const char *name, struct grouped *out)
{
    struct arena *a = arena_new(0);
    cJSON *doc = load_doc(a, name);
    cJSON *ev = cJSON_GetObjectItemCaseSensitive(doc, "event");
    struct event_ctx ctx = {.received = RECEIVED, .client_ip = "198.51.100.7"};
    struct event_summary sum;
    struct errinfo ei = {{0}};
    if (proto_event_normalize(a, ev, &ctx, &sum, &ei) != E_OK ||
        proto_event_group(a, ev, &sum, &ei) != E_OK)
        fail_msg("%s: %s", name, ei.detail);
    memcpy(out->hash, sum.hash, sizeof out->hash);
    snprintf(out->title, sizeof out->title, "%s", sum.title);
    snprintf(out->culprit, sizeof out->culprit, "%s", sum.culprit);
    snprintf(out->type, sizeof out->type, "%s", sum.type);
    arena_free(a);
}

static void expect_str(const char *name, const cJSON *expect, const char *key, const char *got)
{
    const char *want = jsonx_str(expect, key);
    if (want && strcmp(want, got) != 0)
        fail_msg("%s: %s is [%s], want [%s]", name, key, got, want);
}

static void test_fixture(void **state)
{
    const char *name = *state;
    struct grouped me, other;
    struct arena *a = arena_new(0);
    const cJSON *expect = jsonx_obj(load_doc(a, name), "expect"), *it;
    group_fixture(name, &me);
    expect_str(name, expect, "title", me.title);
    expect_str(name, expect, "culprit", me.culprit);
    expect_str(name, expect, "type", me.type);
    expect_str(name, expect, "hash", me.hash);
    const char *same = jsonx_str(expect, "same_group_as");
    if (same) {
        group_fixture(same, &other);
        if (strcmp(me.hash, other.hash) != 0)
            fail_msg("%s: hash %s differs from %s's %s", name, me.hash, same, other.hash);
    }
    cJSON_ArrayForEach(it, jsonx_arr(expect, "different_group_from"))
    {
        group_fixture(it->valuestring, &other);
        if (strcmp(me.hash, other.hash) == 0)
            fail_msg("%s: same hash %s as %s", name, me.hash, it->valuestring);
    }
    arena_free(a);
}

int main(void)
{
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_parameterize_table), cmocka_unit_test(test_trim_table),
        cmocka_unit_test(test_truncate_table),     cmocka_unit_test(test_hash_table),
        cmocka_unit_test(test_written_into_event),
    };
    const char *src = getenv("SNAG_SOURCE_DIR");
    snprintf(fixture_dir, sizeof fixture_dir, "%s/tests/fixtures/grouping", src ? src : ".");
    size_t n = 0, nfixed = sizeof fixed / sizeof fixed[0];
    char **names = fixture_list(fixture_dir, ".json", false, &n);
    if (ids_init() != 0 || n == 0) {
        fprintf(stderr, "no fixtures in %s\n", fixture_dir);
        return 1;
    }
    struct CMUnitTest *tests = calloc(nfixed + n, sizeof *tests);
    memcpy(tests, fixed, sizeof fixed);
    for (size_t i = 0; i < n; i++) {
        tests[nfixed + i] = (struct CMUnitTest){
            .name = names[i], .test_func = test_fixture, .initial_state = names[i]};
    }
    int rc = _cmocka_run_group_tests("grouping", tests, nfixed + n, NULL, NULL);
    fixture_list_free(names, n);
    free(tests);
    return rc;
}
