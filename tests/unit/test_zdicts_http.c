/* Compression dictionaries end to end over real HTTP (in-process server, a fresh database, the
 * ingest writer running): the same event sent before its project had a dictionary and after
 * comes back identical through the event API (detail and list, on this server and on a
 * second registry over the same database, as another node would read it), while the stored
 * bodies show that only the second names a dictionary; the facets pass reads tags from both. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/zdicts.h"
#include "core/arena.h"
#include "core/clock.h"
#include "helpers/httptest.h"
#include "proto/zdict.h"
#include "worker/facets.h"

static struct {
    struct httptest ht;
    int64_t pid;
    char key[33];
    char token[TOKEN_LEN + 1];
} E;

static int env_setup(void **state)
{
    (void)state;
    setenv("SECRET_KEY", "test-secret-key-for-zdicts", 1);
    httptest_start(&E.ht, HT_WRITER);
    int64_t alice = httptest_user(&E.ht, "alice@example.com", false);
    struct httptest_org org;
    httptest_org(&E.ht, alice, "acme", "Acme", "T", "P", true, &org);
    snprintf(E.key, sizeof E.key, "%s", org.key);
    E.pid = org.project_id;
    httptest_token(&E.ht, alice, TOKEN_ALL_SCOPES, E.token);
    return 0;
}

static int env_teardown(void **state)
{
    (void)state;
    return httptest_stop(&E.ht);
}

/* The event this test follows, with event_id id (32 hex). */
static void send_probe(const char *id)
{
    char body[2048];
    snprintf(body, sizeof body,
             "{\"event_id\":\"%s\",\"timestamp\":\"2026-12-01T10:00:00Z\",\"level\":\"error\","
             "\"platform\":\"python\",\"environment\":\"production\",\"release\":\"shop@2.4.1\","
             "\"tags\":{\"browser\":\"Firefox 120\",\"region\":\"eu-west\"},"
             "\"user\":{\"id\":\"42\",\"email\":\"ada@example.com\"},"
             "\"exception\":{\"values\":[{\"type\":\"KeyError\",\"value\":\"'cart'\","
             "\"stacktrace\":{\"frames\":[{\"filename\":\"shop/views.py\",\"function\":"
             "\"checkout\",\"lineno\":88,\"context_line\":\"    cart = session['cart']\","
             "\"pre_context\":[\"def checkout(request):\"],\"post_context\":[\"    return "
             "render(cart)\"],\"vars\":{\"session\":\"{}\"}}]}}]},"
             "\"breadcrumbs\":{\"values\":[{\"category\":\"http\",\"message\":\"GET /cart\"}]},"
             "\"extra\":{\"note\":\"unicode \\u00e9\\u4e2d and \\\\ and \\\" quotes\"}}",
             id);
    assert_int_equal(httptest_store_event(&E.ht, E.pid, E.key, body), 200);
}

/* Other events of the project, alike in shape, different in values. */
static void send_others(int n)
{
    static const char *const fns[] = {"checkout", "login", "search", "cart", "profile"};
    for (int k = 0; k < n; k++) {
        char body[1024];
        snprintf(body, sizeof body,
                 "{\"level\":\"error\",\"platform\":\"python\",\"environment\":\"production\","
                 "\"tags\":{\"browser\":\"Firefox %d\"},\"user\":{\"id\":\"%d\"},"
                 "\"exception\":{\"values\":[{\"type\":\"KeyError\",\"value\":\"'k%d'\","
                 "\"stacktrace\":{\"frames\":[{\"filename\":\"shop/%s.py\",\"function\":\"%s\","
                 "\"lineno\":%d}]}}]}}",
                 100 + k % 20, k % 30, k % 40, fns[k % 5], fns[k % 5], 10 + k % 50);
        assert_int_equal(httptest_store_event(&E.ht, E.pid, E.key, body), 200);
    }
}

static cJSON *get_event(const char *id)
{
    char path[160];
    snprintf(path, sizeof path, "/api/0/projects/acme/p/events/%s/", id);
    struct httptest_resp r = httptest_expect(
        &E.ht, 200, &(struct httptest_req){.method = "GET", .path = path, .bearer = E.token});
    cJSON *j = r.json;
    r.json = NULL;
    httptest_resp_free(&r);
    return j;
}

/* What differs between two stored copies of one event by design: its id, neighbours, when
 * it was received and the stored body's size. */
static void strip(cJSON *o)
{
    static const char *const keys[] = {"id",   "eventID",     "dateReceived",
                                       "size", "nextEventID", "previousEventID"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        cJSON_DeleteItemFromObjectCaseSensitive(o, keys[i]);
}

/* The stored body of event id, and the dictionary it names. */
static uint32_t stored_dict(const char *id, size_t *len)
{
    struct arena *a = arena_new(0);
    struct store_event_row row;
    assert_int_equal(store_event_by_id(E.ht.st, a, E.pid, id, &row), E_OK);
    uint32_t d = proto_zstd_frame_dict(row.data, row.data_len);
    *len = row.data_len;
    arena_free(a);
    return d;
}

static void test_before_and_after(void **state)
{
    (void)state;
    const char *before = "0123456789abcdef0123456789abcdef";
    const char *after = "fedcba9876543210fedcba9876543210";
    struct zdicts *zd = E.ht.app.zdicts;
    send_probe(before);
    send_others(ZDICTS_MIN_EVENTS - 2);
    assert_int_equal(zdicts_job_run(zd, NULL), E_OK);
    assert_int_equal(zdicts_current(zd, E.pid, clock_now()), 0); /* one short */
    send_others(1);
    assert_int_equal(zdicts_job_run(zd, NULL), E_OK);
    uint32_t id = zdicts_current(zd, E.pid, clock_now());
    assert_int_not_equal(id, 0);
    send_probe(after);

    size_t len_before, len_after;
    assert_int_equal(stored_dict(before, &len_before), 0);
    assert_int_equal(stored_dict(after, &len_after), id);
    if (len_after >= len_before)
        fail_msg("%zu bytes with the dictionary, %zu without", len_after, len_before);

    cJSON *a = get_event(before), *b = get_event(after);
    assert_string_equal(httptest_jstr(a, "id"), before);
    assert_string_equal(httptest_jstr(b, "id"), after);
    assert_string_equal(httptest_jstr(b, "title"), "KeyError: 'cart'");
    strip(a);
    strip(b);
    if (!cJSON_Compare(a, b, true)) {
        char *x = cJSON_Print(a), *y = cJSON_Print(b);
        fail_msg("the event differs:\n%s\n%s", x, y);
    }
    cJSON_Delete(a);
    cJSON_Delete(b);

    /* another node reads both, loading the dictionary from the database */
    struct zdicts *mine = E.ht.app.zdicts, *other = zdicts_new(E.ht.st);
    E.ht.app.zdicts = other;
    cJSON *c = get_event(after);
    E.ht.app.zdicts = mine;
    strip(c);
    cJSON *d = get_event(after);
    strip(d);
    assert_true(cJSON_Compare(c, d, true));
    cJSON_Delete(c);
    cJSON_Delete(d);
    struct zdicts_stats s;
    zdicts_stats(other, &s);
    assert_int_equal(s.ddict_loads, 1);
    zdicts_free(other);

    /* the list shape reads every body of the page, with and without a dictionary */
    struct httptest_resp r =
        httptest_expect(&E.ht, 200,
                        &(struct httptest_req){.method = "GET",
                                               .path = "/api/0/projects/acme/p/events/?limit=100",
                                               .bearer = E.token});
    assert_int_equal(cJSON_GetArraySize(r.json), 100);
    const cJSON *it;
    cJSON_ArrayForEach(it, r.json) assert_non_null(cJSON_GetObjectItem(it, "title"));
    httptest_resp_free(&r);

    /* facets count the tags of bodies with and without a dictionary */
    struct facets_job j = {.st = E.ht.st, .zdicts = zd, .lag = 0};
    assert_int_equal(facets_job_run(&j, NULL), E_OK);
    assert_int_equal(j.last.events, ZDICTS_MIN_EVENTS + 1);
    struct arena *ar = arena_new(0);
    struct store_event_row row;
    assert_int_equal(store_event_by_id(E.ht.st, ar, E.pid, after, &row), E_OK);
    struct store_tag_value *vals;
    size_t n;
    assert_int_equal(store_issue_tag_values(E.ht.st, ar, row.issue_id, "region", 10, &vals, &n),
                     E_OK);
    assert_int_equal(n, 1);
    assert_string_equal(vals[0].value, "eu-west");
    assert_int_equal(vals[0].count, 2);
    arena_free(ar);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_before_and_after),
    };
    return cmocka_run_group_tests(tests, env_setup, env_teardown);
}
