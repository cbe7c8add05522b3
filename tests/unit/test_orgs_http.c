/* Organization resources over real HTTP (in-process server, a fresh SQLite or PostgreSQL
 * database from helpers/testdb.h, the ingest writer running): inviting and accepting a
 * member, what admins and managers may and may not do, the last owner, teams and their
 * members, project settings, client keys (a disabled key makes ingest answer 403; rateLimit
 * stored and returned; rotation) and renaming and deleting an organization. One test: the
 * steps build on each other. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers/httptest.h"

static struct {
    struct httptest ht;
    int64_t pid;
    char key[33];
    char alice[TOKEN_LEN + 1], bob[TOKEN_LEN + 1];
} E;

/* ---- HTTP ------------------------------------------------------------------------------ */

/* Sends and checks the status; the answer's JSON (NULL when none), which the caller deletes. */
static cJSON *call(int status, const char *bearer, const char *method, const char *path,
                   const char *body)
{
    struct httptest_resp r = httptest_expect(
        &E.ht, status,
        &(struct httptest_req){.method = method, .path = path, .bearer = bearer, .body = body});
    cJSON *j = r.json;
    r.json = NULL;
    httptest_resp_free(&r);
    return j;
}

static void call_only(int status, const char *bearer, const char *method, const char *path,
                      const char *body)
{
    cJSON_Delete(call(status, bearer, method, path, body));
}

static int ingest(const char *key)
{
    return httptest_store_event(&E.ht, E.pid, key, "{\"message\":\"hello\"}");
}

static int env_setup(void **state)
{
    (void)state;
    setenv("SECRET_KEY", "test-secret-key-for-org-resources", 1);
    httptest_start(&E.ht, HT_WRITER | HT_RATELIMIT);
    int64_t alice = httptest_user(&E.ht, "alice@example.com", false);
    int64_t bob = httptest_user(&E.ht, "bob@example.com", false);
    struct httptest_org org;
    httptest_org(&E.ht, alice, "acme", "Acme", "T", "P", true, &org);
    snprintf(E.key, sizeof E.key, "%s", org.key);
    E.pid = org.project_id;
    httptest_token(&E.ht, alice, TOKEN_ALL_SCOPES, E.alice);
    httptest_token(&E.ht, bob, TOKEN_ALL_SCOPES, E.bob);
    return 0;
}

static int env_teardown(void **state)
{
    (void)state;
    return httptest_stop(&E.ht);
}

/* alice invites bob as admin; bob accepts with the link's token. Returns bob's member id. */
static void invite_and_accept(char *bob_id, size_t cap)
{
    cJSON *m = call(201, E.alice, "POST", "/api/0/organizations/acme/members/",
                    "{\"email\":\"bob@example.com\",\"role\":\"admin\"}");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(m, "pending")));
    const char *link = httptest_jstr(m, "inviteLink");
    const char *acc = strstr(link, "/accept/");
    assert_non_null(acc);
    char path[256];
    snprintf(path, sizeof path, "/api/0%s", acc);
    snprintf(bob_id, cap, "%s", httptest_jstr(m, "id"));
    cJSON_Delete(m);
    call_only(409, E.alice, "POST", "/api/0/organizations/acme/members/",
              "{\"email\":\"bob@example.com\"}");
    call_only(404, E.bob, "GET", "/api/0/organizations/acme/", NULL); /* not yet in */
    m = call(200, E.bob, "POST", path, NULL);
    assert_string_equal(httptest_jstr(m, "role"), "admin");
    assert_false(cJSON_IsTrue(cJSON_GetObjectItem(m, "pending")));
    cJSON_Delete(m);
    call_only(404, E.bob, "POST", path, NULL); /* used up */
    cJSON *list = call(200, E.bob, "GET", "/api/0/organizations/acme/members/", NULL);
    assert_int_equal(cJSON_GetArraySize(list), 2);
    cJSON_Delete(list);
}

static void admin_rights(void)
{
    call_only(403, E.bob, "POST", "/api/0/organizations/acme/members/",
              "{\"email\":\"x@example.com\"}");
    call_only(403, E.bob, "PUT", "/api/0/teams/acme/t/", "{\"name\":\"Mine\"}"); /* not on it */
    call_only(403, E.bob, "PUT", "/api/0/projects/acme/p/", "{\"name\":\"Mine\"}");
    call_only(201, E.bob, "POST", "/api/0/organizations/acme/teams/", "{\"name\":\"Bobs\"}");
    cJSON *t = call(200, E.bob, "PUT", "/api/0/teams/acme/bobs/", "{\"name\":\"Bob's\"}");
    assert_int_equal(cJSON_GetObjectItem(t, "memberCount")->valueint, 1);
    cJSON_Delete(t);
    call_only(201, E.bob, "POST", "/api/0/teams/acme/bobs/projects/", "{\"name\":\"Web\"}");
    call_only(200, E.bob, "PUT", "/api/0/projects/acme/web/", "{\"platform\":\"javascript\"}");
    call_only(403, E.bob, "DELETE", "/api/0/organizations/acme/", NULL);
}

static void roles_and_owner(const char *bob_id)
{
    char path[128];
    cJSON *list = call(200, E.alice, "GET", "/api/0/organizations/acme/members/", NULL);
    const char *alice_id = httptest_jstr(cJSON_GetArrayItem(list, 0), "id");
    char me[128];
    snprintf(me, sizeof me, "/api/0/organizations/acme/members/%s/", alice_id);
    cJSON_Delete(list);
    call_only(403, E.alice, "PUT", me, "{\"role\":\"member\"}"); /* the last owner */
    call_only(403, E.alice, "DELETE", me, NULL);
    snprintf(path, sizeof path, "/api/0/organizations/acme/members/%s/", bob_id);
    call_only(400, E.alice, "PUT", path, "{\"role\":\"boss\"}");
    call_only(200, E.alice, "PUT", path, "{\"role\":\"manager\"}");
    call_only(403, E.bob, "PUT", me, "{\"role\":\"member\"}"); /* managers cannot touch owners */
    call_only(403, E.bob, "POST", "/api/0/organizations/acme/members/",
              "{\"email\":\"x@example.com\",\"role\":\"owner\"}");
    call_only(201, E.bob, "POST", "/api/0/organizations/acme/members/",
              "{\"email\":\"x@example.com\",\"role\":\"member\"}");
    /* team membership through the member's teams route */
    snprintf(path, sizeof path, "/api/0/organizations/acme/members/%s/teams/t/", bob_id);
    call_only(201, E.bob, "POST", path, NULL);
    cJSON *tm = call(200, E.alice, "GET", "/api/0/teams/acme/t/members/", NULL);
    assert_int_equal(cJSON_GetArraySize(tm), 1);
    cJSON_Delete(tm);
    call_only(200, E.bob, "DELETE", path, NULL);
    call_only(404, E.bob, "DELETE", path, NULL);
}

static void project_settings(void)
{
    cJSON *p = call(200, E.alice, "PUT", "/api/0/projects/acme/p/",
                    "{\"name\":\"Prod\",\"allowedDomains\":[\"example.com\"],"
                    "\"scrubIPAddresses\":true}");
    assert_string_equal(httptest_jstr(p, "name"), "Prod");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(p, "scrubIPAddresses")));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(p, "allowedDomains")), 1);
    cJSON_Delete(p);
    p = call(200, E.alice, "GET", "/api/0/projects/acme/p/", NULL);
    assert_string_equal(
        cJSON_GetArrayItem(cJSON_GetObjectItem(p, "allowedDomains"), 0)->valuestring,
        "example.com");
    cJSON_Delete(p);
    call_only(400, E.alice, "PUT", "/api/0/projects/acme/p/", "{\"scrubIPAddresses\":\"yes\"}");
    call_only(400, E.alice, "PUT", "/api/0/projects/acme/p/", "{\"allowedDomains\":[1]}");
    call_only(201, E.alice, "POST", "/api/0/projects/acme/p/teams/bobs/", NULL);
    cJSON *teams = call(200, E.alice, "GET", "/api/0/projects/acme/p/teams/", NULL);
    assert_int_equal(cJSON_GetArraySize(teams), 2);
    cJSON_Delete(teams);
    call_only(200, E.alice, "DELETE", "/api/0/projects/acme/p/teams/bobs/", NULL);
}

static void keys(void)
{
    char path[160], rot[180];
    assert_int_equal(ingest(E.key), 200);
    snprintf(path, sizeof path, "/api/0/projects/acme/p/keys/%s/", E.key);
    cJSON *k = call(200, E.alice, "PUT", path,
                    "{\"isActive\":false,\"rateLimit\":{\"window\":60,\"count\":10}}");
    assert_false(cJSON_IsTrue(cJSON_GetObjectItem(k, "isActive")));
    cJSON *rl = cJSON_GetObjectItem(k, "rateLimit");
    assert_int_equal(cJSON_GetObjectItem(rl, "window")->valueint, 60);
    assert_int_equal(cJSON_GetObjectItem(rl, "count")->valueint, 10);
    cJSON_Delete(k);
    assert_int_equal(ingest(E.key), 403); /* a disabled key */
    call_only(400, E.alice, "PUT", path, "{\"rateLimit\":{\"window\":0,\"count\":5}}");
    /* a limit of 2 events a minute: the third is refused with 429, nothing stored */
    call_only(200, E.alice, "PUT", path,
              "{\"isActive\":true,\"rateLimit\":{\"window\":60,\"count\":2}}");
    int64_t before = store_event_count(E.ht.st, E.pid);
    assert_int_equal(ingest(E.key), 200);
    assert_int_equal(ingest(E.key), 200);
    assert_int_equal(ingest(E.key), 429);
    assert_int_equal(store_event_count(E.ht.st, E.pid), before + 2);
    call_only(200, E.alice, "PUT", path, "{\"isActive\":true,\"rateLimit\":null}");
    assert_int_equal(ingest(E.key), 200);
    snprintf(rot, sizeof rot, "%srotate/", path);
    k = call(201, E.alice, "POST", rot, NULL);
    char fresh[33];
    snprintf(fresh, sizeof fresh, "%s", httptest_jstr(k, "public"));
    cJSON_Delete(k);
    assert_int_equal(ingest(E.key), 403);
    assert_int_equal(ingest(fresh), 200);
    call_only(204, E.alice, "DELETE", path, NULL);
    call_only(404, E.alice, "GET", path, NULL);
    k = call(201, E.alice, "POST", "/api/0/projects/acme/p/keys/",
             "{\"name\":\"CI\",\"rateLimit\":{\"window\":3600,\"count\":1000}}");
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(k, "rateLimit"), "count")->valueint,
                     1000);
    cJSON_Delete(k);
}

static void org_rename_delete(void)
{
    cJSON *o = call(200, E.alice, "PUT", "/api/0/organizations/acme/",
                    "{\"name\":\"Acme Inc\",\"slug\":\"acme-inc\"}");
    assert_string_equal(httptest_jstr(o, "slug"), "acme-inc");
    assert_string_equal(httptest_jstr(o, "role"), "owner");
    cJSON_Delete(o);
    call_only(404, E.alice, "GET", "/api/0/organizations/acme/", NULL);
    call_only(400, E.alice, "PUT", "/api/0/organizations/acme-inc/", "{\"slug\":\"Bad Slug\"}");
    call_only(204, E.alice, "DELETE", "/api/0/organizations/acme-inc/", NULL);
    call_only(404, E.alice, "GET", "/api/0/organizations/acme-inc/", NULL);
    assert_int_equal(ingest(E.key), 403); /* the project and its keys are gone */
}

static void test_org_resources(void **state)
{
    (void)state;
    char bob_id[24];
    invite_and_accept(bob_id, sizeof bob_id);
    admin_rights();
    roles_and_owner(bob_id);
    project_settings();
    keys();
    org_rename_delete();
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_org_resources)};
    return cmocka_run_group_tests(tests, env_setup, env_teardown);
}
