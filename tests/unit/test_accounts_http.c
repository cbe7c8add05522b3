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

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api/app.h"
#include "auth/throttle.h"
#include "auth/totp.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/ids.h"
#include "helpers/testdb.h"
#include "http/http.h"
#include "store/store.h"

static struct {
    struct testdb db;
    struct config cfg;
    struct store *st;
    struct app app;
    struct http_server *srv;
    int port;
} E;

/* A browser: the cookies it holds. */
struct client {
    char session[128], csrf[128];
};

struct resp {
    int status;
    struct buf raw;
    const char *body;
    cJSON *json; /* NULL when the body is not JSON */
};

static int env_setup(void **state)
{
    (void)state;
    assert_int_equal(ids_init(), 0);
    const char *url = testdb_open(&E.db);
    assert_non_null(url);
    setenv("SNAG_DATA_DIR", E.db.dir, 1);
    setenv("DATABASE_URL", url, 1);
    setenv("SECRET_KEY", "test-secret-key-for-accounts", 1);
    setenv("ENABLE_USER_REGISTRATION", "false", 1);
    assert_int_equal(config_load(&E.cfg, NULL), E_OK);
    assert_int_equal(store_open(E.cfg.database_url, &E.st, NULL), E_OK);
    assert_int_equal(store_migrate(E.st, NULL), E_OK);
    E.app = (struct app){.cfg = &E.cfg, .st = E.st, .started = clock_now()};
    E.app.throttle = throttle_new(0);
    size_t n;
    const struct route *routes = app_routes(&n);
    struct http_server_opts o = {.bind = "127.0.0.1",
                                 .port = 0,
                                 .threads = 2,
                                 .routes = routes,
                                 .nroutes = n,
                                 .app = &E.app};
    assert_int_equal(http_server_start(&o, &E.srv, NULL), E_OK);
    E.port = http_server_port(E.srv);
    return 0;
}

static int env_teardown(void **state)
{
    (void)state;
    http_server_quiesce(E.srv);
    http_server_stop(E.srv);
    throttle_free(E.app.throttle);
    store_close(E.st);
    return testdb_close(&E.db);
}

/* ---- the HTTP client ---------------------------------------------------------------------- */

/* Keeps the value of a Set-Cookie header for name in out (empty when deleted). */
static void cookie_take(const char *line, const char *name, char *out, size_t cap)
{
    size_t n = strlen(name);
    if (strncmp(line, name, n) != 0 || line[n] != '=')
        return;
    snprintf(out, cap, "%.*s", (int)strcspn(line + n + 1, ";\r\n"), line + n + 1);
}

static void cookies_update(struct client *c, const char *raw)
{
    for (const char *p = raw; p && (p = strstr(p, "\r\n")) != NULL; p += 2) {
        if (strncmp(p + 2, "\r\n", 2) == 0)
            break;
        if (strncasecmp(p + 2, "Set-Cookie: ", 12) != 0)
            continue;
        cookie_take(p + 14, "snag_session", c->session, sizeof c->session);
        cookie_take(p + 14, "snag_csrf", c->csrf, sizeof c->csrf);
    }
}

static void send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        assert_true(w > 0);
        p += w;
        n -= (size_t)w;
    }
}

/* One exchange. c (may be NULL) sends its cookies and keeps new ones; csrf adds the
 * X-CSRFToken header from c; bearer (may be NULL) adds Authorization. */
static struct resp http(struct client *c, bool csrf, const char *bearer, const char *method,
                        const char *path, const char *body)
{
    struct buf req;
    buf_init(&req, 1 << 20);
    size_t blen = body ? strlen(body) : 0;
    assert_int_equal(buf_printf(&req,
                                "%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                                "Content-Type: application/json\r\nContent-Length: %zu\r\n",
                                method, path, blen),
                     E_OK);
    if (c && c->session[0])
        assert_int_equal(
            buf_printf(&req, "Cookie: snag_session=%s; snag_csrf=%s\r\n", c->session, c->csrf),
            E_OK);
    if (c && csrf)
        assert_int_equal(buf_printf(&req, "X-CSRFToken: %s\r\n", c->csrf), E_OK);
    if (bearer)
        assert_int_equal(buf_printf(&req, "Authorization: Bearer %s\r\n", bearer), E_OK);
    assert_int_equal(buf_printf(&req, "\r\n%s", body ? body : ""), E_OK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)E.port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    send_all(fd, req.p, req.len);
    buf_free(&req);
    struct resp r = {0};
    buf_init(&r.raw, 1 << 24);
    char chunk[16384];
    ssize_t n;
    while ((n = recv(fd, chunk, sizeof chunk, 0)) > 0)
        assert_int_equal(buf_append(&r.raw, chunk, (size_t)n), E_OK);
    close(fd);
    assert_int_equal(buf_append(&r.raw, "", 1), E_OK);
    r.status = (int)strtol(r.raw.p + 9, NULL, 10);
    const char *sep = strstr(r.raw.p, "\r\n\r\n");
    r.body = sep ? sep + 4 : "";
    r.json = cJSON_Parse(r.body);
    if (c)
        cookies_update(c, r.raw.p);
    return r;
}

static void resp_free(struct resp *r)
{
    cJSON_Delete(r->json);
    buf_free(&r->raw);
}

/* Sends and checks the status; returns the response for more checks. */
static struct resp expect(int status, struct client *c, bool csrf, const char *bearer,
                          const char *method, const char *path, const char *body)
{
    struct resp r = http(c, csrf, bearer, method, path, body);
    if (r.status != status)
        fail_msg("%s %s: status %d, want %d:\n%s", method, path, r.status, status, r.raw.p);
    return r;
}

static void expect_only(int status, struct client *c, bool csrf, const char *bearer,
                        const char *method, const char *path, const char *body)
{
    struct resp r = expect(status, c, csrf, bearer, method, path, body);
    resp_free(&r);
}

static const char *jstr(const struct resp *r, const char *key)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(r->json, key));
    if (!s)
        fail_msg("no \"%s\" in %s", key, r->body);
    return s;
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

static void step_first_run(struct client *owner)
{
    expect_only(401, NULL, false, NULL, "GET", "/api/0/auth/session/", NULL);
    struct resp r = expect(201, owner, false, NULL, "POST", "/api/0/auth/register/",
                           "{\"email\":\"owner@example.com\",\"password\":\"owner-pass-1\"}");
    assert_true(
        cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(r.json, "user"), "isSuperuser")));
    assert_string_equal(jstr(&r, "csrfToken"), owner->csrf);
    assert_true(cookie_line_has(r.raw.p, "snag_session=",
                                "; Path=/; Max-Age=1209600; "
                                "SameSite=Lax; HttpOnly\r\n"));
    assert_true(cookie_line_has(r.raw.p, "snag_csrf=", "; SameSite=Lax\r\n")); /* readable */
    resp_free(&r);
    /* now registration is closed … */
    expect_only(403, NULL, false, NULL, "POST", "/api/0/auth/register/",
                "{\"email\":\"x@example.com\",\"password\":\"some-pass-1\"}");
    /* … unless ENABLE_USER_REGISTRATION: plain users */
    E.cfg.enable_user_registration = true;
    struct client tmp = {.session = "", .csrf = ""};
    r = expect(201, &tmp, false, NULL, "POST", "/api/0/auth/register/",
               "{\"email\":\"member@example.com\",\"password\":\"member-pass-1\"}");
    assert_true(
        cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetObjectItem(r.json, "user"), "isSuperuser")));
    resp_free(&r);
    expect_only(201, &tmp, false, NULL, "POST", "/api/0/auth/register/",
                "{\"email\":\"victim@example.com\",\"password\":\"victim-pass-1\"}");
    expect_only(400, NULL, false, NULL, "POST", "/api/0/auth/register/",
                "{\"email\":\"victim@example.com\",\"password\":\"victim-pass-1\"}");
    expect_only(400, NULL, false, NULL, "POST", "/api/0/auth/register/",
                "{\"email\":\"short@example.com\",\"password\":\"x\"}");
    E.cfg.enable_user_registration = false;
}

static void step_cookie_and_csrf(struct client *owner)
{
    struct client c = {.session = "", .csrf = ""};
    struct resp r = expect(200, &c, false, NULL, "POST", "/api/0/auth/session/",
                           "{\"email\":\"owner@example.com\",\"password\":\"owner-pass-1\"}");
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(r.json, "twoFactorRequired")));
    resp_free(&r);
    *owner = c;
    /* reads need no CSRF token, writes do */
    expect_only(200, owner, false, NULL, "GET", "/api/0/organizations/", NULL);
    r = expect(403, owner, false, NULL, "POST", "/api/0/organizations/", "{\"name\":\"Acme\"}");
    assert_non_null(strstr(r.body, "CSRF"));
    resp_free(&r);
    struct client forged = *owner;
    snprintf(forged.csrf, sizeof forged.csrf, "AAAA");
    expect_only(403, &forged, true, NULL, "POST", "/api/0/organizations/", "{\"name\":\"Acme\"}");
    expect_only(201, owner, true, NULL, "POST", "/api/0/organizations/", "{\"name\":\"Acme\"}");
    r = expect(200, owner, false, NULL, "GET", "/api/0/auth/session/", NULL);
    assert_string_equal(jstr(&r, "csrfToken"), owner->csrf);
    resp_free(&r);
}

static void step_throttle(void)
{
    const char *wrong = "{\"email\":\"victim@example.com\",\"password\":\"wrong-pass\"}";
    const char *unknown = "{\"email\":\"nobody@example.com\",\"password\":\"wrong-pass\"}";
    struct resp a = expect(400, NULL, false, NULL, "POST", "/api/0/auth/session/", wrong);
    struct resp b = expect(400, NULL, false, NULL, "POST", "/api/0/auth/session/", unknown);
    assert_string_equal(a.body, b.body); /* no user enumeration */
    resp_free(&a);
    resp_free(&b);
    for (int i = 1; i < THROTTLE_PAIR_FREE + 1; i++)
        expect_only(400, NULL, false, NULL, "POST", "/api/0/auth/session/", wrong);
    /* locked now, even with the right password */
    struct resp r = expect(429, NULL, false, NULL, "POST", "/api/0/auth/session/",
                           "{\"email\":\"victim@example.com\",\"password\":\"victim-pass-1\"}");
    assert_non_null(strstr(r.raw.p, "Retry-After: "));
    resp_free(&r);
}

/* Enrols owner in 2FA; returns the secret and the recovery codes. */
static void step_enrol(struct client *owner, char *secret, size_t cap, char codes[10][16])
{
    struct resp r = expect(200, owner, true, NULL, "POST", "/api/0/auth/2fa/enroll/", "{}");
    snprintf(secret, cap, "%s", jstr(&r, "secret"));
    assert_non_null(strstr(jstr(&r, "qrCode"), "<svg"));
    assert_non_null(strstr(jstr(&r, "uri"), "otpauth://totp/"));
    resp_free(&r);
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
    resp_free(&r);
    expect_only(409, owner, true, NULL, "POST", "/api/0/auth/2fa/enroll/", "{}");
    r = expect(200, owner, false, NULL, "GET", "/api/0/auth/2fa/", NULL);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(r.json, "enabled")));
    resp_free(&r);
}

/* Signs out c (cookie gone, session gone). */
static void sign_out(struct client *c)
{
    struct client old = *c;
    expect_only(403, c, false, NULL, "DELETE", "/api/0/auth/session/", NULL);
    expect_only(204, c, true, NULL, "DELETE", "/api/0/auth/session/", NULL);
    assert_string_equal(c->session, "");
    expect_only(401, &old, false, NULL, "GET", "/api/0/auth/session/", NULL);
}

/* Password step done; c holds a pending session. */
static void sign_in_pending(struct client *c)
{
    memset(c, 0, sizeof *c);
    struct resp r = expect(200, c, false, NULL, "POST", "/api/0/auth/session/",
                           "{\"email\":\"owner@example.com\",\"password\":\"owner-pass-1\"}");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(r.json, "twoFactorRequired")));
    resp_free(&r);
    /* a pending session opens nothing else */
    expect_only(401, c, false, NULL, "GET", "/api/0/organizations/", NULL);
}

static void step_second_factor(struct client *owner, const char *secret, char codes[10][16])
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

static void step_org_requires_2fa(struct client *owner)
{
    struct client member = {.session = "", .csrf = ""};
    expect_only(200, &member, false, NULL, "POST", "/api/0/auth/session/",
                "{\"email\":\"member@example.com\",\"password\":\"member-pass-1\"}");
    add_member();
    expect_only(200, &member, false, NULL, "GET", "/api/0/organizations/acme/", NULL);
    /* only an owner, and only one with 2FA, may turn it on */
    expect_only(403, &member, true, NULL, "PUT", "/api/0/organizations/acme/",
                "{\"require2FA\":true}");
    struct resp r = expect(200, owner, true, NULL, "PUT", "/api/0/organizations/acme/",
                           "{\"require2FA\":true}");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(r.json, "require2FA")));
    resp_free(&r);
    r = expect(403, &member, false, NULL, "GET", "/api/0/organizations/acme/", NULL);
    assert_non_null(strstr(r.body, "requires two-factor authentication"));
    resp_free(&r);
    expect_only(403, &member, false, NULL, "GET", "/api/0/organizations/acme/projects/", NULL);
    expect_only(200, owner, false, NULL, "GET", "/api/0/organizations/acme/", NULL);
    /* the member's own org: no 2FA, so it cannot require it */
    E.cfg.enable_organization_creation = true;
    expect_only(201, &member, true, NULL, "POST", "/api/0/organizations/", "{\"name\":\"Mine\"}");
    expect_only(400, &member, true, NULL, "PUT", "/api/0/organizations/mine/",
                "{\"require2FA\":true}");
}

static void step_tokens(struct client *owner)
{
    expect_only(403, owner, false, NULL, "POST", "/api/0/api-tokens/",
                "{\"label\":\"ci\",\"scopes\":[\"org:read\"]}");
    expect_only(400, owner, true, NULL, "POST", "/api/0/api-tokens/",
                "{\"label\":\"ci\",\"scopes\":[\"org:everything\"]}");
    struct resp r = expect(201, owner, true, NULL, "POST", "/api/0/api-tokens/",
                           "{\"label\":\"ci\",\"scopes\":[\"org:read\",\"project:releases\"]}");
    char tok[200], id[24], path[64];
    snprintf(tok, sizeof tok, "%s", jstr(&r, "token"));
    snprintf(id, sizeof id, "%s", jstr(&r, "id"));
    resp_free(&r);
    r = expect(200, owner, false, NULL, "GET", "/api/0/api-tokens/", NULL);
    assert_non_null(strstr(r.body, "\"label\":\"ci\""));
    assert_null(strstr(r.body, tok)); /* shown once */
    resp_free(&r);
    /* the token works, without CSRF, and cannot mint a broader one */
    r = expect(200, NULL, false, tok, "GET", "/api/0/", NULL);
    assert_non_null(strstr(r.body, "owner@example.com"));
    resp_free(&r);
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

static void step_password_and_disable(struct client *owner, const char *secret)
{
    struct client m = {.session = "", .csrf = ""};
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
    struct client owner = {.session = "", .csrf = ""};
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
