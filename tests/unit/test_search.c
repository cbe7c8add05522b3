/* Unit tests for src/api/search: each row is a query and either the canonical rendering of
 * what it parses to or the error it gives (code and a piece of the detail). One assertion
 * site. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "api/search.h"
#include "core/buf.h"

/* Renders q as "status=…; flags=…; [!]key=v1|v2; [!]tag:key=v; [!]has=key; text='…'". */
static void render(const struct search_query *q, char *out, size_t cap)
{
    static const char *const statuses[] = {"unresolved", "resolved", "ignored"};
    static const char *const flags[] = {"unassigned", "assigned", "bookmarked"};
    size_t n = 0;
    out[0] = '\0';
#define PUT(...) n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, __VA_ARGS__)
    for (int pass = 0; pass < 2; pass++) {
        unsigned bits = pass ? q->flags : q->statuses;
        const char *const *names = pass ? flags : statuses;
        if (!bits)
            continue;
        PUT("%s=", pass ? "flags" : "status");
        for (int i = 0, first = 1; i < 3; i++)
            if (bits & (1u << i)) {
                PUT("%s%s", first ? "" : "|", names[i]);
                first = 0;
            }
        PUT("; ");
    }
    for (size_t i = 0; i < q->nfilters; i++) {
        const struct search_filter *f = &q->filters[i];
        PUT("%s%s%s=", f->negated ? "!" : "", f->field == SEARCH_FIELD_TAG ? "tag:" : "", f->key);
        if (f->field != SEARCH_FIELD_TAG && strcmp(search_field_name(f->field), f->key) != 0)
            PUT("(field mismatch)");
        for (size_t j = 0; j < f->nvalues; j++)
            PUT("%s%s", j ? "|" : "", f->values[j]);
        PUT("; ");
    }
    for (size_t i = 0; i < q->nhas; i++)
        PUT("%shas=%s; ", q->has[i].negated ? "!" : "", q->has[i].key);
    if (q->text)
        PUT("text='%s'; ", q->text);
#undef PUT
    if (n >= 2 && n < cap)
        out[n - 2] = '\0';
}

static void test_search_table(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        enum err err;
        const char *want; /* the rendering, or a piece of the error detail */
    } cases[] = {
        /* empty and blank */
        {"", E_OK, ""},
        {"   \t ", E_OK, ""},
        /* is: statuses OR, flags */
        {"is:unresolved", E_OK, "status=unresolved"},
        {"is:resolved is:ignored", E_OK, "status=resolved|ignored"},
        {"is:archived", E_OK, "status=ignored"},
        {"is:[unresolved,resolved]", E_OK, "status=unresolved|resolved"},
        {"is:unassigned is:bookmarked", E_OK, "flags=unassigned|bookmarked"},
        {"is:assigned is:unresolved", E_OK, "status=unresolved; flags=assigned"},
        {"is:\"resolved\"", E_OK, "status=resolved"},
        /* known fields */
        {"level:error", E_OK, "level=error"},
        {"level:[error,fatal]", E_OK, "level=error|fatal"},
        {"level:[ error , \"fatal\" ]", E_OK, "level=error|fatal"},
        {"environment:prod release:1.2.3", E_OK, "environment=prod; release=1.2.3"},
        {"release:\"my app@1.0 (2)\"", E_OK, "release=my app@1.0 (2)"},
        {"user.id:42 user.email:a@b.c", E_OK, "user.id=42; user.email=a@b.c"},
        {"user.username:bob user.ip:10.0.0.1", E_OK, "user.username=bob; user.ip=10.0.0.1"},
        {"user.ip:[::1,127.0.0.1]", E_OK, "user.ip=::1|127.0.0.1"},
        {"assigned:me", E_OK, "assigned=me"},
        /* tags */
        {"browser:Chrome", E_OK, "tag:browser=Chrome"},
        {"url:http://x/y?a=b", E_OK, "tag:url=http://x/y?a=b"},
        {"tags[os.name]:Linux", E_OK, "tag:os.name=Linux"},
        {"server_name:\"web 1\" device-family:[iPhone,\"Pixel 8\"]", E_OK,
         "tag:server_name=web 1; tag:device-family=iPhone|Pixel 8"},
        {"level:error level:fatal", E_OK, "level=error; level=fatal"},
        /* negation */
        {"!level:info", E_OK, "!level=info"},
        {"!browser:[Chrome,Firefox]", E_OK, "!tag:browser=Chrome|Firefox"},
        {"!environment:\"staging eu\"", E_OK, "!environment=staging eu"},
        /* has: */
        {"has:user", E_OK, "has=user"},
        {"!has:release has:browser", E_OK, "!has=release; has=browser"},
        /* escapes */
        {"message:\"say \\\"hi\\\"\"", E_OK, "tag:message=say \"hi\""},
        {"tag:\"a\\\\b\"", E_OK, "tag:tag=a\\b"},
        {"x:\"a\\nb\"", E_OK, "tag:x=a\\nb"},
        /* free text */
        {"TypeError", E_OK, "text='TypeError'"},
        {"connection  refused", E_OK, "text='connection refused'"},
        {"\"cannot read property\" of undefined", E_OK, "text='cannot read property of undefined'"},
        {"is:unresolved timeout level:error", E_OK,
         "status=unresolved; level=error; text='timeout'"},
        {"12:30 :x !", E_OK, "text='12:30 :x !'"},
        {"\"\" foo", E_OK, "text='foo'"},
        {"!\"x\"", E_OK, "text='!\"x\"'"},
        {"tags[]:x", E_OK, "text='tags[]:x'"},
        /* errors, with where */
        {"level:error \"oops", E_PARSE, "Invalid query: unterminated quote at position 12"},
        {"release:\"1.0", E_PARSE, "unterminated quote at position 8"},
        {"level:\"a\\\"", E_PARSE, "unterminated quote at position 6"},
        {"level:", E_PARSE, "empty value after 'level:' at position 0"},
        {"is:resolved  !browser: x", E_PARSE, "empty value after 'browser:' at position 13"},
        {"level:\"\"", E_PARSE, "empty value at position 6"},
        {"is:fixed", E_PARSE, "unknown 'is:' value at position 3"},
        {"is:[resolved,nope]", E_PARSE, "unknown 'is:' value at position 13"},
        {"!is:resolved", E_PARSE, "'is:' cannot be negated at position 0"},
        {"level:[error,fatal", E_PARSE, "unterminated list at position 6"},
        {"level:[error", E_PARSE, "unterminated list at position 6"},
        {"level:[]", E_PARSE, "empty list item at position 7"},
        {"level:[error,]", E_PARSE, "empty list item at position 13"},
        {"level:[error,,fatal]", E_PARSE, "empty list item at position 13"},
        {"level:[error fatal]", E_PARSE, "expected ',' or ']' in list at position 13"},
        {"level:[error]x", E_PARSE, "expected a space at position 13"},
        {"level:\"error\"x", E_PARSE, "expected a space at position 13"},
        {"\"phrase\"x", E_PARSE, "expected a space at position 8"},
        {"has:[a,b]", E_PARSE, "'has:' takes a single key at position 7"},
        {"level:[\"a\", \"]", E_PARSE, "unterminated quote at position 12"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct arena *a = arena_new(0);
        struct search_query q;
        struct errinfo ei = {{0}};
        enum err e = search_parse(a, slice_from_cstr(cases[i].in), &q, &ei);
        char got[1024];
        if (e == E_OK)
            render(&q, got, sizeof got);
        else
            snprintf(got, sizeof got, "%s", ei.detail);
        bool ok = e == cases[i].err && (e == E_OK ? strcmp(got, cases[i].want) == 0
                                                  : strstr(got, cases[i].want) != NULL);
        arena_free(a);
        if (!ok)
            fail_msg("row %zu `%s`: got %s \"%s\", want %s \"%s\"", i, cases[i].in, err_name(e),
                     got, err_name(cases[i].err), cases[i].want);
    }
}

/* Limits: long queries, many terms, long lists, an arena over budget, NUL bytes. */
static void test_search_limits(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 1 << 20);
    struct arena *a = arena_new(0);
    struct search_query q;
    struct errinfo ei = {{0}};
    for (int i = 0; i < SEARCH_MAX_TERMS; i++)
        assert_int_equal(buf_printf(&b, "w%d ", i), E_OK);
    assert_int_equal(search_parse(a, (struct slice){b.p, b.len}, &q, &ei), E_OK);
    assert_int_equal(q.nterms, SEARCH_MAX_TERMS);
    assert_int_equal(buf_append_cstr(&b, "one-more"), E_OK);
    assert_int_equal(search_parse(a, (struct slice){b.p, b.len}, &q, &ei), E_TOOBIG);
    assert_non_null(strstr(ei.detail, "too many search terms"));
    assert_int_equal(q.nterms, 0);

    buf_reset(&b);
    assert_int_equal(buf_append_cstr(&b, "level:["), E_OK);
    for (int i = 0; i <= SEARCH_MAX_VALUES; i++)
        assert_int_equal(buf_printf(&b, "%sv%d", i ? "," : "", i), E_OK);
    assert_int_equal(buf_append_cstr(&b, "]"), E_OK);
    assert_int_equal(search_parse(a, (struct slice){b.p, b.len}, &q, &ei), E_TOOBIG);

    buf_reset(&b);
    for (int i = 0; i <= SEARCH_MAX_QUERY_LEN; i++)
        assert_int_equal(buf_append_cstr(&b, "x"), E_OK);
    assert_int_equal(search_parse(a, (struct slice){b.p, b.len}, &q, &ei), E_TOOBIG);

    assert_int_equal(search_parse(a, (struct slice){"a\0b", 3}, &q, &ei), E_PARSE);
    assert_non_null(strstr(ei.detail, "NUL byte at position 1"));
    arena_free(a);

    a = arena_new(64);
    assert_int_equal(
        search_parse(a, SLICE_LIT("level:error browser:chrome is:resolved x y z"), &q, &ei),
        E_TOOBIG);
    arena_free(a);
    buf_free(&b);
}

/* The parsed query does not point into the caller's query string. */
static void test_search_copies(void **state)
{
    (void)state;
    char query[] = "level:error \"free text\" browser:[a,b]";
    struct arena *a = arena_new(0);
    struct search_query q;
    assert_int_equal(search_parse(a, slice_from_cstr(query), &q, NULL), E_OK);
    memset(query, 'Z', sizeof query - 1);
    assert_string_equal(q.filters[0].values[0], "error");
    assert_string_equal(q.filters[1].key, "browser");
    assert_string_equal(q.filters[1].values[1], "b");
    assert_string_equal(q.text, "free text");
    arena_free(a);
}

static void test_search_text_matches(void **state)
{
    (void)state;
    static const struct {
        const char *query, *title, *culprit, *message;
        bool want;
    } cases[] = {
        {"level:error", "anything", NULL, NULL, true},
        {"typeerror", "TypeError: x is undefined", NULL, NULL, true},
        {"\"IS UNDEFINED\"", "TypeError: x is undefined", NULL, NULL, true},
        {"app.views", "Oops", "app.views.index", NULL, true},
        {"disk full", NULL, NULL, "ERROR: Disk Full on /var", true},
        {"disk full", "disk", "full", "nothing", false},
        {"zzz", "a", "b", "c", false},
        {"zzz", NULL, NULL, NULL, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct arena *a = arena_new(0);
        struct search_query q;
        assert_int_equal(search_parse(a, slice_from_cstr(cases[i].query), &q, NULL), E_OK);
        bool got = search_text_matches(&q, cases[i].title, cases[i].culprit, cases[i].message);
        arena_free(a);
        if (got != cases[i].want)
            fail_msg("row %zu: got %d", i, got);
    }
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_search_table),
        cmocka_unit_test(test_search_limits),
        cmocka_unit_test(test_search_copies),
        cmocka_unit_test(test_search_text_matches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
