/* Unit tests for src/auth/totp: the RFC 6238 SHA-1 vectors (their 8-digit codes truncated to
 * the last 6 digits, which is what 6-digit truncation gives), the ±1 step window, replay
 * refusal, malformed codes and secrets, secret generation and the otpauth:// URI. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "auth/totp.h"

/* RFC 6238 appendix B: the SHA-1 seed "12345678901234567890" in base32. */
#define RFC_SECRET "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

static void test_totp_rfc6238(void **state)
{
    (void)state;
    static const struct {
        double t;
        const char *rfc8, *want; /* the RFC's 8-digit code, and its last 6 digits */
    } cases[] = {
        {59, "94287082", "287082"},
        {1111111109, "07081804", "081804"},
        {1111111111, "14050471", "050471"},
        {1234567890, "89005924", "005924"},
        {2000000000, "69279037", "279037"},
        {20000000000.0, "65353130", "353130"},
        /* a step boundary: 59.999 is still step 1, 60 is step 2 */
        {59.999, "94287082", "287082"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char got[TOTP_DIGITS + 1] = "";
        enum err e = totp_code(RFC_SECRET, cases[i].t, got, NULL);
        if (e != E_OK || strcmp(got, cases[i].want) != 0 ||
            strcmp(cases[i].rfc8 + 2, cases[i].want) != 0)
            fail_msg("row %zu: t=%.0f got %s %s, want %s", i, cases[i].t, err_name(e), got,
                     cases[i].want);
    }
    char a[TOTP_DIGITS + 1], b[TOTP_DIGITS + 1];
    assert_int_equal(totp_code(RFC_SECRET, 60, a, NULL), E_OK);
    assert_int_equal(totp_code(RFC_SECRET, 59, b, NULL), E_OK);
    assert_string_not_equal(a, b);
    /* case and spaces in the secret do not matter */
    assert_int_equal(totp_code("gezd gnbv gy3t qojq gezd gnbv gy3t qojq", 59, a, NULL), E_OK);
    assert_string_equal(a, "287082");
}

/* Codes are computed in the test at now + delta steps, then verified at now. */
static void test_totp_window_replay(void **state)
{
    (void)state;
    const double now = 1700000015.0; /* mid-step */
    const int64_t s0 = totp_step(now);
    assert_int_equal(s0, 56666667);
    static const struct {
        int delta;         /* steps between the code and now */
        int64_t last_rel;  /* last_step relative to s0; INT64_MIN means -1 (never used) */
        const char *typed; /* how the code is typed: each '#' is the code's next digit */
        enum err err;
        int64_t step_rel; /* the matched step relative to s0, when E_OK */
    } cases[] = {
        {0, INT64_MIN, "######", E_OK, 0},
        {-1, INT64_MIN, "######", E_OK, -1},
        {1, INT64_MIN, "######", E_OK, 1},
        {-2, INT64_MIN, "######", E_AUTH, 0},
        {2, INT64_MIN, "######", E_AUTH, 0},
        {-40, INT64_MIN, "######", E_AUTH, 0},
        /* replay: the same step, or an older one, is refused */
        {0, 0, "######", E_AUTH, 0},
        {-1, 0, "######", E_AUTH, 0},
        {-1, -1, "######", E_AUTH, 0},
        {0, -1, "######", E_OK, 0},
        {1, 0, "######", E_OK, 1},
        {1, 1, "######", E_AUTH, 0},
        /* typing: spaces ignored, anything else is a wrong code */
        {0, INT64_MIN, " ### ###", E_OK, 0},
        {0, INT64_MIN, "#####", E_AUTH, 0},
        {0, INT64_MIN, "######0", E_AUTH, 0},
        {0, INT64_MIN, "###-###", E_AUTH, 0},
        {0, INT64_MIN, "x#####", E_AUTH, 0},
        {0, INT64_MIN, "", E_AUTH, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char code[TOTP_DIGITS + 1], typed[32];
        assert_int_equal(totp_code(RFC_SECRET, now + cases[i].delta * TOTP_STEP_SECS, code, NULL),
                         E_OK);
        size_t n = 0, d = 0;
        for (const char *t = cases[i].typed; *t && n < sizeof typed - 1; t++)
            typed[n++] = *t == '#' ? code[d++] : *t;
        typed[n] = '\0';
        int64_t last = cases[i].last_rel == INT64_MIN ? -1 : s0 + cases[i].last_rel, step = -7;
        struct errinfo ei = {{0}};
        enum err e = totp_verify(RFC_SECRET, typed, now, last, &step, &ei);
        int64_t want_step = cases[i].err == E_OK ? s0 + cases[i].step_rel : -7;
        if (e != cases[i].err || step != want_step)
            fail_msg("row %zu '%s': got %s step %lld (%s), want %s step %lld", i, typed,
                     err_name(e), (long long)step, ei.detail, err_name(cases[i].err),
                     (long long)want_step);
    }
}

static void test_totp_errors(void **state)
{
    (void)state;
    char code[TOTP_DIGITS + 1];
    int64_t step = 0;
    struct errinfo ei = {{0}};
    assert_int_equal(totp_code("", 59, code, NULL), E_INVALID);
    assert_int_equal(totp_code("not base32!", 59, code, &ei), E_INVALID);
    assert_int_equal(totp_code("18", 59, code, NULL), E_INVALID);
    assert_int_equal(totp_code(RFC_SECRET, -1, code, NULL), E_INVALID);
    assert_int_equal(totp_code(RFC_SECRET, 1e300, code, NULL), E_INVALID);
    assert_int_equal(totp_verify("", "287082", 59, -1, &step, NULL), E_INVALID);
    assert_int_equal(totp_verify(RFC_SECRET, "287082", -30, -1, &step, NULL), E_INVALID);
    /* near the epoch the window does not reach negative steps */
    assert_int_equal(totp_code(RFC_SECRET, 10, code, NULL), E_OK);
    assert_int_equal(totp_verify(RFC_SECRET, code, 10, -1, &step, &ei), E_OK);
    assert_int_equal(step, 0);
    /* longer than TOTP_SECRET_MAX_BYTES */
    char big[200];
    memset(big, 'A', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(totp_code(big, 59, code, NULL), E_INVALID);
}

static void test_totp_secret_and_uri(void **state)
{
    (void)state;
    char s1[TOTP_SECRET_B32_LEN + 1], s2[TOTP_SECRET_B32_LEN + 1];
    totp_secret_generate(s1);
    totp_secret_generate(s2);
    assert_int_equal(strlen(s1), TOTP_SECRET_B32_LEN);
    assert_int_equal(strspn(s1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), TOTP_SECRET_B32_LEN);
    assert_string_not_equal(s1, s2);
    /* a generated secret round-trips: a code computed from it verifies */
    char code[TOTP_DIGITS + 1];
    int64_t step;
    assert_int_equal(totp_code(s1, 1700000000, code, NULL), E_OK);
    assert_int_equal(totp_verify(s1, code, 1700000000, -1, &step, NULL), E_OK);

    struct arena *a = arena_new(0);
    char *uri = NULL;
    assert_int_equal(totp_uri(a, "ann+2fa@example.com", RFC_SECRET, &uri), E_OK);
    assert_string_equal(uri, "otpauth://totp/snag:ann%2B2fa@example.com?secret=" RFC_SECRET
                             "&issuer=snag");
    assert_int_equal(totp_uri(a, "a b&c=d?@x", "AB", &uri), E_OK);
    assert_string_equal(uri, "otpauth://totp/snag:a%20b%26c%3Dd%3F@x?secret=AB&issuer=snag");
    arena_free(a);
    a = arena_new(32);
    assert_int_equal(totp_uri(a, "ann@example.com", RFC_SECRET, &uri), E_TOOBIG);
    arena_free(a);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_totp_rfc6238),
        cmocka_unit_test(test_totp_window_replay),
        cmocka_unit_test(test_totp_errors),
        cmocka_unit_test(test_totp_secret_and_uri),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
