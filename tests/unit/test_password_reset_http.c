/* Password reset over real HTTP (helpers/httptest.h), with the mail queue delivering into
 * this test instead of a server: the request answers the same for known and unknown
 * addresses and mails only the known one; the mailed token works once, not after it
 * expired (fake clock), not once a newer link replaced it, not when wrong; using it sets the
 * password (same rules as registration) and signs out every session; requests are
 * throttled. Steps depend on each other, so it is one test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/mailq.h"
#include "helpers/httptest.h"

#define OLD_PW "the old passphrase"
#define NEW_PW "a brand new passphrase"
#define RESET "/api/0/auth/password/reset/"
#define CONFIRM "/api/0/auth/password/reset/confirm/"

static struct httptest E;

/* Mail "delivered" to the test: recipient and message, in order. */
static struct {
    pthread_mutex_t mu;
    size_t n;
    char to[16][128];
    char *msg[16];
} M = {.mu = PTHREAD_MUTEX_INITIALIZER};

static enum err capture(void *ctx, const char *from_addr, const char *to_addr, const char *msg,
                        size_t len, struct errinfo *ei)
{
    (void)ctx, (void)from_addr, (void)ei;
    pthread_mutex_lock(&M.mu);
    if (M.n < 16) {
        snprintf(M.to[M.n], sizeof M.to[M.n], "%s", to_addr);
        M.msg[M.n] = strndup(msg, len);
        M.n++;
    }
    pthread_mutex_unlock(&M.mu);
    return E_OK;
}

static int env_setup(void **state)
{
    (void)state;
    setenv("SECRET_KEY", "test-secret-key-for-password-reset", 1);
    setenv("ENABLE_USER_REGISTRATION", "false", 1);
    httptest_start(&E, HT_THROTTLE);
    struct mailq_config mc = {.from = "snag@example.org", .host = "example.org", .fn = capture};
    E.app.mail = mailq_start(&mc, NULL);
    return E.app.mail ? 0 : -1;
}

static int env_teardown(void **state)
{
    (void)state;
    mailq_stop(E.app.mail);
    E.app.mail = NULL;
    for (size_t i = 0; i < M.n; i++)
        free(M.msg[i]);
    return httptest_stop(&E);
}

static int post(int status, struct httptest_client *c, const char *path, const char *body)
{
    struct httptest_resp r = httptest_request(
        &E, &(struct httptest_req){
                .method = "POST", .path = path, .body = body, .client = c, .csrf = c != NULL});
    int got = r.status;
    if (status && got != status)
        fail_msg("POST %s %s → %d, want %d:\n%s", path, body, got, status, r.raw.p);
    httptest_resp_free(&r);
    return got;
}

static void signin(int status, struct httptest_client *c, const char *password)
{
    char body[200];
    snprintf(body, sizeof body, "{\"email\":\"ann@example.com\",\"password\":\"%s\"}", password);
    memset(c, 0, sizeof *c);
    post(status, c, "/api/0/auth/session/", body);
}

/* Mails so far (after the queue is idle). */
static size_t mails(void)
{
    assert_true(mailq_drain(E.app.mail, 10));
    pthread_mutex_lock(&M.mu);
    size_t n = M.n;
    pthread_mutex_unlock(&M.mu);
    return n;
}

/* Requests a reset for ann and takes uid and token from the mail (quoted-printable soft
 * breaks undone). */
static void request_link(char uid[24], char token[TOKEN_LEN + 1])
{
    size_t before = mails();
    post(200, NULL, RESET, "{\"email\":\"ann@example.com\"}");
    assert_int_equal(mails(), before + 1);
    assert_string_equal(M.to[before], "ann@example.com");
    char text[4096];
    size_t o = 0;
    for (const char *p = strstr(M.msg[before], "\r\n\r\n"); *p && o + 1 < sizeof text; p++) {
        if (strncmp(p, "=\r\n", 3) == 0)
            p += 2;
        else
            text[o++] = *p;
    }
    text[o] = '\0';
    const char *link = strstr(text, "/reset-password/");
    assert_non_null(link);
    char *end;
    long id = strtol(link + 16, &end, 10);
    assert_true(id > 0 && *end == '/');
    snprintf(uid, 24, "%ld", id);
    memcpy(token, end + 1, TOKEN_LEN);
    token[TOKEN_LEN] = '\0';
    assert_int_equal(strspn(token, "0123456789abcdef"), TOKEN_LEN);
    assert_int_equal(end[1 + TOKEN_LEN], '/');
}

static int confirm(int status, const char *uid, const char *token, const char *pw1, const char *pw2)
{
    char body[512];
    snprintf(body, sizeof body,
             "{\"uid\":\"%s\",\"token\":\"%s\",\"new_password1\":\"%s\",\"new_password2\":\"%s\"}",
             uid, token, pw1, pw2);
    return post(status, NULL, CONFIRM, body);
}

static void test_password_reset_walk(void **state)
{
    (void)state;
    struct httptest_client ann = {0}, other = {0};
    post(201, &ann, "/api/0/auth/register/",
         "{\"email\":\"ann@example.com\",\"password\":\"" OLD_PW "\"}");
    signin(200, &other, OLD_PW);

    /* the same answer whether the address has an account; mail only when it has */
    struct httptest_resp a = httptest_expect(
        &E, 200,
        &(struct httptest_req){
            .method = "POST", .path = RESET, .body = "{\"email\":\"nobody@example.com\"}"});
    assert_int_equal(mails(), 0);
    post(400, NULL, RESET, "{\"email\":\"not an address\"}");
    char uid[24], token[TOKEN_LEN + 1], wrong[TOKEN_LEN + 1];
    request_link(uid, token);
    struct httptest_resp b = httptest_expect(
        &E, 200,
        &(struct httptest_req){
            .method = "POST", .path = RESET, .body = "{\"email\":\"nobody@example.com\"}"});
    assert_string_equal(a.body, b.body);
    httptest_resp_free(&a);
    httptest_resp_free(&b);

    /* wrong tokens, bad uids, bad passwords: refused, and the link still works */
    memset(wrong, 'a', TOKEN_LEN);
    wrong[TOKEN_LEN] = '\0';
    confirm(400, uid, wrong, NEW_PW, NEW_PW);
    confirm(400, "999999", token, NEW_PW, NEW_PW);
    confirm(400, "x", token, NEW_PW, NEW_PW);
    confirm(400, uid, "short", NEW_PW, NEW_PW);
    confirm(400, uid, token, NEW_PW, "another passphrase");
    confirm(400, uid, token, "short", "short");

    /* the link works: new password, every session signed out, old password refused */
    confirm(200, uid, token, NEW_PW, NEW_PW);
    struct httptest_resp s = httptest_request(
        &E,
        &(struct httptest_req){.method = "GET", .path = "/api/0/auth/session/", .client = &ann});
    assert_int_equal(s.status, 401);
    httptest_resp_free(&s);
    s = httptest_request(
        &E,
        &(struct httptest_req){.method = "GET", .path = "/api/0/auth/session/", .client = &other});
    assert_int_equal(s.status, 401);
    httptest_resp_free(&s);
    signin(400, &other, OLD_PW);
    signin(200, &other, NEW_PW);
    /* once only */
    confirm(400, uid, token, "yet another passphrase", "yet another passphrase");
    signin(200, &other, NEW_PW);

    /* expired after an hour (fake clock) */
    request_link(uid, token);
    clock_set_fake(clock_now() + 3601);
    confirm(400, uid, token, "yet another passphrase", "yet another passphrase");
    clock_set_fake(0);
    /* a newer link replaces the older one */
    char token2[TOKEN_LEN + 1];
    request_link(uid, token);
    request_link(uid, token2);
    assert_string_not_equal(token, token2);
    confirm(400, uid, token, "yet another passphrase", "yet another passphrase");
    confirm(200, uid, token2, "yet another passphrase", "yet another passphrase");
    signin(200, &other, "yet another passphrase");

    /* throttled: one address cannot be flooded with mail */
    int got429 = 0;
    for (int i = 0; i < 10 && !got429; i++) {
        int st = post(0, NULL, RESET, "{\"email\":\"flood@example.com\"}");
        assert_true(st == 200 || st == 429);
        got429 = st == 429;
    }
    assert_true(got429);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_password_reset_walk)};
    return cmocka_run_group_tests(tests, env_setup, env_teardown);
}
