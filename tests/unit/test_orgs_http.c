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

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api/app.h"
#include "api/ratelimit.h"
#include "auth/tokens.h"
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
    int64_t pid;
    char key[33];
    char alice[TOKEN_LEN + 1], bob[TOKEN_LEN + 1];
} E;

struct resp {
    int status;
    struct buf raw;
    const char *body;
};

/* ---- HTTP ------------------------------------------------------------------------------ */

static void send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        assert_true(w > 0);
        p += w;
        n -= (size_t)w;
    }
}

static struct resp http(const char *bearer, const char *method, const char *path,
                        const char *extra_header, const char *body)
{
    struct buf req;
    buf_init(&req, 1 << 20);
    size_t blen = body ? strlen(body) : 0;
    assert_int_equal(buf_printf(&req,
                                "%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                                "Content-Type: application/json\r\nContent-Length: %zu\r\n",
                                method, path, blen),
                     E_OK);
    if (bearer)
        assert_int_equal(buf_printf(&req, "Authorization: Bearer %s\r\n", bearer), E_OK);
    if (extra_header)
        assert_int_equal(buf_printf(&req, "%s\r\n", extra_header), E_OK);
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
    return r;
}

/* Sends and checks the status; the answer's JSON (NULL when none), which the caller deletes. */
static cJSON *call(int status, const char *bearer, const char *method, const char *path,
                   const char *body)
{
    struct resp r = http(bearer, method, path, NULL, body);
    bool bad = r.status != status;
    if (bad)
        print_error("%s %s: status %d, want %d\n%s\n", method, path, r.status, status, r.body);
    cJSON *j = cJSON_Parse(r.body);
    buf_free(&r.raw);
    if (bad) {
        cJSON_Delete(j);
        fail();
    }
    return j;
}

static void call_only(int status, const char *bearer, const char *method, const char *path,
                      const char *body)
{
    cJSON_Delete(call(status, bearer, method, path, body));
}

static int ingest(const char *key)
{
    char hdr[128], path[64];
    snprintf(hdr, sizeof hdr, "X-Sentry-Auth: Sentry sentry_version=7, sentry_key=%s", key);
    snprintf(path, sizeof path, "/api/%lld/store/", (long long)E.pid);
    struct resp r = http(NULL, "POST", path, hdr, "{\"message\":\"hello\"}");
    buf_free(&r.raw);
    return r.status;
}

static void new_token(int64_t user, char *out)
{
    char hash[TOKEN_HASH_LEN + 1];
    int64_t id;
    token_generate(out);
    token_hash(out, TOKEN_LEN, hash);
    assert_int_equal(store_token_create(E.st, user, hash, "t", TOKEN_ALL_SCOPES, &id), E_OK);
}

static int env_setup(void **state)
{
    (void)state;
    assert_int_equal(ids_init(), 0);
    const char *url = testdb_open(&E.db);
    assert_non_null(url);
    setenv("SNAG_DATA_DIR", E.db.dir, 1);
    setenv("DATABASE_URL", url, 1);
    setenv("SECRET_KEY", "test-secret-key-for-org-resources", 1);
    assert_int_equal(config_load(&E.cfg, NULL), E_OK);
    assert_int_equal(store_open(E.cfg.database_url, &E.st, NULL), E_OK);
    assert_int_equal(store_migrate(E.st, NULL), E_OK);
    E.app = (struct app){.cfg = &E.cfg, .st = E.st, .started = clock_now()};
    E.app.writer = writer_start(E.st);
    E.app.ratelimit = ratelimit_new(0);
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
    struct arena *a = arena_new(0);
    int64_t alice, bob;
    assert_int_equal(store_user_create(E.st, "alice@example.com", "x", false, &alice, NULL), E_OK);
    assert_int_equal(store_user_create(E.st, "bob@example.com", "x", false, &bob, NULL), E_OK);
    struct store_org org;
    struct store_team team;
    struct store_project proj;
    struct store_key key;
    assert_int_equal(store_org_create(E.st, alice, "acme", "Acme", a, &org), E_OK);
    assert_int_equal(store_team_create(E.st, org.id, "t", "T", a, &team), E_OK);
    assert_int_equal(store_project_create(E.st, org.id, team.id, "p", "P", "python", a, &proj),
                     E_OK);
    ids_uuid4_hex(E.key);
    assert_int_equal(store_key_create(E.st, proj.id, E.key, "Default", a, &key), E_OK);
    E.pid = proj.id;
    new_token(alice, E.alice);
    new_token(bob, E.bob);
    arena_free(a);
    return 0;
}

static int env_teardown(void **state)
{
    (void)state;
    http_server_quiesce(E.srv);
    writer_stop(E.app.writer);
    ratelimit_free(E.app.ratelimit);
    http_server_stop(E.srv);
    store_close(E.st);
    return testdb_close(&E.db);
}

static const char *jstr(const cJSON *o, const char *key)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(o, key));
    if (!s)
        fail_msg("no \"%s\"", key);
    return s;
}

/* alice invites bob as admin; bob accepts with the link's token. Returns bob's member id. */
static void invite_and_accept(char *bob_id, size_t cap)
{
    cJSON *m = call(201, E.alice, "POST", "/api/0/organizations/acme/members/",
                    "{\"email\":\"bob@example.com\",\"role\":\"admin\"}");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(m, "pending")));
    const char *link = jstr(m, "inviteLink");
    const char *acc = strstr(link, "/accept/");
    assert_non_null(acc);
    char path[256];
    snprintf(path, sizeof path, "/api/0%s", acc);
    snprintf(bob_id, cap, "%s", jstr(m, "id"));
    cJSON_Delete(m);
    call_only(409, E.alice, "POST", "/api/0/organizations/acme/members/",
              "{\"email\":\"bob@example.com\"}");
    call_only(404, E.bob, "GET", "/api/0/organizations/acme/", NULL); /* not yet in */
    m = call(200, E.bob, "POST", path, NULL);
    assert_string_equal(jstr(m, "role"), "admin");
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
    const char *alice_id = jstr(cJSON_GetArrayItem(list, 0), "id");
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
    assert_string_equal(jstr(p, "name"), "Prod");
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
    int64_t before = store_event_count(E.st, E.pid);
    assert_int_equal(ingest(E.key), 200);
    assert_int_equal(ingest(E.key), 200);
    assert_int_equal(ingest(E.key), 429);
    assert_int_equal(store_event_count(E.st, E.pid), before + 2);
    call_only(200, E.alice, "PUT", path, "{\"isActive\":true,\"rateLimit\":null}");
    assert_int_equal(ingest(E.key), 200);
    snprintf(rot, sizeof rot, "%srotate/", path);
    k = call(201, E.alice, "POST", rot, NULL);
    char fresh[33];
    snprintf(fresh, sizeof fresh, "%s", jstr(k, "public"));
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
    assert_string_equal(jstr(o, "slug"), "acme-inc");
    assert_string_equal(jstr(o, "role"), "owner");
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
