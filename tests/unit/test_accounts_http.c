/* Accounts over real HTTP: the server runs in this process on a free port with a fresh
 * database (SQLite, or PostgreSQL with SNAG_TEST_DATABASE_URL: helpers/testdb.h; router →
 * handlers → store), and one test walks what a browser and a script do — first-run owner
 * creation, registration rules, sign-in with the session cookie, CSRF on cookie writes,
 * throttling that does not tell unknown emails apart, two-factor enrolment and sign-in (codes
 * computed here from the secret, recovery codes used once, replays refused), an organization
 * that requires 2FA, API tokens (create, list, use, revoke), password change and sign-out.
 * Steps depend on each other, so it is one test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/throttle.h"
#include "auth/totp.h"
#include "core/clock.h"
#include "helpers/httptest.h"

static struct httptest E;

static int env_setup(void **state)
{
    (void)state;
    setenv("SECRET_KEY", "test-secret-key-for-accounts", 1);
    setenv("ENABLE_USER_REGISTRATION", "false", 1);
    httptest_start(&E, HT_THROTTLE);
    return 0;
}

static int env_teardown(void **state)
{
    (void)state;
    return httptest_stop(&E);
}

/* ---- the HTTP client ---------------------------------------------------------------------- */

/* Sends and checks the status; returns the response for more checks. */
static struct httptest_resp expect(int status, struct httptest_client *c, bool csrf,
                                   const char *bearer, const char *method, const char *path,
                                   const char *body)
{
    return httptest_expect(&E, status,
                           &(struct httptest_req){.method = method,
                                                  .path = path,
                                                  .body = body,
                                                  .bearer = bearer,
                                                  .client = c,
                                                  .csrf = csrf});
}

static void expect_only(int status, struct httptest_client *c, bool csrf, const char *bearer,
                        const char *method, const char *path, const char *body)
{
    struct httptest_resp r = expect(status, c, csrf, bearer, method, path, body);
    httptest_resp_free(&r);
}

static void totp_now(const char *secret, double offset, char code[TOTP_DIGITS + 1])
{
    assert_int_equal(totp_code(secret, clock_now() + offset, code, NULL), E_OK);
}

/* ---- the walk ------------------------------------------------------------------------------ */

/* Whether the Set-Cookie line for prefix (e.g. "snag_session=") ends with tail. */
static bool cookie_line_has(const char *raw, const char *prefix, const char *tail)
{
    char want[64];
    snprintf(want, sizeof want, "Set-Cookie: %s", prefix);
    const char *line = strstr(raw, want);
    const char *end = line ? strstr(line, "\r\n") : NULL;
    size_t n = strlen(tail);
    return end && (size_t)(end + 2 - line) >= n && strncmp(end + 2 - n, tail, n) == 0;
}

static void step_first_run(struct httptest_client *owner)
{
    expect_only(401, NULL, false, NULL, "GET", "/api/0/auth/session/", NULL);
    struct httptest_resp r =
        expect(201, owner, false, NULL, "POST", "/api/0/auth/register/",
               "{\"email\":\"owner@example.com\",\"password\":\"owner-pass-1\"}");
    assert_true(
        cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(r.json, "user"), "isSuperuser")));
    assert_string_equal(httptest_jstr(r.json, "csrfToken"), owner->csrf);
    assert_true(cookie_line_has(r.raw.p, "snag_session=",
                                "; Path=/; Max-Age=1209600; "
                                "SameSite=Lax; HttpOnly\r\n"));
    assert_true(cookie_line_has(r.raw.p, "snag_csrf=", "; SameSite=Lax\r\n")); /* readable */
    httptest_resp_free(&r);
    /* now registration is closed … */
    expect_only(403, NULL, false, NULL, "POST", "/api/0/auth/register/",
                "{\"email\":\"x@example.com\",\"password\":\"some-pass-1\"}");
    /* … unless ENABLE_USER_REGISTRATION: plain users */
    E.cfg.enable_user_registration = true;
    struct httptest_client tmp = {.session = "", .csrf = ""};
    r = expect(201, &tmp, false, NULL, "POST", "/api/0/auth/register/",
               "{\"email\":\"member@example.com\",\"password\":\"member-pass-1\"}");
    assert_true(
        cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetObjectItem(r.json, "user"), "isSuperuser")));
    httptest_resp_free(&r);
    expect_only(201, &tmp, false, NULL, "POST", "/api/0/auth/register/",
                "{\"email\":\"victim@example.com\",\"password\":\"victim-pass-1\"}");
    expect_only(400, NULL, false, NULL, "POST", "/api/0/auth/register/",
                "{\"email\":\"victim@example.com\",\"password\":\"victim-pass-1\"}");
    expect_only(400, NULL, false, NULL, "POST", "/api/0/auth/register/",
                "{\"email\":\"short@example.com\",\"password\":\"x\"}");
    E.cfg.enable_user_registration = false;
}

static void step_cookie_and_csrf(struct httptest_client *owner)
{
    struct httptest_client c = {.session = "", .csrf = ""};
    struct httptest_resp r =
        expect(200, &c, false, NULL, "POST", "/api/0/auth/session/",
               "{\"email\":\"owner@example.com\",\"password\":\"owner-pass-1\"}");
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(r.json, "twoFactorRequired")));
    httptest_resp_free(&r);
    *owner = c;
    /* reads need no CSRF token, writes do */
    expect_only(200, owner, false, NULL, "GET", "/api/0/organizations/", NULL);
    r = expect(403, owner, false, NULL, "POST", "/api/0/organizations/", "{\"name\":\"Acme\"}");
    assert_non_null(strstr(r.body, "CSRF"));
    httptest_resp_free(&r);
    struct httptest_client forged = *owner;
    snprintf(forged.csrf, sizeof forged.csrf, "AAAA");
    expect_only(403, &forged, true, NULL, "POST", "/api/0/organizations/", "{\"name\":\"Acme\"}");
    expect_only(201, owner, true, NULL, "POST", "/api/0/organizations/", "{\"name\":\"Acme\"}");
    r = expect(200, owner, false, NULL, "GET", "/api/0/auth/session/", NULL);
    assert_string_equal(httptest_jstr(r.json, "csrfToken"), owner->csrf);
    httptest_resp_free(&r);
}

static void step_throttle(void)
{
    const char *wrong = "{\"email\":\"victim@example.com\",\"password\":\"wrong-pass\"}";
    const char *unknown = "{\"email\":\"nobody@example.com\",\"password\":\"wrong-pass\"}";
    struct httptest_resp a = expect(400, NULL, false, NULL, "POST", "/api/0/auth/session/", wrong);
    struct httptest_resp b =
        expect(400, NULL, false, NULL, "POST", "/api/0/auth/session/", unknown);
    assert_string_equal(a.body, b.body); /* no user enumeration */
    httptest_resp_free(&a);
    httptest_resp_free(&b);
    for (int i = 1; i < THROTTLE_PAIR_FREE + 1; i++)
        expect_only(400, NULL, false, NULL, "POST", "/api/0/auth/session/", wrong);
    /* locked now, even with the right password */
    struct httptest_resp r =
        expect(429, NULL, false, NULL, "POST", "/api/0/auth/session/",
               "{\"email\":\"victim@example.com\",\"password\":\"victim-pass-1\"}");
    assert_non_null(strstr(r.raw.p, "Retry-After: "));
    httptest_resp_free(&r);
}

/* Enrols owner in 2FA; returns the secret and the recovery codes. */
static void step_enrol(struct httptest_client *owner, char *secret, size_t cap, char codes[10][16])
{
    struct httptest_resp r =
        expect(200, owner, true, NULL, "POST", "/api/0/auth/2fa/enroll/", "{}");
    snprintf(secret, cap, "%s", httptest_jstr(r.json, "secret"));
    assert_non_null(strstr(httptest_jstr(r.json, "qrCode"), "<svg"));
    assert_non_null(strstr(httptest_jstr(r.json, "uri"), "otpauth://totp/"));
    httptest_resp_free(&r);
    expect_only(400, owner, true, NULL, "POST", "/api/0/auth/2fa/confirm/",
                "{\"code\":\"000000\"}");
    char code[TOTP_DIGITS + 1], body[64];
    totp_now(secret, 0, code);
    snprintf(body, sizeof body, "{\"code\":\"%s\"}", code);
    r = expect(200, owner, true, NULL, "POST", "/api/0/auth/2fa/confirm/", body);
    const cJSON *arr = cJSON_GetObjectItem(r.json, "recoveryCodes");
    assert_int_equal(cJSON_GetArraySize(arr), 10);
    for (int i = 0; i < 10; i++)
        snprintf(codes[i], 16, "%s", cJSON_GetStringValue(cJSON_GetArrayItem(arr, i)));
    httptest_resp_free(&r);
    expect_only(409, owner, true, NULL, "POST", "/api/0/auth/2fa/enroll/", "{}");
    r = expect(200, owner, false, NULL, "GET", "/api/0/auth/2fa/", NULL);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(r.json, "enabled")));
    httptest_resp_free(&r);
}

/* Signs out c (cookie gone, session gone). */
static void sign_out(struct httptest_client *c)
{
    struct httptest_client old = *c;
    expect_only(403, c, false, NULL, "DELETE", "/api/0/auth/session/", NULL);
    expect_only(204, c, true, NULL, "DELETE", "/api/0/auth/session/", NULL);
    assert_string_equal(c->session, "");
    expect_only(401, &old, false, NULL, "GET", "/api/0/auth/session/", NULL);
}

/* Password step done; c holds a pending session. */
static void sign_in_pending(struct httptest_client *c)
{
    memset(c, 0, sizeof *c);
    struct httptest_resp r =
        expect(200, c, false, NULL, "POST", "/api/0/auth/session/",
               "{\"email\":\"owner@example.com\",\"password\":\"owner-pass-1\"}");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(r.json, "twoFactorRequired")));
    httptest_resp_free(&r);
    /* a pending session opens nothing else */
    expect_only(401, c, false, NULL, "GET", "/api/0/organizations/", NULL);
}

static void step_second_factor(struct httptest_client *owner, const char *secret,
                               char codes[10][16])
{
    char code[TOTP_DIGITS + 1], body[256];
    sign_out(owner);
    sign_in_pending(owner);
    totp_now(secret, TOTP_STEP_SECS, code); /* the next step: the current one was used */
    snprintf(body, sizeof body, "{\"code\":\"%s\"}", code);
    expect_only(403, owner, false, NULL, "POST", "/api/0/auth/session/2fa/", body);
    expect_only(400, owner, true, NULL, "POST", "/api/0/auth/session/2fa/", "{\"code\":\"1\"}");
    expect_only(200, owner, true, NULL, "POST", "/api/0/auth/session/2fa/", body);
    expect_only(200, owner, false, NULL, "GET", "/api/0/organizations/", NULL);
    /* the same code again: a replay */
    sign_out(owner);
    sign_in_pending(owner);
    expect_only(400, owner, true, NULL, "POST", "/api/0/auth/session/2fa/", body);
    /* a recovery code works once */
    snprintf(body, sizeof body, "{\"recoveryCode\":\"%s\"}", codes[0]);
    expect_only(200, owner, true, NULL, "POST", "/api/0/auth/session/2fa/", body);
    sign_out(owner);
    sign_in_pending(owner);
    expect_only(400, owner, true, NULL, "POST", "/api/0/auth/session/2fa/", body);
    snprintf(body, sizeof body, "{\"recoveryCode\":\"%s\"}", codes[1]);
    expect_only(200, owner, true, NULL, "POST", "/api/0/auth/session/2fa/", body);
}

/* Adds member@example.com to org acme as a member, through the store (invite, accept). */
static void add_member(void)
{
    struct arena *a = arena_new(0);
    struct store_org org;
    struct store_user owner, member;
    struct store_member m;
    assert_int_equal(store_org_by_slug(E.st, a, "acme", &org), E_OK);
    assert_int_equal(store_user_by_email(E.st, a, "owner@example.com", &owner), E_OK);
    assert_int_equal(store_user_by_email(E.st, a, "member@example.com", &member), E_OK);
    assert_int_equal(store_member_invite(E.st, org.id, "member@example.com", "member", "hash",
                                         owner.id, clock_now() + 3600, a, &m),
                     E_OK);
    assert_int_equal(store_member_accept(E.st, m.id, "hash", member.id, clock_now(), a, &m), E_OK);
    arena_free(a);
}

static void step_org_requires_2fa(struct httptest_client *owner)
{
    struct httptest_client member = {.session = "", .csrf = ""};
    expect_only(200, &member, false, NULL, "POST", "/api/0/auth/session/",
                "{\"email\":\"member@example.com\",\"password\":\"member-pass-1\"}");
    add_member();
    expect_only(200, &member, false, NULL, "GET", "/api/0/organizations/acme/", NULL);
    /* only an owner, and only one with 2FA, may turn it on */
    expect_only(403, &member, true, NULL, "PUT", "/api/0/organizations/acme/",
                "{\"require2FA\":true}");
    struct httptest_resp r = expect(200, owner, true, NULL, "PUT", "/api/0/organizations/acme/",
                                    "{\"require2FA\":true}");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(r.json, "require2FA")));
    httptest_resp_free(&r);
    r = expect(403, &member, false, NULL, "GET", "/api/0/organizations/acme/", NULL);
    assert_non_null(strstr(r.body, "requires two-factor authentication"));
    httptest_resp_free(&r);
    expect_only(403, &member, false, NULL, "GET", "/api/0/organizations/acme/projects/", NULL);
    expect_only(200, owner, false, NULL, "GET", "/api/0/organizations/acme/", NULL);
    /* the member's own org: no 2FA, so it cannot require it */
    E.cfg.enable_organization_creation = true;
    expect_only(201, &member, true, NULL, "POST", "/api/0/organizations/", "{\"name\":\"Mine\"}");
    expect_only(400, &member, true, NULL, "PUT", "/api/0/organizations/mine/",
                "{\"require2FA\":true}");
}

static void step_tokens(struct httptest_client *owner)
{
    expect_only(403, owner, false, NULL, "POST", "/api/0/api-tokens/",
                "{\"label\":\"ci\",\"scopes\":[\"org:read\"]}");
    expect_only(400, owner, true, NULL, "POST", "/api/0/api-tokens/",
                "{\"label\":\"ci\",\"scopes\":[\"org:everything\"]}");
    struct httptest_resp r =
        expect(201, owner, true, NULL, "POST", "/api/0/api-tokens/",
               "{\"label\":\"ci\",\"scopes\":[\"org:read\",\"project:releases\"]}");
    char tok[200], id[24], path[64];
    snprintf(tok, sizeof tok, "%s", httptest_jstr(r.json, "token"));
    snprintf(id, sizeof id, "%s", httptest_jstr(r.json, "id"));
    httptest_resp_free(&r);
    r = expect(200, owner, false, NULL, "GET", "/api/0/api-tokens/", NULL);
    assert_non_null(strstr(r.body, "\"label\":\"ci\""));
    assert_null(strstr(r.body, tok)); /* shown once */
    httptest_resp_free(&r);
    /* the token works, without CSRF, and cannot mint a broader one */
    r = expect(200, NULL, false, tok, "GET", "/api/0/", NULL);
    assert_non_null(strstr(r.body, "owner@example.com"));
    httptest_resp_free(&r);
    expect_only(403, NULL, false, tok, "POST", "/api/0/api-tokens/",
                "{\"label\":\"x\",\"scopes\":[\"org:admin\"]}");
    expect_only(201, NULL, false, tok, "POST", "/api/0/api-tokens/",
                "{\"label\":\"x\",\"scopes\":[\"org:read\"]}");
    snprintf(path, sizeof path, "/api/0/api-tokens/%s/", id);
    expect_only(403, owner, false, NULL, "DELETE", path, NULL);
    expect_only(204, owner, true, NULL, "DELETE", path, NULL);
    expect_only(404, owner, true, NULL, "DELETE", path, NULL);
    expect_only(401, NULL, false, tok, "GET", "/api/0/organizations/", NULL);
}

static void step_password_and_disable(struct httptest_client *owner, const char *secret)
{
    struct httptest_client m = {.session = "", .csrf = ""};
    expect_only(200, &m, false, NULL, "POST", "/api/0/auth/session/",
                "{\"email\":\"member@example.com\",\"password\":\"member-pass-1\"}");
    expect_only(400, &m, true, NULL, "PUT", "/api/0/auth/password/",
                "{\"currentPassword\":\"nope-nope\",\"newPassword\":\"member-pass-2\"}");
    expect_only(200, &m, true, NULL, "PUT", "/api/0/auth/password/",
                "{\"currentPassword\":\"member-pass-1\",\"newPassword\":\"member-pass-2\"}");
    expect_only(200, &m, false, NULL, "GET", "/api/0/auth/session/", NULL); /* kept */
    expect_only(400, NULL, false, NULL, "POST", "/api/0/auth/session/",
                "{\"email\":\"member@example.com\",\"password\":\"member-pass-1\"}");
    expect_only(200, NULL, false, NULL, "POST", "/api/0/auth/session/",
                "{\"email\":\"member@example.com\",\"password\":\"member-pass-2\"}");
    /* disabling 2FA needs a current code; then the org that requires it is closed */
    char code[TOTP_DIGITS + 1], body[64];
    expect_only(400, owner, true, NULL, "POST", "/api/0/auth/2fa/disable/", "{\"code\":\"123\"}");
    totp_now(secret, 2 * TOTP_STEP_SECS, code);
    snprintf(body, sizeof body, "{\"code\":\"%s\"}", code);
    /* the window is ±1 step: two ahead is refused, one ahead was used at sign-in */
    expect_only(400, owner, true, NULL, "POST", "/api/0/auth/2fa/disable/", body);
}

static void test_accounts_walk(void **state)
{
    (void)state;
    struct httptest_client owner = {.session = "", .csrf = ""};
    char secret[64], codes[10][16];
    step_first_run(&owner);
    step_cookie_and_csrf(&owner);
    step_throttle();
    step_enrol(&owner, secret, sizeof secret, codes);
    step_second_factor(&owner, secret, codes);
    step_org_requires_2fa(&owner);
    step_tokens(&owner);
    step_password_and_disable(&owner, secret);
    char body[256];
    snprintf(body, sizeof body, "{\"recoveryCode\":\"%s\"}", codes[2]);
    expect_only(200, &owner, true, NULL, "POST", "/api/0/auth/2fa/disable/", body);
    expect_only(403, &owner, false, NULL, "GET", "/api/0/organizations/acme/", NULL);
    sign_out(&owner);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_accounts_walk)};
    return cmocka_run_group_tests(tests, env_setup, env_teardown);
}
