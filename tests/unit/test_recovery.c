/* Unit tests for src/auth/recovery: the shape and distinctness of generated codes, input
 * normalisation as a table, the storage hash and the lookup among stored hashes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "auth/recovery.h"

#define ALPHABET "0123456789abcdefghjkmnpqrstvwxyz"

static void test_recovery_generate(void **state)
{
    (void)state;
    char codes[RECOVERY_COUNT][RECOVERY_CODE_LEN + 1];
    for (int round = 0; round < 50; round++) {
        recovery_generate(codes);
        for (int i = 0; i < RECOVERY_COUNT; i++) {
            const char *c = codes[i];
            char norm[RECOVERY_CHARS + 1];
            assert_int_equal(strlen(c), RECOVERY_CODE_LEN);
            assert_int_equal(c[5], '-');
            assert_int_equal(strspn(c, ALPHABET), 5);
            assert_int_equal(strspn(c + 6, ALPHABET), 5);
            assert_true(recovery_normalize(c, strlen(c), norm));
            for (int j = 0; j < i; j++)
                assert_string_not_equal(c, codes[j]);
        }
    }
}

static void test_recovery_normalize(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *want; /* NULL: rejected */
    } cases[] = {
        {"abcde-fgh23", "abcdefgh23"},
        {"abcdefgh23", "abcdefgh23"},
        {"ABCDE-FGH23", "abcdefgh23"},
        {"  abcde fgh23 \n", "abcdefgh23"},
        {"ab-cd-ef-gh-23", "abcdefgh23"},
        {"abcde\t-\tfgh23", "abcdefgh23"},
        /* Crockford look-alikes */
        {"oOiIl-LOoo0", "0011110000"},
        {"12345-67890", "1234567890"},
        /* wrong length, letters outside the alphabet, other punctuation */
        {"abcde-fgh2", NULL},
        {"abcde-fgh234", NULL},
        {"", NULL},
        {"-----", NULL},
        {"abcde-fghu3", NULL},
        {"abcde_fgh23", NULL},
        {"abcde.fgh23", NULL},
        {"abcdé-fgh23", NULL},
        {"abcde-fgh23-----------------------------------------------------------", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[RECOVERY_CHARS + 1] = "";
        bool ok = recovery_normalize(cases[i].in, strlen(cases[i].in), out);
        if (ok != (cases[i].want != NULL) || (ok && strcmp(out, cases[i].want) != 0))
            fail_msg("row %zu '%s': got %d '%s'", i, cases[i].in, ok, ok ? out : "");
    }
    char out[RECOVERY_CHARS + 1];
    assert_false(recovery_normalize("abcde\0fgh23", 11, out));
}

static void test_recovery_hash_find(void **state)
{
    (void)state;
    char h[RECOVERY_HASH_LEN + 1], h2[RECOVERY_HASH_LEN + 1];
    /* the hash is SHA-256 of the ten normalised characters */
    unsigned char raw[crypto_hash_sha256_BYTES];
    char want[RECOVERY_HASH_LEN + 1];
    crypto_hash_sha256(raw, (const unsigned char *)"abcdefgh23", 10);
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(want + 2 * i, 3, "%02x", raw[i]);
    assert_true(recovery_hash("abcde-fgh23", 11, h));
    assert_string_equal(h, want);
    assert_true(recovery_hash(" ABCDE FGH23 ", 13, h2));
    assert_string_equal(h, h2);
    memcpy(h2, "unchanged", 10);
    assert_false(recovery_hash("abcde-fgh2", 10, h2));
    assert_string_equal(h2, "unchanged");

    char codes[RECOVERY_COUNT][RECOVERY_CODE_LEN + 1];
    char stored[RECOVERY_COUNT][RECOVERY_HASH_LEN + 1];
    const char *ptrs[RECOVERY_COUNT];
    recovery_generate(codes);
    for (int i = 0; i < RECOVERY_COUNT; i++) {
        assert_true(recovery_hash(codes[i], strlen(codes[i]), stored[i]));
        ptrs[i] = stored[i];
    }
    for (int i = 0; i < RECOVERY_COUNT; i++) {
        char typed[32];
        snprintf(typed, sizeof typed, "%.5s %s", codes[i], codes[i] + 6);
        for (char *p = typed; *p; p++)
            if (*p >= 'a' && *p <= 'z')
                *p = (char)(*p - 32);
        assert_int_equal(recovery_find(typed, strlen(typed), ptrs, RECOVERY_COUNT), i);
    }
    /* a used code is deleted by the caller: then it is not found */
    ptrs[3] = NULL;
    assert_int_equal(recovery_find(codes[3], strlen(codes[3]), ptrs, RECOVERY_COUNT), -1);
    assert_int_equal(recovery_find("zzzzz-zzzz", 10, ptrs, RECOVERY_COUNT), -1);
    assert_int_equal(recovery_find(codes[0], strlen(codes[0]), ptrs, 0), -1);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recovery_generate),
        cmocka_unit_test(test_recovery_normalize),
        cmocka_unit_test(test_recovery_hash_find),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
