/* The route walk: every route of the real route table (app_routes()) is requested over HTTP
 * from a server running in this process, by several callers, and each answer must fall in
 * the class the access rules promise. Requests are derived from the patterns — each {name}
 * becomes an id of organization A's or B's objects — so routes added later are walked
 * without editing this file:
 *   - nobody: 401 on every /api/0/ route but the public ones (PUBLIC below);
 *   - bob, a member of B only: 404 on A's objects (any route naming {org} or {issue_id});
 *   - alice's narrow token (org:read only): 403 on every write to A's objects;
 *   - alice, A's owner: 2xx/3xx on every GET of A's objects;
 *   - and never a 5xx, from anyone.
 * Writes are sent with an empty JSON object by callers who must be stopped before the body
 * is read, so the fixtures stay intact. The same file checks that GET /api/0/openapi.json
 * documents exactly the routes of the table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/ids.h"
#include "helpers/httptest.h"

/* The /api/0/ routes that answer without credentials (the test's own list, on purpose not
 * the server's). */
static const char *const PUBLIC[] = {
    "GET /api/0/",
    "GET /api/0/internal/health/",
    "GET /api/0/openapi.json",
    "POST /api/0/auth/register/",
    "POST /api/0/auth/session/",
    "GET /api/0/auth/session/",
    "DELETE /api/0/auth/session/",
    "POST /api/0/auth/session/2fa/",
    "POST /api/0/auth/password/reset/",
    "POST /api/0/auth/password/reset/confirm/",
    "GET /api/0/accept/{member_id}/{token}/",
};

/* The ids of one organization's objects, by path parameter name. */
struct objs {
    char org[64], team[32], project[32], project_id[24], issue_id[24], event_id[33];
    char key_id[33], member_id[24];
};

static struct {
    struct httptest ht;
    struct objs a, b;
    char tok_alice[TOKEN_LEN + 1], tok_bob[TOKEN_LEN + 1], tok_narrow[TOKEN_LEN + 1];
} E;

/* ---- fixtures ---------------------------------------------------------------------------- */

/* Sends one event with the key, so the project has an issue and an event. */
static void ingest_one(int64_t project_id, struct objs *o)
{
    char body[300];
    snprintf(body, sizeof body,
             "{\"event_id\":\"%s\",\"level\":\"error\",\"platform\":\"python\","
             "\"message\":\"walk\"}",
             o->event_id);
    assert_int_equal(httptest_store_event(&E.ht, project_id, o->key_id, body), 200);
}

/* An org of owner with team "t", project "p", a key, an event, and member_id set to
 * member_id (or an invitation when 0). */
static void new_org(struct arena *a, int64_t owner, const char *slug, struct objs *o)
{
    struct httptest_org org;
    httptest_org(&E.ht, owner, slug, slug, "T", "P", true, &org);
    snprintf(o->org, sizeof o->org, "%s", slug);
    snprintf(o->team, sizeof o->team, "t");
    snprintf(o->project, sizeof o->project, "p");
    snprintf(o->project_id, sizeof o->project_id, "%lld", (long long)org.project_id);
    snprintf(o->key_id, sizeof o->key_id, "%s", org.key);
    ids_uuid4_hex(o->event_id);
    ingest_one(org.project_id, o);
    struct store_issue_search q = {
        .org_id = org.org_id, .project_ids = &org.project_id, .nprojects = 1, .limit = 10};
    struct store_issue *rows;
    size_t n;
    bool more;
    for (int i = 0; i < 100; i++) { /* the writer commits asynchronously of the answer */
        assert_int_equal(store_issue_search(E.ht.st, a, &q, &rows, &n, &more), E_OK);
        if (n > 0)
            break;
        usleep(10000);
    }
    assert_int_equal(n, 1);
    snprintf(o->issue_id, sizeof o->issue_id, "%lld", (long long)rows[0].id);
    struct store_member m;
    assert_int_equal(store_member_invite(E.ht.st, org.org_id, "invited@example.com", "member",
                                         "hash", owner, clock_now() + 3600, a, &m),
                     E_OK);
    snprintf(o->member_id, sizeof o->member_id, "%lld", (long long)m.id);
}

static int env_setup(void **state)
{
    (void)state;
    setenv("SECRET_KEY", "test-secret-key-for-the-route-walk", 1);
    httptest_start(&E.ht, HT_WRITER);

    struct arena *a = arena_new(0);
    int64_t alice = httptest_user(&E.ht, "alice@example.com", false);
    int64_t bob = httptest_user(&E.ht, "bob@example.com", false);
    int64_t carol = httptest_user(&E.ht, "carol@example.com", false);
    new_org(a, alice, "org-a", &E.a);
    new_org(a, carol, "org-b", &E.b);
    struct store_org b;
    struct store_member m;
    assert_int_equal(store_org_by_slug(E.ht.st, a, "org-b", &b), E_OK);
    assert_int_equal(store_member_invite(E.ht.st, b.id, "bob@example.com", "member", "bob", carol,
                                         clock_now() + 3600, a, &m),
                     E_OK);
    assert_int_equal(store_member_accept(E.ht.st, m.id, "bob", bob, clock_now(), a, &m), E_OK);
    httptest_token(&E.ht, alice, TOKEN_ALL_SCOPES, E.tok_alice);
    httptest_token(&E.ht, bob, TOKEN_ALL_SCOPES, E.tok_bob);
    httptest_token(&E.ht, alice, "org:read", E.tok_narrow);
    arena_free(a);
    return 0;
}

static int env_teardown(void **state)
{
    (void)state;
    return httptest_stop(&E.ht);
}

/* ---- deriving requests ------------------------------------------------------------------- */

static const char *method_name(enum http_method m)
{
    static const char *names[HTTP__MAX] = {
        [HTTP_GET] = "GET",         [HTTP_HEAD] = "HEAD",   [HTTP_POST] = "POST",
        [HTTP_PUT] = "PUT",         [HTTP_PATCH] = "PATCH", [HTTP_DELETE] = "DELETE",
        [HTTP_OPTIONS] = "OPTIONS",
    };
    return (unsigned)m < HTTP__MAX && names[m] ? names[m] : "GET";
}

/* The value of {name} among o's objects ("x" for names this test does not know). */
static const char *param_value(const struct objs *o, const char *name, size_t n)
{
    const struct {
        const char *name, *value;
    } vals[] = {
        {"org", o->org},           {"team", o->team},
        {"project", o->project},   {"project_id", o->project_id},
        {"issue_id", o->issue_id}, {"event_id", o->event_id},
        {"key_id", o->key_id},     {"member_id", o->member_id},
    };
    for (size_t i = 0; i < sizeof vals / sizeof *vals; i++)
        if (strlen(vals[i].name) == n && strncmp(vals[i].name, name, n) == 0)
            return vals[i].value;
    return "x";
}

static void derive_path(const char *pattern, const struct objs *o, char *out, size_t cap)
{
    size_t len = 0;
    for (const char *p = pattern; *p && len + 1 < cap;) {
        if (*p != '{') {
            out[len++] = *p++;
            continue;
        }
        size_t n = strcspn(p + 1, "}");
        const char *v = param_value(o, p + 1, n);
        len += (size_t)snprintf(out + len, cap - len, "%s", v);
        p += n + 2;
    }
    out[len < cap ? len : cap - 1] = '\0';
}

static bool is_public(const struct route *r)
{
    char key[256];
    snprintf(key, sizeof key, "%s %s", method_name(r->method), r->pattern);
    for (size_t i = 0; i < sizeof PUBLIC / sizeof *PUBLIC; i++)
        if (strcmp(key, PUBLIC[i]) == 0)
            return true;
    return strncmp(r->pattern, "/api/0/", 7) != 0;
}

/* Whether the route names an organization's object, so that another org's member must get
 * 404 from it. */
static bool names_org_object(const struct route *r)
{
    return strstr(r->pattern, "{org}") || strstr(r->pattern, "{issue_id}");
}

/* Sends the route's request as bearer on o's objects; fails unless status is in [lo, hi]. */
static void expect_class(const struct route *r, const char *who, const char *bearer,
                         const struct objs *o, int lo, int hi)
{
    char path[512];
    derive_path(r->pattern, o, path, sizeof path);
    const char *m = method_name(r->method);
    struct httptest_resp resp = httptest_request(
        &E.ht,
        &(struct httptest_req){
            .method = m, .path = path, .bearer = bearer, .body = r->body_limit ? "{}" : NULL});
    bool bad = resp.status < lo || resp.status > hi || resp.status >= 500;
    if (bad)
        print_error("%s %s (%s) as %s: status %d, want %d..%d\n%s\n", m, path, r->pattern, who,
                    resp.status, lo, hi, resp.body);
    httptest_resp_free(&resp);
    if (bad)
        fail();
}

/* ---- the walk ---------------------------------------------------------------------------- */

static void test_walk_every_route(void **state)
{
    (void)state;
    size_t n;
    const struct route *routes = app_routes(&n);
    assert_true(n > 40);
    size_t hidden = 0, denied = 0;
    for (size_t i = 0; i < n; i++) {
        const struct route *r = &routes[i];
        bool read = r->method == HTTP_GET || r->method == HTTP_HEAD;
        if (is_public(r))
            expect_class(r, "nobody", NULL, &E.a, 100, 499);
        else
            expect_class(r, "nobody", NULL, &E.a, 401, 401);
        if (is_public(r))
            continue;
        hidden += names_org_object(r);
        denied += names_org_object(r) && !read;
        if (names_org_object(r))
            expect_class(r, "B's member", E.tok_bob, &E.a, 404, 404);
        else
            expect_class(r, "B's member", E.tok_bob, &E.a, 100, 499);
        if (names_org_object(r) && !read)
            expect_class(r, "A's owner with org:read", E.tok_narrow, &E.a, 403, 403);
        else
            expect_class(r, "A's owner with org:read", E.tok_narrow, &E.a, 100, 499);
        if (read)
            expect_class(r, "A's owner", E.tok_alice, &E.a, 200, 399);
        if (read && names_org_object(r))
            expect_class(r, "B's member on B", E.tok_bob, &E.b, 200, 399);
    }
    print_message("%zu routes walked; %zu hide A from B's member; %zu writes need scopes\n", n,
                  hidden, denied);
    assert_true(hidden > 30 && denied > 15);
}

/* ---- the OpenAPI document ------------------------------------------------------------------ */

static void lower(const char *in, char *out, size_t cap)
{
    size_t i = 0;
    for (; in[i] && i + 1 < cap; i++)
        out[i] = (char)(in[i] >= 'A' && in[i] <= 'Z' ? in[i] - 'A' + 'a' : in[i]);
    out[i] = '\0';
}

static bool route_exists(const struct route *routes, size_t n, const char *path, const char *method)
{
    for (size_t i = 0; i < n; i++) {
        char m[16];
        lower(method_name(routes[i].method), m, sizeof m);
        if (strcmp(routes[i].pattern, path) == 0 && strcmp(m, method) == 0)
            return true;
    }
    return false;
}

static void test_openapi_matches_routes(void **state)
{
    (void)state;
    struct httptest_resp r = httptest_request(
        &E.ht, &(struct httptest_req){.method = "GET", .path = "/api/0/openapi.json"});
    assert_int_equal(r.status, 200);
    cJSON *doc = cJSON_Parse(r.body);
    assert_non_null(doc);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "openapi")), "3.0.3");
    cJSON *paths = cJSON_GetObjectItem(doc, "paths");
    size_t n;
    const struct route *routes = app_routes(&n);
    for (size_t i = 0; i < n; i++) {
        char m[16];
        if (strstr(routes[i].pattern, "{*")) {
            /* the web UI's catch-all is not part of the API document */
            assert_null(cJSON_GetObjectItem(paths, routes[i].pattern));
            continue;
        }
        lower(method_name(routes[i].method), m, sizeof m);
        cJSON *op = cJSON_GetObjectItem(cJSON_GetObjectItem(paths, routes[i].pattern), m);
        if (!op)
            fail_msg("route %s %s is not in openapi.json", m, routes[i].pattern);
    }
    cJSON *path, *op;
    cJSON_ArrayForEach(path, paths)
    {
        cJSON_ArrayForEach(op, path)
        {
            if (!route_exists(routes, n, path->string, op->string))
                fail_msg("openapi.json documents %s %s, which is no route", op->string,
                         path->string);
        }
    }
    cJSON_Delete(doc);
    httptest_resp_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_walk_every_route),
        cmocka_unit_test(test_openapi_matches_routes),
    };
    return cmocka_run_group_tests(tests, env_setup, env_teardown);
}
