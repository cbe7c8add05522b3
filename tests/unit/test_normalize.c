/* test_normalize: event normalisation (proto/event) and the UTF-8 helpers it relies on.
 * Table-driven cases for the small rules, then one test per fixture file under
 * tests/fixtures/normalize/: {"ctx": {...}, "event": {...}, "expect": {"subset": {...},
 * "absent": [[path…]], "summary": {...}, "chars": [[path, n]], "count": [[path, n]]}} where
 * a path is a list of keys and array indexes. */
#include <math.h>
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
#include "core/utf8.h"
#include "helpers/fixtures.h"
#include "proto/event.h"
#include "proto/grouping.h"

#define RECEIVED 1700000000.0
#define CLIENT_IP "198.51.100.7"

/* ---- fixture helpers ---- */

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0, got;
    char *p = malloc(cap);
    while (p && (got = fread(p + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            cap *= 2;
            p = realloc(p, cap);
        }
    }
    fclose(f);
    *len = n;
    return p;
}

static cJSON *load_json(struct arena *a, const char *path)
{
    size_t len = 0;
    char *text = read_file(path, &len);
    cJSON *doc = NULL;
    if (!text)
        fail_msg("cannot read %s", path);
    if (jsonx_parse(a, text, len, &doc, NULL) != E_OK)
        doc = NULL;
    free(text);
    if (!doc)
        fail_msg("%s is not JSON", path);
    return doc;
}

static const cJSON *json_at(const cJSON *root, const cJSON *path)
{
    const cJSON *cur = root, *step;
    cJSON_ArrayForEach(step, path)
    {
        if (cJSON_IsString(step))
            cur = cJSON_IsObject(cur) ? cJSON_GetObjectItemCaseSensitive(cur, step->valuestring)
                                      : NULL;
        else
            cur = cJSON_IsArray(cur) ? cJSON_GetArrayItem(cur, step->valueint) : NULL;
        if (!cur)
            return NULL;
    }
    return cur;
}

/* True when every key, element and value of want is in got. */
static bool json_subset(const cJSON *want, const cJSON *got)
{
    if (!got)
        return false;
    if (cJSON_IsObject(want)) {
        const cJSON *w;
        cJSON_ArrayForEach(w, want)
        {
            if (!cJSON_IsObject(got) ||
                !json_subset(w, cJSON_GetObjectItemCaseSensitive(got, w->string)))
                return false;
        }
        return true;
    }
    if (cJSON_IsArray(want)) {
        if (!cJSON_IsArray(got) || cJSON_GetArraySize(want) != cJSON_GetArraySize(got))
            return false;
        for (int i = 0; i < cJSON_GetArraySize(want); i++) {
            if (!json_subset(cJSON_GetArrayItem(want, i), cJSON_GetArrayItem(got, i)))
                return false;
        }
        return true;
    }
    if (cJSON_IsNumber(want))
        return cJSON_IsNumber(got) && fabs(want->valuedouble - got->valuedouble) < 1e-6;
    return cJSON_Compare(want, got, 1);
}

static enum err normalize_text(struct arena *a, const char *json, double sent_at, cJSON **ev,
                               struct event_summary *sum)
{
    struct event_ctx ctx = {.received = RECEIVED, .sent_at = sent_at, .client_ip = CLIENT_IP};
    if (jsonx_parse(a, json, strlen(json), ev, NULL) != E_OK)
        fail_msg("bad test JSON: %s", json);
    return proto_event_normalize(a, *ev, &ctx, sum, NULL);
}

/* ---- table-driven: UTF-8 helpers ---- */

static void test_utf8_table(void **state)
{
    static const struct {
        const char *in;
        size_t len;
        bool valid;
        const char *sanitized;
    } cases[] = {
        {"plain", 5, true, "plain"},
        {"h\xc3\xa9llo", 6, true, "h\xc3\xa9llo"},
        {"\xf0\x9f\x98\x80", 4, true, "\xf0\x9f\x98\x80"},
        {"\xff", 1, false, "\xef\xbf\xbd"},
        {"a\xc3", 2, false, "a\xef\xbf\xbd"},
        {"\xc0\xaf", 2, false, "\xef\xbf\xbd\xef\xbf\xbd"},                 /* overlong '/' */
        {"\xed\xa0\x80", 3, false, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* surrogate */
        {"\xf4\x90\x80\x80", 4, false,
         "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* above U+10FFFF */
        {"x\xe2\x82", 3, false, "x\xef\xbf\xbd\xef\xbf\xbd"},
    };
    struct arena *a = arena_new(0);
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(utf8_valid(cases[i].in, cases[i].len), cases[i].valid);
        char *s = utf8_sanitize(a, cases[i].in, cases[i].len);
        assert_non_null(s);
        if (strcmp(s, cases[i].sanitized) != 0)
            fail_msg("case %zu: sanitised to %s", i, s);
        assert_true(utf8_valid(s, strlen(s)));
    }
    arena_free(a);
}

static void test_utf8_truncate_table(void **state)
{
    static const struct {
        const char *in;
        size_t max;
        const char *out;
        size_t count;
    } cases[] = {
        {"hello", 3, "hel", 5},
        {"hello", 10, "hello", 5},
        {"h\xc3\xa9llo", 2, "h\xc3\xa9", 5},
        {"\xe2\x82\xac\xe2\x82\xac", 1, "\xe2\x82\xac", 2},
        {"", 0, "", 0},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[32];
        snprintf(buf, sizeof buf, "%s", cases[i].in);
        assert_int_equal(utf8_count(buf, strlen(buf)), cases[i].count);
        utf8_truncate(buf, cases[i].max);
        assert_string_equal(buf, cases[i].out);
    }
}

/* ---- table-driven: small normalisation rules ---- */

static void test_level_table(void **state)
{
    static const struct {
        const char *json;
        const char *level;
    } cases[] = {
        {"{\"level\":\"warn\"}", "warning"},
        {"{\"level\":\"log\"}", "info"},
        {"{\"level\":\"critical\"}", "fatal"},
        {"{\"level\":\"ERROR\"}", "error"},
        {"{\"level\":\"debug\"}", "debug"},
        {"{\"level\":10}", "debug"},
        {"{\"level\":20}", "info"},
        {"{\"level\":30}", "warning"},
        {"{\"level\":40}", "error"},
        {"{\"level\":50}", "fatal"},
        {"{\"level\":99}", "error"},
        {"{\"level\":null}", "error"},
        {"{}", "error"},
        {"{\"type\":\"transaction\"}", "info"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct arena *a = arena_new(0);
        cJSON *ev;
        struct event_summary sum;
        assert_int_equal(normalize_text(a, cases[i].json, 0, &ev, &sum), E_OK);
        if (strcmp(sum.level, cases[i].level) != 0)
            fail_msg("%s: level %s, want %s", cases[i].json, sum.level, cases[i].level);
        assert_string_equal(jsonx_str(ev, "level"), cases[i].level);
        arena_free(a);
    }
}

static void test_timestamp_table(void **state)
{
    static const struct {
        const char *json;
        double sent_at;
        double want;
    } cases[] = {
        {"{\"timestamp\":1699999000}", 0, 1699999000},
        {"{\"timestamp\":\"1699999000.5\"}", 0, 1699999000.5},
        {"{\"timestamp\":\"2023-11-14T22:13:20\"}", 0, 1700000000},
        {"{\"timestamp\":\"2023-11-14 22:13:19.5+00:00\"}", 0, 1699999999.5},
        {"{\"timestamp\":\"yesterday\"}", 0, RECEIVED},
        {"{\"timestamp\":-5}", 0, RECEIVED},
        {"{\"timestamp\":true}", 0, RECEIVED},
        {"{\"timestamp\":1700000059}", 0, 1700000059},               /* within 60 s ahead */
        {"{\"timestamp\":1700000061}", 0, RECEIVED},                 /* too far ahead */
        {"{\"timestamp\":1699996400}", RECEIVED - 3299, 1699996400}, /* under 55 min: latency */
        {"{\"timestamp\":1699996399}", RECEIVED - 3301, 1699999700}, /* drift: shifted */
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct arena *a = arena_new(0);
        cJSON *ev;
        struct event_summary sum;
        assert_int_equal(normalize_text(a, cases[i].json, cases[i].sent_at, &ev, &sum), E_OK);
        if (fabs(sum.timestamp - cases[i].want) > 1e-6)
            fail_msg("%s: timestamp %.6f, want %.6f", cases[i].json, sum.timestamp, cases[i].want);
        assert_true(fabs(jsonx_num(ev, "timestamp", 0) - cases[i].want) < 1e-6);
        arena_free(a);
    }
}

static void test_not_an_object(void **state)
{
    static const char *const docs[] = {"[]", "3", "\"x\"", "null"};
    (void)state;
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        struct arena *a = arena_new(0);
        cJSON *ev;
        struct event_summary sum;
        struct errinfo ei = {{0}};
        assert_int_equal(normalize_text(a, docs[i], 0, &ev, &sum), E_PARSE);
        assert_int_equal(proto_event_normalize(a, ev, NULL, &sum, &ei), E_PARSE);
        assert_true(ei.detail[0] != '\0');
        arena_free(a);
    }
}

/* The event id is generated when neither the envelope nor the event has a usable one. */
static void test_event_id_generated(void **state)
{
    struct arena *a = arena_new(0);
    cJSON *ev;
    struct event_summary sum;
    (void)state;
    assert_int_equal(normalize_text(a, "{\"event_id\":\"not-a-uuid\"}", 0, &ev, &sum), E_OK);
    assert_int_equal(strlen(sum.event_id), 32);
    assert_string_equal(jsonx_str(ev, "event_id"), sum.event_id);
    assert_true(strspn(sum.event_id, "0123456789abcdef") == 32);
    arena_free(a);
}

/* ---- data-driven: tests/fixtures/normalize ---- */

static void check_summary(const char *name, const cJSON *want, const struct event_summary *s)
{
    const cJSON *w;
    cJSON_ArrayForEach(w, want)
    {
        const char *got = NULL;
        if (!strcmp(w->string, "timestamp")) {
            if (fabs(s->timestamp - w->valuedouble) > 1e-6)
                fail_msg("%s: summary timestamp %.6f", name, s->timestamp);
            continue;
        }
        if (!strcmp(w->string, "event_id"))
            got = s->event_id;
        else if (!strcmp(w->string, "level"))
            got = s->level;
        else if (!strcmp(w->string, "platform"))
            got = s->platform;
        else if (!strcmp(w->string, "environment"))
            got = s->environment;
        else if (!strcmp(w->string, "release"))
            got = s->release;
        else if (!strcmp(w->string, "user_key"))
            got = s->user_key;
        else if (!strcmp(w->string, "message"))
            got = s->message;
        else
            fail_msg("%s: unknown summary field %s", name, w->string);
        if (!got || !cJSON_IsString(w) || strcmp(got, w->valuestring) != 0)
            fail_msg("%s: summary %s is %s, want %s", name, w->string, got ? got : "(null)",
                     cJSON_IsString(w) ? w->valuestring : "?");
    }
}

static void check_sizes(const char *name, const cJSON *ev, const cJSON *list, bool chars)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, list)
    {
        const cJSON *v = json_at(ev, cJSON_GetArrayItem(item, 0));
        int want = cJSON_GetArrayItem(item, 1)->valueint;
        long got = -1;
        if (chars && cJSON_IsString(v))
            got = (long)utf8_count(v->valuestring, strlen(v->valuestring));
        else if (!chars && cJSON_IsArray(v))
            got = cJSON_GetArraySize(v);
        if (got != want)
            fail_msg("%s: size %ld, want %d", name, got, want);
    }
}

static void check_fixture(const char *name, const cJSON *expect, const cJSON *ev,
                          const struct event_summary *sum)
{
    const cJSON *subset = cJSON_GetObjectItemCaseSensitive(expect, "subset"), *path;
    if (subset && !json_subset(subset, ev)) {
        char *got = cJSON_Print(ev);
        fprintf(stderr, "normalised event:\n%s\n", got);
        free(got);
        fail_msg("%s: expected subset not found", name);
    }
    cJSON_ArrayForEach(path, cJSON_GetObjectItemCaseSensitive(expect, "absent"))
    {
        if (json_at(ev, path))
            fail_msg("%s: a path that should be gone is still there", name);
    }
    check_summary(name, cJSON_GetObjectItemCaseSensitive(expect, "summary"), sum);
    check_sizes(name, ev, cJSON_GetObjectItemCaseSensitive(expect, "chars"), true);
    check_sizes(name, ev, cJSON_GetObjectItemCaseSensitive(expect, "count"), false);
}

static void test_fixture(void **state)
{
    const char *path = *state;
    struct arena *a = arena_new(0);
    cJSON *doc = load_json(a, path);
    cJSON *ev = cJSON_GetObjectItemCaseSensitive(doc, "event");
    const cJSON *c = jsonx_obj(doc, "ctx");
    struct event_ctx ctx = {.received = jsonx_num(c, "received", RECEIVED),
                            .sent_at = jsonx_num(c, "sent_at", 0),
                            .event_id = jsonx_str(c, "event_id"),
                            .client_ip = CLIENT_IP};
    struct event_summary sum;
    struct errinfo ei = {{0}};
    if (proto_event_normalize(a, ev, &ctx, &sum, &ei) != E_OK)
        fail_msg("%s: normalise failed: %s", path, ei.detail);
    check_fixture(path, jsonx_obj(doc, "expect"), ev, &sum);
    /* whatever normalisation produced must be groupable */
    assert_int_equal(proto_event_group(a, ev, &sum, &ei), E_OK);
    arena_free(a);
}

int main(void)
{
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_utf8_table),    cmocka_unit_test(test_utf8_truncate_table),
        cmocka_unit_test(test_level_table),   cmocka_unit_test(test_timestamp_table),
        cmocka_unit_test(test_not_an_object), cmocka_unit_test(test_event_id_generated),
    };
    const char *src = getenv("SNAG_SOURCE_DIR");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/tests/fixtures/normalize", src ? src : ".");
    size_t n = 0, nfixed = sizeof fixed / sizeof fixed[0];
    char **paths = fixture_list(dir, ".json", true, &n);
    if (ids_init() != 0 || n == 0) {
        fprintf(stderr, "no fixtures in %s\n", dir);
        return 1;
    }
    struct CMUnitTest *tests = calloc(nfixed + n, sizeof *tests);
    memcpy(tests, fixed, sizeof fixed);
    for (size_t i = 0; i < n; i++) {
        tests[nfixed + i] = (struct CMUnitTest){.name = strrchr(paths[i], '/') + 1,
                                                .test_func = test_fixture,
                                                .initial_state = paths[i]};
    }
    int rc = _cmocka_run_group_tests("normalize", tests, nfixed + n, NULL, NULL);
    fixture_list_free(paths, n);
    free(tests);
    return rc;
}
