/* Unit tests for src/api/feedback: decoding user_report and feedback envelope items into user
 * reports, as a table of payloads and what each must give. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "api/feedback.h"
#include "core/arena.h"

struct fb_case {
    const char *name;
    bool feedback_item;
    const char *fallback_id;
    const char *payload;
    enum err want;
    const char *event_id, *fb_name, *email, *comments; /* when want is E_OK; NULL: absent */
};

#define EID "5ab3c1e2d4f64b7a8c9d0e1f2a3b4c5d"
#define EID2 "9a8b7c6d5e4f40312233445566778899"

static const struct fb_case cases[] = {
    {"user_report", false, NULL,
     "{\"event_id\":\"" EID "\",\"name\":\"Ann\",\"email\":\"a@x.io\",\"comments\":\"broke\"}",
     E_OK, EID, "Ann", "a@x.io", "broke"},
    {"user_report with a hyphenated upper-case id", false, NULL,
     "{\"event_id\":\"5AB3C1E2-D4F6-4B7A-8C9D-0E1F2A3B4C5D\",\"comments\":\"c\"}", E_OK, EID, NULL,
     NULL, "c"},
    {"user_report without event_id", false, EID, "{\"comments\":\"c\"}", E_INVALID, NULL, NULL,
     NULL, NULL},
    {"user_report without comments", false, NULL, "{\"event_id\":\"" EID "\",\"name\":\"n\"}",
     E_INVALID, NULL, NULL, NULL, NULL},
    {"user_report with empty comments", false, NULL, "{\"event_id\":\"" EID "\",\"comments\":\"\"}",
     E_INVALID, NULL, NULL, NULL, NULL},
    {"user_report not an object", false, NULL, "[1,2]", E_PARSE, NULL, NULL, NULL, NULL},
    {"user_report broken JSON", false, NULL, "{\"event_id\":", E_PARSE, NULL, NULL, NULL, NULL},
    {"invalid UTF-8 becomes U+FFFD", false, NULL,
     "{\"event_id\":\"" EID "\",\"comments\":\"a\xff"
     "b\"}",
     E_OK, EID, NULL, NULL,
     "a\xef\xbf\xbd"
     "b"},
    {"feedback about another event", true, EID,
     "{\"type\":\"feedback\",\"event_id\":\"" EID "\",\"contexts\":{\"feedback\":{\"message\":"
     "\"blank\",\"contact_email\":\"b@x.io\",\"name\":\"Bo\",\"associated_event_id\":\"" EID2
     "\"}}}",
     E_OK, EID2, "Bo", "b@x.io", "blank"},
    {"feedback on its own: its event id", true, NULL,
     "{\"event_id\":\"" EID "\",\"contexts\":{\"feedback\":{\"message\":\"hi\"}}}", E_OK, EID, NULL,
     NULL, "hi"},
    {"feedback without ids: the envelope's", true, EID2,
     "{\"contexts\":{\"feedback\":{\"message\":\"hi\"}}}", E_OK, EID2, NULL, NULL, "hi"},
    {"feedback without any id", true, NULL, "{\"contexts\":{\"feedback\":{\"message\":\"hi\"}}}",
     E_INVALID, NULL, NULL, NULL, NULL},
    {"feedback without contexts.feedback", true, EID, "{\"message\":\"hi\"}", E_INVALID, NULL, NULL,
     NULL, NULL},
    {"feedback without a message", true, EID, "{\"contexts\":{\"feedback\":{\"name\":\"x\"}}}",
     E_INVALID, NULL, NULL, NULL, NULL},
};

static void expect_text(const char *want, const char *got, const char *what, const char *name)
{
    if (!want) {
        if (got && *got)
            fail_msg("%s: %s should be absent, is '%s'", name, what, got);
        return;
    }
    if (!got || strcmp(want, got) != 0)
        fail_msg("%s: %s is '%s', want '%s'", name, what, got ? got : "(null)", want);
}

static void test_feedback_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct fb_case *c = &cases[i];
        struct arena *a = arena_new(4096);
        struct feedback fb;
        enum err e = feedback_decode(a, c->payload, strlen(c->payload), c->feedback_item,
                                     c->fallback_id, &fb);
        if (e != c->want)
            fail_msg("%s: got error %d, want %d", c->name, (int)e, (int)c->want);
        if (!e) {
            expect_text(c->event_id, fb.event_id, "event_id", c->name);
            expect_text(c->fb_name, fb.name, "name", c->name);
            expect_text(c->email, fb.email, "email", c->name);
            expect_text(c->comments, fb.comments, "comments", c->name);
        }
        arena_free(a);
    }
}

/* Long fields are cut by characters, never inside a multi-byte one. */
static void test_feedback_limits(void **state)
{
    (void)state;
    struct arena *a = arena_new(256 * 1024);
    size_t n = FEEDBACK_COMMENTS_CHARS + 100, len = 0;
    char *payload = arena_alloc(a, 3 * n + 200);
#define PUT(s, l) (memcpy(payload + len, (s), (l)), len += (l))
    PUT("{\"event_id\":\"" EID "\",\"name\":\"", 55);
    for (size_t i = 0; i < FEEDBACK_NAME_CHARS + 5; i++)
        PUT("\xc3\xa9", 2); /* é: 2 bytes */
    PUT("\",\"comments\":\"", 14);
    memset(payload + len, 'x', n);
    len += n;
    PUT("\"}", 3); /* with the NUL */
#undef PUT
    struct feedback fb;
    assert_int_equal(feedback_decode(a, payload, strlen(payload), false, NULL, &fb), E_OK);
    assert_int_equal(strlen(fb.name), 2 * FEEDBACK_NAME_CHARS);
    assert_int_equal(strlen(fb.comments), FEEDBACK_COMMENTS_CHARS);
    arena_free(a);
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_feedback_table),
        cmocka_unit_test(test_feedback_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
