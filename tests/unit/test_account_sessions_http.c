/* The account page's sessions over real HTTP (in-process server, a fresh database: SQLite, or
 * PostgreSQL with SNAG_TEST_DATABASE_URL): the list with the current flag, the browser's
 * User-Agent (cut to 256 bytes at a character boundary) and address; revoking another
 * session, all the others, the current one (which signs out) and another user's (404); the
 * CSRF token on cookie-authenticated deletes; and last_seen written at most every
 * SESSION_TOUCH_SECS, checked with the fake clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/passwords.h"
#include "auth/sessions.h"
#include "core/clock.h"
#include "helpers/httptest.h"

static struct {
    struct httptest ht;
    char tok[TOKEN_LEN + 1];
} E;

static void new_user(const char *email, const char *password)
{
    char hash[PASSWORD_HASH_MAX];
    assert_int_equal(password_hash(password, hash, NULL), E_OK);
    assert_int_equal(store_user_create(E.ht.st, email, hash, false, NULL, NULL), E_OK);
}

static int env_setup(void **state)
{
    (void)state;
    setenv("SECRET_KEY", "test-secret-key-for-account-sessions", 1);
    httptest_start(&E.ht, 0);
    new_user("alice@example.com", "alice-pass-1");
    new_user("bob@example.com", "bob-pass-1");
    struct store_user alice;
    struct arena *a = arena_new(0);
    assert_int_equal(store_user_by_email(E.ht.st, a, "alice@example.com", &alice), E_OK);
    httptest_token(&E.ht, alice.id, "org:read", E.tok);
    arena_free(a);
    return 0;
}

static int env_teardown(void **state)
{
    (void)state;
    clock_set_fake(0);
    return httptest_stop(&E.ht);
}

/* ---- the client ------------------------------------------------------------------------ */

static struct httptest_resp expect(int status, struct httptest_client *c, bool csrf,
                                   const char *bearer, const char *method, const char *path,
                                   const char *header)
{
    return httptest_expect(&E.ht, status,
                           &(struct httptest_req){.method = method,
                                                  .path = path,
                                                  .bearer = bearer,
                                                  .header = header,
                                                  .client = c,
                                                  .csrf = csrf});
}

static void expect_only(int status, struct httptest_client *c, bool csrf, const char *bearer,
                        const char *method, const char *path)
{
    struct httptest_resp r = expect(status, c, csrf, bearer, method, path, NULL);
    httptest_resp_free(&r);
}

/* Signs c in as email with the User-Agent line ua (NULL: none). */
static void sign_in(struct httptest_client *c, const char *email, const char *password,
                    const char *ua)
{
    char body[200];
    snprintf(body, sizeof body, "{\"email\":\"%s\",\"password\":\"%s\"}", email, password);
    memset(c, 0, sizeof *c);
    struct httptest_resp r = httptest_expect(&E.ht, 200,
                                             &(struct httptest_req){.method = "POST",
                                                                    .path = "/api/0/auth/session/",
                                                                    .body = body,
                                                                    .header = ua,
                                                                    .client = c});
    httptest_resp_free(&r);
    assert_true(c->session[0] != '\0');
}

/* GET /api/0/auth/sessions/ as c (or bearer); the array, to be deleted. */
static cJSON *list(struct httptest_client *c, const char *bearer)
{
    struct httptest_resp r = expect(200, c, false, bearer, "GET", "/api/0/auth/sessions/", NULL);
    cJSON *arr = r.json;
    r.json = NULL;
    httptest_resp_free(&r);
    assert_true(cJSON_IsArray(arr));
    return arr;
}

/* The session item of list arr whose "current" is true (NULL: none). */
static const cJSON *current(const cJSON *arr)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) if (cJSON_IsTrue(cJSON_GetObjectItem(it, "current"))) return it;
    return NULL;
}

/* c's own session id, from its list. */
static void own_id(struct httptest_client *c, char id[SESSION_PUBLIC_ID_LEN + 1])
{
    cJSON *arr = list(c, NULL);
    assert_non_null(current(arr));
    snprintf(id, SESSION_PUBLIC_ID_LEN + 1, "%s", httptest_jstr(current(arr), "id"));
    cJSON_Delete(arr);
}

static void revoke(int status, struct httptest_client *c, bool csrf, const char *bearer,
                   const char *id)
{
    char path[128];
    snprintf(path, sizeof path, "/api/0/auth/sessions/%s/", id);
    expect_only(status, c, csrf, bearer, "DELETE", path);
}

static void expect_iso(const cJSON *o, const char *key, double t)
{
    char want[32];
    clock_format_iso(t, want);
    assert_string_equal(httptest_jstr(o, key), want);
}

/* ---- the tests ----------------------------------------------------------------------------- */

static void test_list_and_revoke(void **state)
{
    (void)state;
    double t0 = floor(clock_now()) - 3600;
    clock_set_fake(t0);
    struct httptest_client c1, c2, bob;
    sign_in(&c1, "alice@example.com", "alice-pass-1", "User-Agent: TestBrowser/1.0");
    cJSON *arr = list(&c1, NULL);
    assert_int_equal(cJSON_GetArraySize(arr), 1);
    const cJSON *me = current(arr);
    assert_non_null(me);
    assert_int_equal(strlen(httptest_jstr(me, "id")), SESSION_PUBLIC_ID_LEN);
    assert_string_equal(httptest_jstr(me, "userAgent"), "TestBrowser/1.0");
    assert_string_equal(httptest_jstr(me, "ipAddress"), "127.0.0.1");
    expect_iso(me, "created", t0);
    expect_iso(me, "lastSeen", t0);
    expect_iso(me, "expires", t0 + SESSION_TTL_SECS);
    cJSON_Delete(arr);
    char id1[SESSION_PUBLIC_ID_LEN + 1], id2[SESSION_PUBLIC_ID_LEN + 1];
    char idb[SESSION_PUBLIC_ID_LEN + 1];
    own_id(&c1, id1);

    /* a second browser: newest first; "current" is the asking one; none for a token */
    clock_set_fake(t0 + 60);
    sign_in(&c2, "alice@example.com", "alice-pass-1", NULL);
    own_id(&c2, id2);
    arr = list(&c1, NULL);
    assert_int_equal(cJSON_GetArraySize(arr), 2);
    assert_string_equal(httptest_jstr(cJSON_GetArrayItem(arr, 0), "id"), id2);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 0), "userAgent")));
    assert_string_equal(httptest_jstr(current(arr), "id"), id1);
    cJSON_Delete(arr);
    arr = list(NULL, E.tok);
    assert_int_equal(cJSON_GetArraySize(arr), 2);
    assert_null(current(arr));
    cJSON_Delete(arr);

    /* another user's session, an unknown id, a malformed one: 404 */
    sign_in(&bob, "bob@example.com", "bob-pass-1", NULL);
    own_id(&bob, idb);
    revoke(404, &c1, true, NULL, idb);
    revoke(404, &c1, true, NULL, "0123456789abcdef");
    revoke(404, &c1, true, NULL, "not-a-session-id");
    revoke(404, NULL, false, E.tok, idb);

    /* revoke the other browser: cookie deletes need the CSRF token */
    revoke(403, &c1, false, NULL, id2);
    revoke(204, &c1, true, NULL, id2);
    revoke(404, &c1, true, NULL, id2);
    expect_only(401, &c2, false, NULL, "GET", "/api/0/auth/session/");
    arr = list(&c1, NULL);
    assert_int_equal(cJSON_GetArraySize(arr), 1);
    assert_string_equal(httptest_jstr(cJSON_GetArrayItem(arr, 0), "id"), id1);
    cJSON_Delete(arr);

    /* all the others: bob's stays */
    sign_in(&c2, "alice@example.com", "alice-pass-1", NULL);
    expect_only(403, &c1, false, NULL, "DELETE", "/api/0/auth/sessions/");
    expect_only(204, &c1, true, NULL, "DELETE", "/api/0/auth/sessions/");
    expect_only(401, &c2, false, NULL, "GET", "/api/0/auth/session/");
    expect_only(200, &c1, false, NULL, "GET", "/api/0/auth/session/");
    expect_only(200, &bob, false, NULL, "GET", "/api/0/auth/session/");

    /* the current one: signed out, cookies cleared */
    struct httptest_client old = c1;
    revoke(204, &c1, true, NULL, id1);
    assert_string_equal(c1.session, "");
    expect_only(401, &old, false, NULL, "GET", "/api/0/auth/sessions/");

    /* by token: every session of the user goes, nobody else's */
    sign_in(&c1, "alice@example.com", "alice-pass-1", NULL);
    expect_only(204, NULL, false, E.tok, "DELETE", "/api/0/auth/sessions/");
    expect_only(401, &c1, false, NULL, "GET", "/api/0/auth/session/");
    expect_only(200, &bob, false, NULL, "GET", "/api/0/auth/session/");
    arr = list(NULL, E.tok);
    assert_int_equal(cJSON_GetArraySize(arr), 0);
    cJSON_Delete(arr);
    expect_only(401, NULL, false, NULL, "GET", "/api/0/auth/sessions/");
}

/* The stored User-Agent: at most SESSION_USER_AGENT_MAX bytes, never half a character. */
static void test_user_agent_cut(void **state)
{
    (void)state;
    clock_set_fake(0);
    char ua[400];
    int n = snprintf(ua, sizeof ua, "User-Agent: ");
    memset(ua + n, 'x', SESSION_USER_AGENT_MAX - 1);
    snprintf(ua + n + SESSION_USER_AGENT_MAX - 1, sizeof ua - (size_t)n - SESSION_USER_AGENT_MAX,
             "\xc3\xa9tail"); /* é straddles the limit */
    struct httptest_client c;
    sign_in(&c, "bob@example.com", "bob-pass-1", ua);
    cJSON *arr = list(&c, NULL);
    const char *got = httptest_jstr(current(arr), "userAgent");
    assert_int_equal(strlen(got), SESSION_USER_AGENT_MAX - 1);
    assert_int_equal(strspn(got, "x"), SESSION_USER_AGENT_MAX - 1);
    cJSON_Delete(arr);
    expect_only(204, &c, true, NULL, "DELETE", "/api/0/auth/session/");
}

/* The last-use stamp of c's session as the list shows it. */
static void expect_last_seen(struct httptest_client *c, double t)
{
    cJSON *arr = list(c, NULL);
    expect_iso(current(arr), "lastSeen", t);
    cJSON_Delete(arr);
}

static void test_last_seen_throttled(void **state)
{
    (void)state;
    double t1 = floor(clock_now()) - 7200;
    clock_set_fake(t1);
    struct httptest_client c;
    sign_in(&c, "bob@example.com", "bob-pass-1", NULL);
    expect_last_seen(&c, t1);
    /* used within SESSION_TOUCH_SECS: nothing written */
    clock_set_fake(t1 + 120);
    expect_only(200, &c, false, NULL, "GET", "/api/0/organizations/");
    expect_last_seen(&c, t1);
    /* stale: the next use writes it (the list's own request counts) */
    clock_set_fake(t1 + SESSION_TOUCH_SECS + 1);
    expect_last_seen(&c, t1 + SESSION_TOUCH_SECS + 1);
    clock_set_fake(t1 + SESSION_TOUCH_SECS + 100);
    expect_only(200, &c, false, NULL, "GET", "/api/0/organizations/");
    expect_last_seen(&c, t1 + SESSION_TOUCH_SECS + 1);
    clock_set_fake(t1 + 2 * SESSION_TOUCH_SECS + 2);
    expect_only(200, &c, false, NULL, "GET", "/api/0/organizations/");
    clock_set_fake(t1 + 2 * SESSION_TOUCH_SECS + 3);
    expect_last_seen(&c, t1 + 2 * SESSION_TOUCH_SECS + 2);
    expect_only(204, &c, true, NULL, "DELETE", "/api/0/auth/session/");
    clock_set_fake(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_and_revoke),
        cmocka_unit_test(test_user_agent_cut),
        cmocka_unit_test(test_last_seen_throttled),
    };
    return cmocka_run_group_tests(tests, env_setup, env_teardown);
}
