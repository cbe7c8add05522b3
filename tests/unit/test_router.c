/* Unit tests for src/http/router.c: path matching, parameters, 404 vs 405, preflight, and the
 * {*rest} tail placeholder of the UI's catch-all route. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "http/http.h"

static enum handler_result h_dummy(struct http_request *req, void *app)
{
    (void)req;
    (void)app;
    return HANDLER_DONE;
}

static const struct route routes[] = {
    {HTTP_POST, "/api/{project_id}/store/", h_dummy, 10, ROUTE_INGEST},
    {HTTP_GET, "/api/0/", h_dummy, 0, 0},
    {HTTP_GET, "/api/0/issues/{issue_id}/", h_dummy, 0, 0},
    {HTTP_PUT, "/api/0/issues/{issue_id}/", h_dummy, 0, 0},
    {HTTP_GET, "/api/0/issues/{issue_id}/events/latest/", h_dummy, 0, 0},
    {HTTP_GET, "/api/0/projects/{org}/{project}/events/{event_id}/", h_dummy, 0, 0},
    {HTTP_GET, "/static/{kind}/{*file}", h_dummy, 0, 0},
    {HTTP_GET, "/{*rest}", h_dummy, 0, 0},
};

static void test_route_table(void **state)
{
    (void)state;
    static const struct {
        enum http_method m;
        const char *path;
        int want_route; /* index, or -1 */
        int path_matched, ingest_path;
        const char *param0;
    } cases[] = {
        {HTTP_POST, "/api/42/store/", 0, 1, 1, "42"},
        {HTTP_POST, "/api/42/store", 0, 1, 1, "42"},
        {HTTP_POST, "//api//42//store/", 0, 1, 1, "42"},
        {HTTP_OPTIONS, "/api/42/store/", -1, 1, 1, NULL},
        {HTTP_GET, "/api/0/", 1, 1, 0, NULL},
        {HTTP_HEAD, "/api/0/", 1, 1, 0, NULL},
        {HTTP_GET, "/api/0/issues/7/", 2, 1, 0, "7"},
        {HTTP_PUT, "/api/0/issues/7/", 3, 1, 0, "7"},
        {HTTP_GET, "/api/0/issues/7/events/latest/", 4, 1, 0, "7"},
        {HTTP_GET, "/api/0/projects/o/p/events/abc/", 5, 1, 0, "o"},
        /* the tail placeholder: the rest of the path, zero or more segments */
        {HTTP_GET, "/nothing", 7, 1, 0, "nothing"},
        {HTTP_GET, "/", 7, 1, 0, ""},
        {HTTP_HEAD, "/a/b/c/", 7, 1, 0, "a/b/c/"},
        {HTTP_GET, "//organizations//acme/issues/3", 7, 1, 0, "organizations//acme/issues/3"},
        {HTTP_GET, "/static/js/app.js", 6, 1, 0, "js"},
        {HTTP_GET, "/static/js", 6, 1, 0, "js"},
        /* an earlier route wins; the tail route answers only GET/HEAD, and its path match
         * does not turn other methods into 405 */
        {HTTP_GET, "/api/0/issues/7/events/", 7, 1, 0, "api/0/issues/7/events/"},
        {HTTP_POST, "/nothing", -1, 0, 0, NULL},
        {HTTP_DELETE, "/", -1, 0, 0, NULL},
        {HTTP_DELETE, "/api/0/issues/7/", -1, 1, 0, NULL},
    };
    size_t n = sizeof routes / sizeof *routes;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct route_match m;
        bool found = route_find(routes, n, cases[i].m, cases[i].path, &m);
        assert_int_equal(found, cases[i].want_route >= 0);
        if (found) {
            assert_ptr_equal(m.route, &routes[cases[i].want_route]);
        }
        assert_int_equal(m.path_matched, cases[i].path_matched);
        assert_int_equal(m.ingest_path, cases[i].ingest_path);
        if (cases[i].param0) {
            assert_true(m.nparams >= 1);
            assert_int_equal(m.values[0].len, strlen(cases[i].param0));
            assert_memory_equal(m.values[0].p, cases[i].param0, m.values[0].len);
        }
    }
}

/* The tail placeholder's name and value come after the one-segment ones. */
static void test_tail_param(void **state)
{
    (void)state;
    struct route_match m;
    assert_true(
        route_find(routes, sizeof routes / sizeof *routes, HTTP_GET, "/static/js/a/b.js", &m));
    assert_int_equal(m.nparams, 2);
    assert_int_equal(m.name_lens[1], 4);
    assert_memory_equal(m.names[1], "file", 4);
    assert_int_equal(m.values[1].len, 6);
    assert_memory_equal(m.values[1].p, "a/b.js", 6);
}

static void test_method_parse(void **state)
{
    (void)state;
    assert_int_equal(http_method_parse("GET"), HTTP_GET);
    assert_int_equal(http_method_parse("OPTIONS"), HTTP_OPTIONS);
    assert_int_equal(http_method_parse("get"), HTTP_OTHER);
    assert_int_equal(http_method_parse("BREW"), HTTP_OTHER);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_route_table),
        cmocka_unit_test(test_tail_param),
        cmocka_unit_test(test_method_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
