/* The harness of the in-process HTTP tests: the real server on a free port over a fresh
 * database (helpers/testdb.h), the fixtures most of them need (users, tokens, an
 * organization with a team, a project and a client key), and a raw-socket HTTP/1.1 client
 * that sends one request and reads the status, the headers, the body and, when asked, the
 * body's JSON. Failures go through cmocka, so call these from tests and their setup only.
 *
 *     static struct httptest T;                       // must stay where it is while running
 *     setenv("SECRET_KEY", "…", 1);                   // other settings before the start
 *     httptest_start(&T, HT_WRITER | HT_RATELIMIT);   // server up; T.st, T.app, T.port
 *     struct httptest_resp r = httptest_request(&T, &(struct httptest_req){
 *         .method = "GET", .path = "/api/0/", .bearer = tok, .json = true});
 *     …  httptest_resp_free(&r);
 *     httptest_stop(&T);                              // 0 when the database was removed
 */
#ifndef SNAG_HTTPTEST_H
#define SNAG_HTTPTEST_H

#include <stdbool.h>
#include <stdint.h>

#include "api/app.h"
#include "auth/tokens.h"
#include "core/buf.h"
#include "core/config.h"
#include "helpers/testdb.h"
#include "http/http.h"
#include "store/store.h"

/* What the app runs besides the store (httptest_start's parts). */
enum {
    HT_WRITER = 1,    /* the ingest writer (app.writer) */
    HT_RATELIMIT = 2, /* per-key ingest limits (app.ratelimit) */
    HT_THROTTLE = 4,  /* failed sign-in throttling (app.throttle) */
    HT_LIVE = 8,      /* live updates, fed by the writer (app.live; needs HT_WRITER) */
};

struct httptest {
    struct testdb db;
    struct config cfg;
    struct store *st;
    struct app app;
    struct http_server *srv;
    int port;
};

/* A browser: the cookies it holds ("" when none). */
struct httptest_client {
    char session[128], csrf[128];
};

struct httptest_req {
    const char *method, *path;
    const char *body;               /* sent as application/json; NULL: empty */
    const char *bearer;             /* Authorization: Bearer …; NULL: none */
    const char *header;             /* one more header line without CRLF; NULL: none */
    struct httptest_client *client; /* sends its cookies and keeps the new ones; NULL: none */
    bool csrf;                      /* X-CSRFToken from client */
    bool json;                      /* parse the body into json */
};

struct httptest_resp {
    int status;
    struct buf raw;   /* the whole answer, NUL-terminated: status line, headers, body */
    const char *body; /* within raw, after the head ("" when none) */
    cJSON *json;      /* the parsed body when asked and it is JSON; else NULL */
};

/* Opens a fresh database (SNAG_DATA_DIR, DATABASE_URL set), loads the configuration from the
 * environment, migrates, builds t->app with the parts and starts the server on 127.0.0.1.
 * t->app.zdicts (api/zdicts.h) is always there, without its job: a test that wants
 * dictionaries trained calls zdicts_job_run() itself. */
void httptest_start(struct httptest *t, unsigned parts);
/* Stops the server and what the app runs, closes the store, drops the database; 0 on success. */
int httptest_stop(struct httptest *t);

/* A connected socket to the server. */
int httptest_connect(const struct httptest *t);
/* One exchange on a fresh connection (Connection: close). Free the answer. */
struct httptest_resp httptest_request(const struct httptest *t, const struct httptest_req *rq);
/* httptest_request that fails (printing the answer) unless the status is status; the body is
 * always parsed into json. */
struct httptest_resp httptest_expect(const struct httptest *t, int status,
                                     const struct httptest_req *rq);
void httptest_resp_free(struct httptest_resp *r);
/* POSTs body to /api/<project_id>/store/ with an X-Sentry-Auth header for key; the status. */
int httptest_store_event(const struct httptest *t, int64_t project_id, const char *key,
                         const char *body);
/* The string member key of o; fails when there is none. */
const char *httptest_jstr(const cJSON *o, const char *key);

/* ---- fixtures, through the store ---- */

/* A user with password hash "x"; the id. */
int64_t httptest_user(const struct httptest *t, const char *email, bool superuser);
/* An API token of user with the scopes (e.g. TOKEN_ALL_SCOPES) into out. */
void httptest_token(const struct httptest *t, int64_t user, const char *scopes,
                    char out[TOKEN_LEN + 1]);

struct httptest_org {
    int64_t org_id, team_id, project_id;
    char key[33]; /* the client key's public part; "" when none was made */
};
/* An organization of owner (slug, name) with team "t" (team_name) and project "p"
 * (project_name, python) and, when with_key, a client key "Default". */
void httptest_org(const struct httptest *t, int64_t owner, const char *slug, const char *name,
                  const char *team_name, const char *project_name, bool with_key,
                  struct httptest_org *out);

#endif
