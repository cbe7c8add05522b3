/* Unit tests for src/auth: argon2id passwords and API tokens. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "auth/passwords.h"
#include "auth/tokens.h"
#include "core/ids.h"

static void test_passwords(void **state)
{
    (void)state;
    assert_int_equal(ids_init(), 0);
    char h[PASSWORD_HASH_MAX];
    struct errinfo ei = {{0}};
    assert_int_equal(password_hash("short", h, &ei), E_INVALID);
    assert_int_equal(password_hash("correct horse battery", h, &ei), E_OK);
    assert_int_equal(strncmp(h, "$argon2id$", 10), 0);
    assert_true(password_verify("correct horse battery", h));
    assert_false(password_verify("correct horse batterY", h));
    assert_false(password_verify("x", ""));
    assert_false(password_verify("x", NULL));
}

static void test_tokens(void **state)
{
    (void)state;
    char t1[TOKEN_LEN + 1], t2[TOKEN_LEN + 1], h[TOKEN_HASH_LEN + 1];
    token_generate(t1);
    token_generate(t2);
    assert_int_equal(strlen(t1), TOKEN_LEN);
    assert_string_not_equal(t1, t2);
    token_hash("abc", 3, h);
    assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    static const struct {
        const char *header;
        const char *token; /* NULL: not a bearer header */
    } cases[] = {
        {"Bearer abc123", "abc123"}, {"bearer  abc123 ", "abc123"},
        {"Token xyz", "xyz"},        {"Sentry sentry_key=1", NULL},
        {"Bearer ", NULL},           {"Basic dXNlcg==", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *tok;
        size_t len;
        bool ok = token_from_header(cases[i].header, &tok, &len);
        assert_int_equal(ok, cases[i].token != NULL);
        if (ok) {
            assert_int_equal(len, strlen(cases[i].token));
            assert_memory_equal(tok, cases[i].token, len);
        }
    }
    const char *tok;
    size_t len;
    assert_false(token_from_header(NULL, &tok, &len));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_passwords),
        cmocka_unit_test(test_tokens),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
