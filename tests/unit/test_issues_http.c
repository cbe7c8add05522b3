/* Issues over real HTTP (in-process server, a fresh database, the ingest writer running):
 * search through `query` (with a parse error's position), keyset pages that neither skip nor
 * repeat an issue while events keep arriving between the page fetches, issue updates
 * (status, assignee, bookmark, seen), bulk update, merge and delete by id=, tags, tag values
 * and stats after a facets pass, events with next/previous links and the lighter list shape,
 * comments (author or admin) and user reports. One test: the steps build on each other. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "helpers/httptest.h"
#include "worker/facets.h"

#define NISSUES 5

static struct {
    struct httptest ht;
    int64_t pid, org_id, bob;
    char key[33];
    char alice[TOKEN_LEN + 1], bob_tok[TOKEN_LEN + 1];
    char issue[NISSUES][24]; /* ids by fingerprint f0..f4 */
} E;

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

static void send_event(int fp, const char *level, const char *env, const char *browser,
                       const char *message)
{
    char body[512];
    snprintf(body, sizeof body,
             "{\"message\":\"%s\",\"level\":\"%s\",\"environment\":\"%s\","
             "\"tags\":{\"browser\":\"%s\"},\"fingerprint\":[\"f%d\"],"
             "\"user\":{\"id\":\"42\",\"email\":\"u%d@example.com\"}}",
             message, level, env, browser, fp, fp);
    assert_int_equal(httptest_store_event(&E.ht, E.pid, E.key, body), 200);
}

static void run_facets(void)
{
    struct facets_job j = {.st = E.ht.st, .lag = 0};
    assert_int_equal(facets_job_run(&j, NULL), E_OK);
}

/* The number of issues the project list gives for query (URL-encoded by the caller). */
static int count(const char *query_string)
{
    char path[512];
    snprintf(path, sizeof path, "/api/0/projects/acme/p/issues/?%s", query_string);
    cJSON *arr = call(200, E.alice, "GET", path, NULL);
    int n = cJSON_GetArraySize(arr);
    cJSON_Delete(arr);
    return n;
}

static int env_setup(void **state)
{
    (void)state;
    setenv("SECRET_KEY", "test-secret-key-for-issues", 1);
    httptest_start(&E.ht, HT_WRITER);
    int64_t alice = httptest_user(&E.ht, "alice@example.com", false);
    E.bob = httptest_user(&E.ht, "bob@example.com", false);
    struct httptest_org org;
    httptest_org(&E.ht, alice, "acme", "Acme", "T", "P", true, &org);
    snprintf(E.key, sizeof E.key, "%s", org.key);
    E.pid = org.project_id;
    E.org_id = org.org_id;
    httptest_token(&E.ht, alice, TOKEN_ALL_SCOPES, E.alice);
    httptest_token(&E.ht, E.bob, TOKEN_ALL_SCOPES, E.bob_tok);
    struct arena *a = arena_new(0);
    struct store_member m;
    assert_int_equal(store_member_invite(E.ht.st, org.org_id, "bob@example.com", "member", "h",
                                         alice, clock_now() + 3600, a, &m),
                     E_OK);
    assert_int_equal(store_member_accept(E.ht.st, m.id, "h", E.bob, clock_now(), a, &m), E_OK);
    arena_free(a);
    return 0;
}

static int env_teardown(void **state)
{
    (void)state;
    return httptest_stop(&E.ht);
}

static void ingest_all(void)
{
    for (int i = 0; i < NISSUES; i++)
        send_event(i, i == 1 ? "warning" : "error", i == 1 ? "staging" : "prod",
                   i == 0 ? "Chrome" : "Firefox", i == 2 ? "a needle in here" : "plain");
    send_event(0, "error", "prod", "Chrome", "plain");
    run_facets();
    cJSON *arr = call(200, E.alice, "GET", "/api/0/projects/acme/p/issues/?sort=new", NULL);
    assert_int_equal(cJSON_GetArraySize(arr), NISSUES);
    for (int i = 0; i < NISSUES; i++) /* newest first: f4 … f0 */
        snprintf(E.issue[NISSUES - 1 - i], sizeof E.issue[0], "%s",
                 httptest_jstr(cJSON_GetArrayItem(arr, i), "id"));
    cJSON_Delete(arr);
}

static void search(void)
{
    assert_int_equal(count("query=level:warning"), 1);
    assert_int_equal(count("query=!level:warning"), 4);
    assert_int_equal(count("query=browser:Chrome"), 1);
    assert_int_equal(count("query=browser:%5BChrome,Firefox%5D"), 5);
    assert_int_equal(count("query=!browser:Chrome"), 4);
    assert_int_equal(count("query=has:browser"), 5);
    assert_int_equal(count("query=user.email:u2@example.com"), 1);
    assert_int_equal(count("query=environment:staging"), 1);
    assert_int_equal(count("environment=prod"), 4);
    assert_int_equal(count("query=needle"), 1);
    assert_int_equal(count("query=%22NEEDLE%20in%22"), 1);
    assert_int_equal(count("query=is:resolved"), 0);
    assert_int_equal(count("query=is:unresolved%20is:resolved"), 5);
    assert_int_equal(count("statsPeriod=24h"), 5);
    assert_int_equal(count("start=2000-01-01T00:00:00Z&end=2000-01-02T00:00:00Z"), 0);
    cJSON *err = call(400, E.alice, "GET", "/api/0/projects/acme/p/issues/?query=level:%20x", NULL);
    assert_non_null(strstr(httptest_jstr(err, "detail"), "position 0"));
    cJSON_Delete(err);
    call_only(400, E.alice, "GET", "/api/0/projects/acme/p/issues/?sort=bogus", NULL);
    /* a cursor that is not a sort value we could have made is ignored: the first page */
    assert_int_equal(count("cursor=nan:5"), 5);
    assert_int_equal(count("sort=freq&cursor=1e300:5"), 5);
    assert_int_equal(count("cursor=-inf:5:1"), 5);
    char path[128];
    snprintf(path, sizeof path,
             "/api/0/organizations/acme/issues/?project=%lld&query=", (long long)E.pid);
    cJSON *arr = call(200, E.alice, "GET", path, NULL);
    assert_int_equal(cJSON_GetArraySize(arr), 5);
    cJSON *stats =
        cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 0), "stats"), "24h");
    assert_int_equal(cJSON_GetArraySize(stats), 24);
    cJSON_Delete(arr);
}

/* The cursor of rel="next" when results="true" into out; false when there is no next page. */
static bool next_cursor(const char *raw, char *out, size_t cap)
{
    const char *n = strstr(raw, "rel=\"next\"; results=\"");
    assert_non_null(n);
    if (strncmp(n + 21, "true", 4) != 0)
        return false;
    const char *c = strstr(n, "cursor=\"") + 8;
    size_t len = strcspn(c, "\"");
    assert_true(len < cap);
    memcpy(out, c, len);
    out[len] = '\0';
    return true;
}

static void pages_while_ingesting(void)
{
    char seen[NISSUES * 24 + 64] = ",", cursor[96] = "";
    int total = 0;
    for (int page = 0; page < 10; page++) {
        char path[256];
        snprintf(path, sizeof path, "/api/0/projects/acme/p/issues/?limit=2%s%s",
                 *cursor ? "&cursor=" : "", cursor);
        struct httptest_resp r = httptest_expect(
            &E.ht, 200, &(struct httptest_req){.method = "GET", .path = path, .bearer = E.alice});
        if (page == 0)
            assert_non_null(strstr(r.raw.p, "rel=\"previous\"; results=\"false\""));
        cJSON *it;
        cJSON_ArrayForEach(it, r.json)
        {
            char key[32];
            snprintf(key, sizeof key, ",%s,", httptest_jstr(it, "id"));
            assert_null(strstr(seen, key)); /* never repeated */
            strncat(seen, key + 1, sizeof seen - strlen(seen) - 1);
            total++;
        }
        bool more = next_cursor(r.raw.p, cursor, sizeof cursor);
        httptest_resp_free(&r);
        /* meanwhile: a brand-new issue and a new event for the issue at the top */
        send_event(10 + page, "error", "prod", "Opera", "late");
        send_event(4, "error", "prod", "Firefox", "plain");
        if (!more)
            break;
    }
    assert_int_equal(total, NISSUES); /* none skipped: the five that were there */
}

static void update_one(void)
{
    char path[128];
    snprintf(path, sizeof path, "/api/0/issues/%s/", E.issue[0]);
    cJSON *o = call(200, E.alice, "PUT", path,
                    "{\"status\":\"resolved\",\"statusDetails\":{},\"assignedTo\":"
                    "\"bob@example.com\",\"isBookmarked\":true,\"hasSeen\":true,"
                    "\"isPublic\":false}");
    assert_string_equal(httptest_jstr(o, "status"), "resolved");
    assert_string_equal(httptest_jstr(cJSON_GetObjectItem(o, "assignedTo"), "email"),
                        "bob@example.com");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(o, "isBookmarked")));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(o, "hasSeen")));
    cJSON_Delete(o);
    o = call(200, E.bob_tok, "GET", path, NULL); /* bookmarks and seen are per user */
    assert_false(cJSON_IsTrue(cJSON_GetObjectItem(o, "isBookmarked")));
    cJSON_Delete(o);
    call_only(400, E.alice, "PUT", path, "{\"assignedTo\":\"nobody@example.com\"}");
    call_only(400, E.alice, "PUT", path, "{\"status\":\"bogus\"}");
    assert_int_equal(count("query=is:bookmarked%20is:resolved"), 1);
    assert_int_equal(count("query=assigned:bob@example.com%20is:resolved"), 1);
    o = call(200, E.alice, "PUT", path, "{\"status\":\"unresolved\",\"assignedTo\":\"\"}");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "assignedTo")));
    cJSON_Delete(o);
}

static void bulk_and_merge(void)
{
    char path[200];
    snprintf(path, sizeof path, "/api/0/projects/acme/p/issues/?id=%s&id=%s", E.issue[1],
             E.issue[2]);
    cJSON *o = call(200, E.alice, "PUT", path, "{\"status\":\"ignored\"}");
    assert_string_equal(httptest_jstr(o, "status"), "ignored");
    assert_non_null(cJSON_GetObjectItem(o, "statusDetails"));
    cJSON_Delete(o);
    assert_int_equal(count("query=is:ignored"), 2);
    call_only(204, E.alice, "PUT", "/api/0/projects/acme/p/issues/?id=999999",
              "{\"status\":\"resolved\"}");
    snprintf(path, sizeof path, "/api/0/organizations/acme/issues/?id=%s&id=%s", E.issue[0],
             E.issue[1]);
    o = call(200, E.alice, "PUT", path, "{\"merge\":1}");
    cJSON *m = cJSON_GetObjectItem(o, "merge");
    assert_string_equal(httptest_jstr(m, "parent"), E.issue[0]); /* the one with most events */
    cJSON_Delete(o);
    snprintf(path, sizeof path, "/api/0/issues/%s/", E.issue[1]);
    call_only(404, E.alice, "GET", path, NULL);
    snprintf(path, sizeof path, "/api/0/issues/%s/", E.issue[0]);
    o = call(200, E.alice, "GET", path, NULL);
    assert_string_equal(httptest_jstr(o, "count"), "3");
    cJSON_Delete(o);
    snprintf(path, sizeof path, "/api/0/projects/acme/p/issues/?id=%s", E.issue[3]);
    char narrow[TOKEN_LEN + 1];
    httptest_token(&E.ht, E.bob, "org:read", narrow);
    call_only(403, narrow, "DELETE", path, NULL); /* the token lacks event:admin */
    call_only(403, narrow, "GET", "/api/0/projects/acme/p/issues/", NULL); /* event:read */
    call_only(204, E.alice, "DELETE", path, NULL);
    snprintf(path, sizeof path, "/api/0/issues/%s/", E.issue[3]);
    call_only(404, E.alice, "GET", path, NULL);
}

static void facets(void)
{
    run_facets();
    char path[160];
    snprintf(path, sizeof path, "/api/0/issues/%s/tags/", E.issue[0]);
    cJSON *tags = call(200, E.alice, "GET", path, NULL);
    bool found = false;
    cJSON *t;
    cJSON_ArrayForEach(t, tags)
    {
        if (strcmp(httptest_jstr(t, "key"), "browser") != 0)
            continue;
        found = true;
        assert_int_equal(cJSON_GetObjectItem(t, "totalValues")->valueint, 3);
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(t, "topValues")), 2);
    }
    assert_true(found);
    cJSON_Delete(tags);
    snprintf(path, sizeof path, "/api/0/issues/%s/tags/browser/values/", E.issue[0]);
    cJSON *vals = call(200, E.alice, "GET", path, NULL);
    cJSON *first = cJSON_GetArrayItem(vals, 0);
    assert_string_equal(httptest_jstr(first, "value"), "Chrome");
    assert_int_equal(cJSON_GetObjectItem(first, "count")->valueint, 2);
    httptest_jstr(first, "firstSeen");
    cJSON_Delete(vals);
    snprintf(path, sizeof path, "/api/0/issues/%s/stats/?statsPeriod=14d", E.issue[0]);
    cJSON *st = call(200, E.alice, "GET", path, NULL);
    cJSON *days = cJSON_GetObjectItem(st, "14d");
    assert_int_equal(cJSON_GetArraySize(days), 14);
    int sum = 0;
    cJSON_ArrayForEach(t, days) sum += cJSON_GetArrayItem(t, 1)->valueint;
    assert_int_equal(sum, 3);
    cJSON_Delete(st);
}

static void events(void)
{
    char path[200];
    snprintf(path, sizeof path, "/api/0/issues/%s/events/", E.issue[0]);
    cJSON *list = call(200, E.alice, "GET", path, NULL);
    assert_int_equal(cJSON_GetArraySize(list), 3);
    cJSON *newest = cJSON_GetArrayItem(list, 0), *middle = cJSON_GetArrayItem(list, 1);
    assert_null(cJSON_GetObjectItem(newest, "entries")); /* the lighter shape */
    snprintf(path, sizeof path, "/api/0/issues/%s/events/%s/", E.issue[0],
             httptest_jstr(middle, "eventID"));
    cJSON *one = call(200, E.alice, "GET", path, NULL);
    assert_string_equal(httptest_jstr(one, "nextEventID"), httptest_jstr(newest, "eventID"));
    assert_string_equal(httptest_jstr(one, "previousEventID"),
                        httptest_jstr(cJSON_GetArrayItem(list, 2), "eventID"));
    cJSON_Delete(one);
    snprintf(path, sizeof path, "/api/0/projects/acme/p/events/%s/",
             httptest_jstr(newest, "eventID"));
    one = call(200, E.alice, "GET", path, NULL);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(one, "nextEventID")));
    cJSON_Delete(one);
    cJSON_Delete(list);
    cJSON *full =
        call(200, E.alice, "GET", "/api/0/projects/acme/p/events/?full=true&limit=2", NULL);
    assert_int_equal(cJSON_GetArraySize(full), 2);
    assert_non_null(cJSON_GetObjectItem(cJSON_GetArrayItem(full, 0), "entries"));
    cJSON_Delete(full);
}

static void notes_and_reports(void)
{
    char path[200], one[240];
    snprintf(path, sizeof path, "/api/0/issues/%s/comments/", E.issue[0]);
    cJSON *c = call(201, E.alice, "POST", path, "{\"text\":\"looking into it\"}");
    snprintf(one, sizeof one, "%s%s/", path, httptest_jstr(c, "id"));
    cJSON_Delete(c);
    call_only(400, E.alice, "POST", path, "{}");
    call_only(403, E.bob_tok, "PUT", one, "{\"text\":\"mine now\"}"); /* not the author */
    c = call(200, E.alice, "PUT", one, "{\"text\":\"fixed\"}");
    assert_string_equal(httptest_jstr(c, "text"), "fixed");
    cJSON_Delete(c);
    snprintf(path, sizeof path, "/api/0/issues/%s/notes/", E.issue[0]);
    cJSON *list = call(200, E.bob_tok, "GET", path, NULL);
    assert_int_equal(cJSON_GetArraySize(list), 1);
    assert_string_equal(
        httptest_jstr(cJSON_GetObjectItem(cJSON_GetArrayItem(list, 0), "data"), "text"), "fixed");
    cJSON_Delete(list);
    call_only(204, E.alice, "DELETE", one, NULL);
    call_only(404, E.alice, "DELETE", one, NULL);
    snprintf(path, sizeof path, "/api/0/issues/%s/events/latest/", E.issue[0]);
    cJSON *ev = call(200, E.alice, "GET", path, NULL);
    char body[256];
    snprintf(body, sizeof body,
             "{\"event_id\":\"%s\",\"name\":\"Ann\",\"email\":\"ann@example.com\","
             "\"comments\":\"it broke\"}",
             httptest_jstr(ev, "eventID"));
    cJSON_Delete(ev);
    cJSON *rep = call(201, E.alice, "POST", "/api/0/projects/acme/p/user-feedback/", body);
    assert_string_equal(httptest_jstr(rep, "comments"), "it broke");
    cJSON_Delete(rep);
    call_only(400, E.alice, "POST", "/api/0/projects/acme/p/user-feedback/", "{}");
    snprintf(path, sizeof path, "/api/0/issues/%s/user-reports/", E.issue[0]);
    list = call(200, E.alice, "GET", path, NULL);
    assert_int_equal(cJSON_GetArraySize(list), 1);
    cJSON_Delete(list);
}

static void test_issues(void **state)
{
    (void)state;
    ingest_all();
    search();
    pages_while_ingesting();
    update_one();
    bulk_and_merge();
    facets();
    events();
    notes_and_reports();
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_issues)};
    return cmocka_run_group_tests(tests, env_setup, env_teardown);
}
