/* Unit tests for auth/sessions: cookie lookup in a Cookie header (table-driven), the
 * Set-Cookie values (HttpOnly, SameSite=Lax, Secure when asked, deletion), session ids, and
 * the dummy password hash having password_hash()'s parameters (so an unknown email costs the
 * same argon2id work as a wrong password). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "auth/passwords.h"
#include "auth/sessions.h"
#include "core/ids.h"

static void test_cookie_find(void **state)
{
    (void)state;
    static const struct {
        const char *header, *name, *want; /* want NULL: not found */
    } cases[] = {
        {"snag_session=abc", "snag_session", "abc"},
        {"a=1; snag_session=abc; b=2", "snag_session", "abc"},
        {"a=1;snag_session=abc ;b=2", "snag_session", "abc"},
        {"xsnag_session=abc", "snag_session", NULL},
        {"snag_session_old=abc; snag_session=def", "snag_session", "def"},
        {"snag_session=", "snag_session", ""},
        {"snag_csrf=t", "snag_session", NULL},
        {"", "snag_session", NULL},
        {NULL, "snag_session", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *v = NULL;
        size_t n = 0;
        bool found = session_cookie_find(cases[i].header, cases[i].name, &v, &n);
        if (found != (cases[i].want != NULL) ||
            (found && (n != strlen(cases[i].want) || strncmp(v, cases[i].want, n) != 0)))
            fail_msg("case %zu (%s): got %s '%.*s'", i, cases[i].header ? cases[i].header : "NULL",
                     found ? "found" : "none", (int)n, found ? v : "");
    }
}

static void test_set_cookie(void **state)
{
    (void)state;
    struct arena *a = arena_new(0);
    assert_string_equal(session_set_cookie(a, "snag_session", "x", 60, true, false),
                        "snag_session=x; Path=/; Max-Age=60; SameSite=Lax; HttpOnly");
    assert_string_equal(session_set_cookie(a, "snag_csrf", "t", 60, false, true),
                        "snag_csrf=t; Path=/; Max-Age=60; SameSite=Lax; Secure");
    assert_string_equal(session_set_cookie(a, "snag_session", "", 0, true, true),
                        "snag_session=; Path=/; Max-Age=0; SameSite=Lax; HttpOnly; Secure");
    arena_free(a);
}

static void test_ids_and_dummy_hash(void **state)
{
    (void)state;
    char a[SESSION_ID_LEN + 1], b[SESSION_ID_LEN + 1], h[PASSWORD_HASH_MAX];
    session_generate(a);
    session_generate(b);
    assert_int_equal(strlen(a), SESSION_ID_LEN);
    assert_string_not_equal(a, b);
    assert_int_equal(password_hash("some password", h, NULL), E_OK);
    /* "$argon2id$v=19$m=…,t=…,p=…$": everything up to the salt must match */
    const char *end = strchr(strchr(h + 1, '$') + 1, '$');
    end = strchr(end + 1, '$');
    size_t params = (size_t)(end - h);
    assert_int_equal(strncmp(h, SESSION_DUMMY_PASSWORD_HASH, params), 0);
    assert_false(password_verify("some password", SESSION_DUMMY_PASSWORD_HASH));
}

int main(void)
{
    assert_int_equal(ids_init(), 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cookie_find),
        cmocka_unit_test(test_set_cookie),
        cmocka_unit_test(test_ids_and_dummy_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
