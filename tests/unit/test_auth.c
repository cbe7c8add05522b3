/* Unit tests for src/proto/auth: the `Sentry k=v, …` header grammar and DSN parsing, as
 * tables of {input, expected} with one assertion site each. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "proto/auth.h"

#define KEY "0123456789abcdef0123456789abcdef"

/* Compares a slice with an expected C string, printing both on mismatch. */
static void check_slice(size_t row, const char *what, struct slice got, const char *want)
{
    if (slice_eq_cstr(got, want))
        return;
    fail_msg("row %zu: %s is '%.*s', want '%s'", row, what, (int)got.len, got.p, want);
}

static void test_auth_header(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        enum err err;
        const char *key, *client;
        int version;
    } cases[] = {
        /* what the SDKs send */
        {"Sentry sentry_version=7, sentry_client=sentry.python/2.19.0, sentry_key=" KEY, E_OK, KEY,
         "sentry.python/2.19.0", 7},
        {"Sentry sentry_key=" KEY ", sentry_version=7, sentry_client=sentry-cli/3.0.0", E_OK, KEY,
         "sentry-cli/3.0.0", 7},
        {"Sentry sentry_key=" KEY ",sentry_version=7,sentry_secret=shh", E_OK, KEY, "", 7},
        /* prefix case-insensitive, whitespace trimmed, unknown keys ignored */
        {"sentry sentry_key=abc", E_OK, "abc", "", 7},
        {"SENTRY   sentry_key = abc ,  sentry_client =  x/1  ", E_OK, "abc", "x/1", 7},
        {"  Sentry\tsentry_key=abc, sentry_timestamp=1700000000.1, foo=bar, noequals", E_OK, "abc",
         "", 7},
        {"Sentry sentry_key=abc,,", E_OK, "abc", "", 7},
        {"Sentry key=abc, version=6", E_OK, "abc", "", 6},
        /* sentry_version: integer part before '.', default 7, old versions accepted */
        {"Sentry sentry_key=abc, sentry_version=7.0", E_OK, "abc", "", 7},
        {"Sentry sentry_key=abc, sentry_version=5", E_OK, "abc", "", 5},
        {"Sentry sentry_key=abc, sentry_version=", E_OK, "abc", "", 7},
        {"Sentry sentry_key=abc, sentry_version=8", E_PARSE, "abc", "", 7},
        {"Sentry sentry_key=abc, sentry_version=99999999999999999999", E_PARSE, "abc", "", 7},
        {"Sentry sentry_key=abc, sentry_version=seven", E_AUTH, "abc", "", 7},
        {"Sentry sentry_key=abc, sentry_version=.5", E_AUTH, "abc", "", 7},
        {"Sentry sentry_key=abc, sentry_version=-1", E_AUTH, "abc", "", 7},
        /* a later key wins */
        {"Sentry sentry_key=one, sentry_key=two", E_OK, "two", "", 7},
        /* missing or empty key, missing prefix */
        {"Sentry sentry_version=7, sentry_client=x", E_AUTH, "", "x", 7},
        {"Sentry sentry_key=, sentry_version=7", E_AUTH, "", "", 7},
        {"Sentry sentry_key", E_AUTH, "", "", 7},
        {"Sentry ", E_AUTH, "", "", 7},
        {"Sentry", E_AUTH, "", "", 7},
        {"Sentrysentry_key=abc", E_AUTH, "", "", 7},
        {"Bearer abc", E_AUTH, "", "", 7},
        {"Basic YWJjOg==", E_AUTH, "", "", 7},
        {"", E_AUTH, "", "", 7},
        {NULL, E_AUTH, "", "", 7},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct sentry_auth got;
        struct errinfo ei = {{0}};
        enum err e = proto_auth_parse_header(cases[i].in, &got, &ei);
        if (e != cases[i].err)
            fail_msg("row %zu (%s): got %s (%s), want %s", i, cases[i].in ? cases[i].in : "NULL",
                     err_name(e), ei.detail, err_name(cases[i].err));
        if (e == E_OK &&
            (!slice_eq_cstr(got.key, cases[i].key) || !slice_eq_cstr(got.client, cases[i].client) ||
             got.version != cases[i].version))
            fail_msg("row %zu: key '%.*s' client '%.*s' version %d", i, (int)got.key.len, got.key.p,
                     (int)got.client.len, got.client.p, got.version);
        if (e != E_OK && ei.detail[0] == '\0')
            fail_msg("row %zu: error without detail", i);
    }
}

static void test_dsn(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        enum err err;
        const char *scheme, *key, *host, *path, *project;
    } cases[] = {
        {"https://" KEY "@o1.ingest.example.com/42", E_OK, "https", KEY, "o1.ingest.example.com",
         "", "42"},
        {"http://abc@localhost:8000/1", E_OK, "http", "abc", "localhost:8000", "", "1"},
        {"https://abc:secret@host/sentry/42", E_OK, "https", "abc", "host", "/sentry", "42"},
        {"https://abc@host/a/b/c/7/", E_OK, "https", "abc", "host", "/a/b/c", "7"},
        {"HTTPS://abc@host/7?x=1#frag", E_OK, "HTTPS", "abc", "host", "", "7"},
        {"http://abc@[::1]:9000/3", E_OK, "http", "abc", "[::1]:9000", "", "3"},
        {"http://abc@[::1]/3", E_OK, "http", "abc", "[::1]", "", "3"},
        {"  https://abc@host/5\n", E_OK, "https", "abc", "host", "", "5"},
        {"http://user@name@host/5", E_OK, "http", "user@name", "host", "", "5"},
        {"ftp://abc@host/1", E_PARSE, "", "", "", "", ""},
        {"https//abc@host/1", E_PARSE, "", "", "", "", ""},
        {"https://host/1", E_PARSE, "", "", "", "", ""},
        {"https://@host/1", E_PARSE, "", "", "", "", ""},
        {"https://:secret@host/1", E_PARSE, "", "", "", "", ""},
        {"https://abc@/1", E_PARSE, "", "", "", "", ""},
        {"https://abc@host:port/1", E_PARSE, "", "", "", "", ""},
        {"https://abc@host:/1", E_PARSE, "", "", "", "", ""},
        {"https://abc@[::1/1", E_PARSE, "", "", "", "", ""},
        {"https://abc@host", E_PARSE, "", "", "", "", ""},
        {"https://abc@host/", E_PARSE, "", "", "", "", ""},
        {"https://abc@host?x=/1", E_PARSE, "", "", "", "", ""},
        {"", E_PARSE, "", "", "", "", ""},
        {"not a dsn", E_PARSE, "", "", "", "", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct dsn d;
        struct errinfo ei = {{0}};
        enum err e = proto_dsn_parse(slice_from_cstr(cases[i].in), &d, &ei);
        if (e != cases[i].err)
            fail_msg("row %zu (%s): got %s (%s)", i, cases[i].in, err_name(e), ei.detail);
        if (e != E_OK)
            continue;
        check_slice(i, "scheme", d.scheme, cases[i].scheme);
        check_slice(i, "public_key", d.public_key, cases[i].key);
        check_slice(i, "host", d.host, cases[i].host);
        check_slice(i, "path", d.path, cases[i].path);
        check_slice(i, "project_id", d.project_id, cases[i].project);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auth_header),
        cmocka_unit_test(test_dsn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
