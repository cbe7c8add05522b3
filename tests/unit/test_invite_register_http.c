/* Registration through an invitation link over real HTTP (helpers/httptest.h), with
 * ENABLE_USER_REGISTRATION=false: the accept page's GET tells what the link offers and
 * whether the address needs an account; register with the link creates the invited user,
 * signs them in and makes them an active member with the invited role, once; a wrong
 * address, a bad token, a used, cancelled or expired invitation are refused like closed
 * registration; an address with an account is told to sign in; open registration works as
 * before; wrong tokens are throttled. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"
#include "helpers/httptest.h"

#define PW "a passphrase of the invitee"
#define REGISTER "/api/0/auth/register/"

static struct {
    struct httptest ht;
    int64_t alice, org_id;
    char tok[TOKEN_LEN + 1];
} E;

/* An invitation link: its member id and token. */
struct link {
    char id[24], token[TOKEN_LEN + 1];
};

static int env_setup(void **state)
{
    (void)state;
    setenv("SECRET_KEY", "test-secret-key-for-invited-registration", 1);
    setenv("ENABLE_USER_REGISTRATION", "false", 1);
    httptest_start(&E.ht, HT_THROTTLE);
    E.alice = httptest_user(&E.ht, "alice@example.com", true);
    (void)httptest_user(&E.ht, "bob@example.com", false);
    struct httptest_org org;
    httptest_org(&E.ht, E.alice, "acme", "Acme Corp", "T", "P", true, &org);
    E.org_id = org.org_id;
    httptest_token(&E.ht, E.alice, TOKEN_ALL_SCOPES, E.tok);
    return 0;
}

static int env_teardown(void **state)
{
    (void)state;
    return httptest_stop(&E.ht);
}

/* ---- HTTP ------------------------------------------------------------------------------ */

static struct httptest_resp call(int status, struct httptest_client *c, const char *bearer,
                                 const char *method, const char *path, const char *body)
{
    return httptest_expect(&E.ht, status,
                           &(struct httptest_req){.method = method,
                                                  .path = path,
                                                  .body = body,
                                                  .bearer = bearer,
                                                  .client = c,
                                                  .csrf = c != NULL});
}

static void call_only(int status, struct httptest_client *c, const char *bearer, const char *method,
                      const char *path, const char *body)
{
    struct httptest_resp r = call(status, c, bearer, method, path, body);
    httptest_resp_free(&r);
}

/* alice invites email as role through the API; the link from its answer. */
static struct link invite(const char *email, const char *role)
{
    char body[256];
    snprintf(body, sizeof body, "{\"email\":\"%s\",\"role\":\"%s\"}", email, role);
    struct httptest_resp r =
        call(201, NULL, E.tok, "POST", "/api/0/organizations/acme/members/", body);
    const char *acc = strstr(httptest_jstr(r.json, "inviteLink"), "/accept/");
    assert_non_null(acc);
    struct link l;
    const char *id = acc + strlen("/accept/"), *tok = id + strspn(id, "0123456789");
    assert_true(tok > id && tok - id < (long)sizeof l.id && *tok == '/');
    snprintf(l.id, sizeof l.id, "%.*s", (int)(tok - id), id);
    tok++;
    assert_int_equal(strspn(tok, "0123456789abcdef"), TOKEN_LEN);
    snprintf(l.token, sizeof l.token, "%.*s", TOKEN_LEN, tok);
    assert_string_equal(l.id, httptest_jstr(r.json, "id"));
    httptest_resp_free(&r);
    return l;
}

static void detail_path(const struct link *l, char *out, size_t cap)
{
    snprintf(out, cap, "/api/0/accept/%s/%s/", l->id, l->token);
}

/* The register body for email with link l (token replaced by token when not NULL). */
static void register_body(const struct link *l, const char *email, const char *token, char *out,
                          size_t cap)
{
    snprintf(out, cap,
             "{\"email\":\"%s\",\"password\":\"" PW "\",\"inviteMemberId\":%s,"
             "\"inviteToken\":\"%s\"}",
             email, l->id, token ? token : l->token);
}

/* The member list entry of email (alice's view), or NULL; the list is kept in *list. */
static const cJSON *member_of(const char *email, cJSON **list)
{
    struct httptest_resp r =
        call(200, NULL, E.tok, "GET", "/api/0/organizations/acme/members/", NULL);
    *list = r.json;
    r.json = NULL;
    httptest_resp_free(&r);
    const cJSON *m;
    cJSON_ArrayForEach(m, *list)
    {
        if (strcasecmp(httptest_jstr(m, "email"), email) == 0)
            return m;
    }
    return NULL;
}

static bool user_exists(const char *email)
{
    struct arena *a = arena_new(0);
    struct store_user u;
    enum err e = store_user_by_email(E.ht.st, a, email, &u);
    arena_free(a);
    return e == E_OK;
}

/* ---- the tests ---------------------------------------------------------------------------- */

static void test_detail(void **state)
{
    (void)state;
    struct link l = invite("first@example.com", "admin");
    char path[256];
    detail_path(&l, path, sizeof path);
    struct httptest_resp r = call(200, NULL, NULL, "GET", path, NULL);
    assert_string_equal(httptest_jstr(r.json, "orgSlug"), "acme");
    assert_string_equal(httptest_jstr(r.json, "orgName"), "Acme Corp");
    assert_string_equal(httptest_jstr(r.json, "email"), "first@example.com");
    assert_string_equal(httptest_jstr(r.json, "role"), "admin");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(r.json, "needsAccount")));
    assert_null(cJSON_GetObjectItem(r.json, "tokenHash"));
    httptest_resp_free(&r);
    /* an address with an account (any letter case) needs none */
    struct link b = invite("Bob@Example.com", "member");
    detail_path(&b, path, sizeof path);
    r = call(200, NULL, NULL, "GET", path, NULL);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(r.json, "needsAccount")));
    httptest_resp_free(&r);
    /* a wrong token tells nothing */
    struct link bad = l;
    bad.token[0] = bad.token[0] == 'a' ? 'b' : 'a';
    detail_path(&bad, path, sizeof path);
    r = call(404, NULL, NULL, "GET", path, NULL);
    assert_string_equal(httptest_jstr(r.json, "detail"),
                        "This invitation does not exist or has expired.");
    httptest_resp_free(&r);
}

static void test_register_with_invite(void **state)
{
    (void)state;
    struct link l = invite("new@example.com", "admin");
    char body[512], path[256];
    struct httptest_client c = {.session = "", .csrf = ""};
    call_only(403, NULL, NULL, "POST", REGISTER,
              "{\"email\":\"new@example.com\",\"password\":\"" PW "\"}"); /* closed */
    register_body(&l, "NEW@Example.com", NULL, body, sizeof body);
    struct httptest_resp r = call(201, &c, NULL, "POST", REGISTER, body);
    const cJSON *u = cJSON_GetObjectItem(r.json, "user");
    assert_string_equal(httptest_jstr(u, "email"), "new@example.com"); /* the invited form */
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(u, "isSuperuser")));
    assert_string_equal(httptest_jstr(r.json, "csrfToken"), c.csrf);
    assert_true(c.session[0] != '\0');
    httptest_resp_free(&r);
    /* signed in, and in the org with the invited role */
    call_only(200, &c, NULL, "GET", "/api/0/auth/session/", NULL);
    r = call(200, &c, NULL, "GET", "/api/0/organizations/", NULL);
    assert_int_equal(cJSON_GetArraySize(r.json), 1);
    assert_string_equal(httptest_jstr(cJSON_GetArrayItem(r.json, 0), "slug"), "acme");
    httptest_resp_free(&r);
    call_only(200, &c, NULL, "GET", "/api/0/organizations/acme/projects/", NULL);
    cJSON *list;
    const cJSON *m = member_of("new@example.com", &list);
    assert_non_null(m);
    assert_false(cJSON_IsTrue(cJSON_GetObjectItem(m, "pending")));
    assert_string_equal(httptest_jstr(m, "role"), "admin");
    cJSON_Delete(list);
    /* the link is used up, whichever way it is tried again */
    call_only(403, NULL, NULL, "POST", REGISTER, body);
    detail_path(&l, path, sizeof path);
    call_only(404, NULL, NULL, "GET", path, NULL);
    call_only(404, NULL, E.tok, "POST", path, NULL);
    /* the new password signs in */
    call_only(200, NULL, NULL, "POST", "/api/0/auth/session/",
              "{\"email\":\"new@example.com\",\"password\":\"" PW "\"}");
}

static void test_refused(void **state)
{
    (void)state;
    char body[512], path[256];
    struct link l = invite("invitee@example.com", "member");
    /* another address than the invited one */
    register_body(&l, "intruder@example.com", NULL, body, sizeof body);
    call_only(403, NULL, NULL, "POST", REGISTER, body);
    assert_false(user_exists("intruder@example.com"));
    /* a bad token */
    char bad[TOKEN_LEN + 1];
    snprintf(bad, sizeof bad, "%s", l.token);
    bad[TOKEN_LEN - 1] = bad[TOKEN_LEN - 1] == '0' ? '1' : '0';
    register_body(&l, "invitee@example.com", bad, body, sizeof body);
    call_only(403, NULL, NULL, "POST", REGISTER, body);
    call_only(403, NULL, NULL, "POST", REGISTER,
              "{\"email\":\"invitee@example.com\",\"password\":\"" PW "\","
              "\"inviteMemberId\":\"x\",\"inviteToken\":\"y\"}");
    assert_false(user_exists("invitee@example.com"));
    /* a bad password is told as for registration, and uses nothing up */
    snprintf(body, sizeof body,
             "{\"email\":\"invitee@example.com\",\"password\":\"short\",\"inviteMemberId\":%s,"
             "\"inviteToken\":\"%s\"}",
             l.id, l.token);
    call_only(400, NULL, NULL, "POST", REGISTER, body);
    detail_path(&l, path, sizeof path);
    call_only(200, NULL, NULL, "GET", path, NULL);
    /* cancelled */
    char del[128];
    snprintf(del, sizeof del, "/api/0/organizations/acme/members/%s/", l.id);
    call_only(204, NULL, E.tok, "DELETE", del, NULL);
    register_body(&l, "invitee@example.com", NULL, body, sizeof body);
    call_only(403, NULL, NULL, "POST", REGISTER, body);
    call_only(404, NULL, NULL, "GET", path, NULL);
    assert_false(user_exists("invitee@example.com"));
    /* expired */
    struct link old;
    char hash[TOKEN_HASH_LEN + 1];
    token_generate(old.token);
    token_hash(old.token, TOKEN_LEN, hash);
    struct arena *a = arena_new(0);
    struct store_member m;
    assert_int_equal(store_member_invite(E.ht.st, E.org_id, "late@example.com", "member", hash,
                                         E.alice, clock_now() - 1, a, &m),
                     E_OK);
    arena_free(a);
    snprintf(old.id, sizeof old.id, "%lld", (long long)m.id);
    register_body(&old, "late@example.com", NULL, body, sizeof body);
    call_only(403, NULL, NULL, "POST", REGISTER, body);
    assert_false(user_exists("late@example.com"));
    /* an address that has an account signs in and accepts instead */
    struct link b = invite("bob2@example.com", "member");
    (void)httptest_user(&E.ht, "BOB2@example.com", false);
    register_body(&b, "bob2@example.com", NULL, body, sizeof body);
    struct httptest_resp r = call(400, NULL, NULL, "POST", REGISTER, body);
    assert_non_null(strstr(httptest_jstr(r.json, "detail"), "already exists"));
    httptest_resp_free(&r);
}

static void test_open_registration(void **state)
{
    (void)state;
    E.ht.cfg.enable_user_registration = true;
    struct httptest_client c = {.session = "", .csrf = ""};
    call_only(201, &c, NULL, "POST", REGISTER,
              "{\"email\":\"open@example.com\",\"password\":\"" PW "\"}");
    struct httptest_resp r = call(200, &c, NULL, "GET", "/api/0/organizations/", NULL);
    assert_int_equal(cJSON_GetArraySize(r.json), 0);
    httptest_resp_free(&r);
    /* with a link it must be a good one; then it joins as well */
    struct link l = invite("open2@example.com", "manager");
    char body[512];
    register_body(&l, "open2@example.com", "0", body, sizeof body);
    call_only(400, NULL, NULL, "POST", REGISTER, body);
    register_body(&l, "open2@example.com", NULL, body, sizeof body);
    call_only(201, NULL, NULL, "POST", REGISTER, body);
    cJSON *list;
    const cJSON *m = member_of("open2@example.com", &list);
    assert_non_null(m);
    assert_string_equal(httptest_jstr(m, "role"), "manager");
    assert_false(cJSON_IsTrue(cJSON_GetObjectItem(m, "pending")));
    cJSON_Delete(list);
    E.ht.cfg.enable_user_registration = false;
}

/* Last: it leaves this client throttled. */
static void test_throttled(void **state)
{
    (void)state;
    struct link l = invite("guess@example.com", "member");
    struct link bad = l;
    char path[256];
    int status = 0;
    for (int i = 0; i < 10 && status != 429; i++) {
        snprintf(bad.token, sizeof bad.token, "%064d", i);
        detail_path(&bad, path, sizeof path);
        struct httptest_resp r =
            httptest_request(&E.ht, &(struct httptest_req){.method = "GET", .path = path});
        status = r.status;
        httptest_resp_free(&r);
        assert_true(status == 404 || status == 429);
    }
    assert_int_equal(status, 429);
    detail_path(&l, path, sizeof path); /* even the right token waits */
    call_only(429, NULL, NULL, "GET", path, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_detail),    cmocka_unit_test(test_register_with_invite),
        cmocka_unit_test(test_refused),   cmocka_unit_test(test_open_registration),
        cmocka_unit_test(test_throttled),
    };
    return cmocka_run_group_tests(tests, env_setup, env_teardown);
}
