/* Unit tests for src/auth/csrf: tokens against HMAC-SHA256 values computed independently
 * (openssl dgst -sha256 -hmac), binding to the key and the session, and verification of
 * tampered, truncated and empty input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "auth/csrf.h"

#define LONG_KEY                                                                                   \
    "an-other-much-longer-secret-key-of-more-than-sixty-four-bytes-for-hmac-block-size-xx"

static void test_csrf_vectors(void **state)
{
    (void)state;
    static const struct {
        const char *key, *session, *want;
    } cases[] = {
        /* printf 'csrf:session-abc' | openssl dgst -sha256 -hmac secret-key-1 -binary | base64url
         */
        {"secret-key-1", "session-abc", "4F0nx3K6aNktniee3RsTcsE2BfWM2pd60dmqnvTzCCI"},
        /* a key longer than the SHA-256 block is hashed first (RFC 2104) */
        {LONG_KEY, "s", "_JEy9rqdoJOEyVK_qVsTSn3Pvj7M4W4nG79TWWjWNro"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char got[CSRF_TOKEN_LEN + 1] = "";
        enum err e = csrf_token(cases[i].key, cases[i].session, got);
        if (e != E_OK || strcmp(got, cases[i].want) != 0)
            fail_msg("row %zu: got %s '%s'", i, err_name(e), got);
    }
}

static void test_csrf_verify(void **state)
{
    (void)state;
    char tok[CSRF_TOKEN_LEN + 1], other[CSRF_TOKEN_LEN + 1];
    assert_int_equal(csrf_token("k", "sess-1", tok), E_OK);
    assert_int_equal(strlen(tok), CSRF_TOKEN_LEN);
    assert_int_equal(
        strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
        CSRF_TOKEN_LEN);
    assert_true(csrf_verify("k", "sess-1", tok, strlen(tok)));
    /* bound to the session and to the key */
    assert_int_equal(csrf_token("k", "sess-2", other), E_OK);
    assert_string_not_equal(tok, other);
    assert_false(csrf_verify("k", "sess-2", tok, strlen(tok)));
    assert_false(csrf_verify("k2", "sess-1", tok, strlen(tok)));
    /* a session id that merely extends another gets an unrelated token */
    assert_int_equal(csrf_token("k", "sess-1x", other), E_OK);
    assert_string_not_equal(tok, other);
    /* tampered, truncated, extended, empty, missing */
    char bad[CSRF_TOKEN_LEN + 2];
    memcpy(bad, tok, sizeof tok);
    bad[10] = bad[10] == 'A' ? 'B' : 'A';
    assert_false(csrf_verify("k", "sess-1", bad, CSRF_TOKEN_LEN));
    assert_false(csrf_verify("k", "sess-1", tok, CSRF_TOKEN_LEN - 1));
    memcpy(bad, tok, CSRF_TOKEN_LEN);
    bad[CSRF_TOKEN_LEN] = 'A';
    bad[CSRF_TOKEN_LEN + 1] = '\0';
    assert_false(csrf_verify("k", "sess-1", bad, CSRF_TOKEN_LEN + 1));
    assert_false(csrf_verify("k", "sess-1", "", 0));
    assert_false(csrf_verify("k", "sess-1", NULL, 0));
    /* a token need not be NUL-terminated (e.g. a slice of a header) */
    char framed[CSRF_TOKEN_LEN + 8];
    memcpy(framed, tok, CSRF_TOKEN_LEN);
    memcpy(framed + CSRF_TOKEN_LEN, ", more", 7);
    assert_true(csrf_verify("k", "sess-1", framed, CSRF_TOKEN_LEN));
    /* an empty key or session never produces or accepts a token */
    assert_int_equal(csrf_token("", "sess-1", other), E_INVALID);
    assert_int_equal(csrf_token("k", "", other), E_INVALID);
    assert_int_equal(csrf_token(NULL, "s", other), E_INVALID);
    assert_false(csrf_verify("", "sess-1", tok, CSRF_TOKEN_LEN));
    assert_false(csrf_verify("k", "", tok, CSRF_TOKEN_LEN));
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csrf_vectors),
        cmocka_unit_test(test_csrf_verify),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
