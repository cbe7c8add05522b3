/* The in-process HTTP test harness: server start/stop, fixtures, a raw-socket client (see
 * httptest.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers/httptest.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api/live.h"
#include "api/ratelimit.h"
#include "api/writer.h"
#include "api/zdicts.h"
#include "auth/throttle.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/ids.h"

void httptest_start(struct httptest *t, unsigned parts)
{
    assert_int_equal(ids_init(), 0);
    const char *url = testdb_open(&t->db);
    assert_non_null(url);
    setenv("SNAG_DATA_DIR", t->db.dir, 1);
    setenv("DATABASE_URL", url, 1);
    assert_int_equal(config_load(&t->cfg, NULL), E_OK);
    assert_int_equal(store_open(t->cfg.database_url, &t->st, NULL), E_OK);
    assert_int_equal(store_migrate(t->st, NULL), E_OK);
    t->app = (struct app){.cfg = &t->cfg, .st = t->st, .started = clock_now()};
    t->app.zdicts = zdicts_new(t->st); /* no job: tests run zdicts_job_run() themselves */
    if (parts & HT_WRITER)
        t->app.writer = writer_start(t->st);
    if (parts & HT_RATELIMIT)
        t->app.ratelimit = ratelimit_new(0);
    if (parts & HT_THROTTLE)
        t->app.throttle = throttle_new(0);
    if (parts & HT_LIVE) {
        assert_non_null(t->app.writer);
        t->app.live = live_start(&t->app);
        writer_set_live(t->app.writer, t->app.live);
    }
    size_t n;
    const struct route *routes = app_routes(&n);
    struct http_server_opts o = {.bind = "127.0.0.1",
                                 .port = 0,
                                 .threads = 2,
                                 .routes = routes,
                                 .nroutes = n,
                                 .app = &t->app};
    assert_int_equal(http_server_start(&o, &t->srv, NULL), E_OK);
    t->port = http_server_port(t->srv);
    assert_true(t->port > 0);
}

int httptest_stop(struct httptest *t)
{
    http_server_quiesce(t->srv);
    if (t->app.writer)
        writer_stop(t->app.writer);
    if (t->app.live)
        live_stop(t->app.live);
    http_server_stop(t->srv);
    if (t->app.ratelimit)
        ratelimit_free(t->app.ratelimit);
    if (t->app.throttle)
        throttle_free(t->app.throttle);
    zdicts_free(t->app.zdicts);
    store_close(t->st);
    return testdb_close(&t->db);
}

/* ---- the client -------------------------------------------------------------------------- */

int httptest_connect(const struct httptest *t)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)t->port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

static void httptest_send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        assert_true(w > 0);
        p += w;
        n -= (size_t)w;
    }
}

/* Keeps the value of a Set-Cookie header for name in out (empty when deleted). */
static void httptest_cookie_take(const char *line, const char *name, char *out, size_t cap)
{
    size_t n = strlen(name);
    if (strncmp(line, name, n) != 0 || line[n] != '=')
        return;
    snprintf(out, cap, "%.*s", (int)strcspn(line + n + 1, ";\r\n"), line + n + 1);
}

static void httptest_cookies_update(struct httptest_client *c, const char *raw)
{
    for (const char *p = raw; p && (p = strstr(p, "\r\n")) != NULL; p += 2) {
        if (strncmp(p + 2, "\r\n", 2) == 0)
            break;
        if (strncasecmp(p + 2, "Set-Cookie: ", 12) != 0)
            continue;
        httptest_cookie_take(p + 14, "snag_session", c->session, sizeof c->session);
        httptest_cookie_take(p + 14, "snag_csrf", c->csrf, sizeof c->csrf);
    }
}

struct httptest_resp httptest_request(const struct httptest *t, const struct httptest_req *rq)
{
    struct httptest_client *c = rq->client;
    struct buf req;
    buf_init(&req, 1 << 20);
    size_t blen = rq->body ? strlen(rq->body) : 0;
    assert_int_equal(buf_printf(&req,
                                "%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                                "Content-Type: application/json\r\nContent-Length: %zu\r\n",
                                rq->method, rq->path, blen),
                     E_OK);
    if (c && c->session[0])
        assert_int_equal(
            buf_printf(&req, "Cookie: snag_session=%s; snag_csrf=%s\r\n", c->session, c->csrf),
            E_OK);
    if (c && rq->csrf)
        assert_int_equal(buf_printf(&req, "X-CSRFToken: %s\r\n", c->csrf), E_OK);
    if (rq->bearer)
        assert_int_equal(buf_printf(&req, "Authorization: Bearer %s\r\n", rq->bearer), E_OK);
    if (rq->header)
        assert_int_equal(buf_printf(&req, "%s\r\n", rq->header), E_OK);
    assert_int_equal(buf_printf(&req, "\r\n%s", rq->body ? rq->body : ""), E_OK);
    int fd = httptest_connect(t);
    httptest_send_all(fd, req.p, req.len);
    buf_free(&req);
    struct httptest_resp r = {0};
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
    if (rq->json)
        r.json = cJSON_Parse(r.body);
    if (c)
        httptest_cookies_update(c, r.raw.p);
    return r;
}

struct httptest_resp httptest_expect(const struct httptest *t, int status,
                                     const struct httptest_req *rq)
{
    struct httptest_req q = *rq;
    q.json = true;
    struct httptest_resp r = httptest_request(t, &q);
    if (r.status != status)
        fail_msg("%s %s: status %d, want %d:\n%s", rq->method, rq->path, r.status, status, r.raw.p);
    return r;
}

void httptest_resp_free(struct httptest_resp *r)
{
    cJSON_Delete(r->json);
    r->json = NULL;
    buf_free(&r->raw);
}

int httptest_store_event(const struct httptest *t, int64_t project_id, const char *key,
                         const char *body)
{
    char hdr[128], path[64];
    snprintf(hdr, sizeof hdr, "X-Sentry-Auth: Sentry sentry_version=7, sentry_key=%s", key);
    snprintf(path, sizeof path, "/api/%lld/store/", (long long)project_id);
    struct httptest_resp r = httptest_request(
        t, &(struct httptest_req){.method = "POST", .path = path, .header = hdr, .body = body});
    httptest_resp_free(&r);
    return r.status;
}

const char *httptest_jstr(const cJSON *o, const char *key)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(o, key));
    if (!s)
        fail_msg("no \"%s\"", key);
    return s;
}

/* ---- fixtures ---------------------------------------------------------------------------- */

int64_t httptest_user(const struct httptest *t, const char *email, bool superuser)
{
    int64_t id = 0;
    assert_int_equal(store_user_create(t->st, email, "x", superuser, &id, NULL), E_OK);
    return id;
}

void httptest_token(const struct httptest *t, int64_t user, const char *scopes,
                    char out[TOKEN_LEN + 1])
{
    char hash[TOKEN_HASH_LEN + 1];
    int64_t id;
    token_generate(out);
    token_hash(out, TOKEN_LEN, hash);
    assert_int_equal(store_token_create(t->st, user, hash, "t", scopes, &id), E_OK);
}

void httptest_org(const struct httptest *t, int64_t owner, const char *slug, const char *name,
                  const char *team_name, const char *project_name, bool with_key,
                  struct httptest_org *out)
{
    struct arena *a = arena_new(0);
    struct store_org org;
    struct store_team team;
    struct store_project proj;
    assert_int_equal(store_org_create(t->st, owner, slug, name, a, &org), E_OK);
    assert_int_equal(store_team_create(t->st, org.id, "t", team_name, a, &team), E_OK);
    assert_int_equal(
        store_project_create(t->st, org.id, team.id, "p", project_name, "python", a, &proj), E_OK);
    *out = (struct httptest_org){.org_id = org.id, .team_id = team.id, .project_id = proj.id};
    if (with_key) {
        struct store_key key;
        ids_uuid4_hex(out->key);
        assert_int_equal(store_key_create(t->st, proj.id, out->key, "Default", a, &key), E_OK);
    }
    arena_free(a);
}
