/* Project stats for sparklines over real HTTP (in-process server with the ingest writer, a
 * fresh database on SQLite or PostgreSQL): events are sent at chosen times with the fake
 * clock, the facets pass counts them, and ?statsPeriod=24h|14d|30d on the project lists and
 * the project detail must give every bucket (zeros too), oldest first, the last one holding
 * now, with the right counts; no statsPeriod gives no "stats", an unknown one 400. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "helpers/httptest.h"
#include "worker/facets.h"

#define HOUR 3600.0
#define DAY 86400.0

static struct {
    struct httptest ht;
    char tok[TOKEN_LEN + 1];
    int64_t pid, quiet_pid;
    double now; /* the fake clock during the checks */
} E;

/* When the events arrive, relative to E.now, oldest first (the facets cursor walks forward). */
static const double SENT[] = {-20 * DAY, -3 * DAY, -5 * HOUR, -60, 0};

static int env_setup(void **state)
{
    (void)state;
    setenv("SECRET_KEY", "test-secret-key-for-project-stats", 1);
    httptest_start(&E.ht, HT_WRITER);
    int64_t alice = httptest_user(&E.ht, "alice@example.com", false);
    httptest_token(&E.ht, alice, TOKEN_ALL_SCOPES, E.tok);
    struct httptest_org org;
    httptest_org(&E.ht, alice, "acme", "Acme", "T", "P", true, &org);
    E.pid = org.project_id;
    struct arena *a = arena_new(0);
    struct store_project quiet;
    assert_int_equal(
        store_project_create(E.ht.st, org.org_id, org.team_id, "q", "Q", "python", a, &quiet),
        E_OK);
    E.quiet_pid = quiet.id;
    arena_free(a);
    /* half past an hour, so that -60 s falls in the same hour as now */
    E.now = floor(clock_now() / HOUR) * HOUR - HOUR / 2;
    for (size_t i = 0; i < sizeof SENT / sizeof *SENT; i++) {
        clock_set_fake(E.now + SENT[i]);
        assert_int_equal(httptest_store_event(&E.ht, E.pid, org.key, "{\"message\":\"tick\"}"),
                         200);
    }
    clock_set_fake(E.now);
    struct facets_job j = {.st = E.ht.st, .lag = 0};
    assert_int_equal(facets_job_run(&j, NULL), E_OK);
    assert_int_equal(j.last.events, (int64_t)(sizeof SENT / sizeof *SENT));
    return 0;
}

static int env_teardown(void **state)
{
    (void)state;
    clock_set_fake(0);
    return httptest_stop(&E.ht);
}

static cJSON *get(int status, const char *path)
{
    struct httptest_resp r = httptest_expect(
        &E.ht, status, &(struct httptest_req){.method = "GET", .path = path, .bearer = E.tok});
    cJSON *j = r.json;
    r.json = NULL;
    httptest_resp_free(&r);
    return j;
}

/* The project with id in list arr. */
static const cJSON *project(const cJSON *arr, int64_t id)
{
    char want[24];
    snprintf(want, sizeof want, "%lld", (long long)id);
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) if (strcmp(httptest_jstr(it, "id"), want) == 0) return it;
    fail_msg("project %s is not in the list", want);
    return NULL;
}

/* Checks o's stats: n buckets of step seconds ending with the one holding E.now, integer
 * times, each count what SENT puts in it (none for quiet). */
static void expect_stats(const cJSON *o, int n, double step, bool quiet)
{
    const cJSON *stats = cJSON_GetObjectItem(o, "stats");
    assert_int_equal(cJSON_GetArraySize(stats), n);
    double last = floor(E.now / step) * step;
    for (int b = 0; b < n; b++) {
        const cJSON *pair = cJSON_GetArrayItem(stats, b);
        assert_int_equal(cJSON_GetArraySize(pair), 2);
        double start = cJSON_GetNumberValue(cJSON_GetArrayItem(pair, 0));
        assert_true(start == last - (n - 1 - b) * step);
        int want = 0;
        for (size_t i = 0; !quiet && i < sizeof SENT / sizeof *SENT; i++)
            want += floor((E.now + SENT[i]) / step) * step == start;
        assert_int_equal((int)cJSON_GetNumberValue(cJSON_GetArrayItem(pair, 1)), want);
    }
    char *text = cJSON_PrintUnformatted(stats);
    assert_null(strchr(text, '.')); /* whole seconds */
    free(text);
}

static void test_org_projects(void **state)
{
    (void)state;
    const struct {
        const char *period;
        int n;
        double step;
        int total; /* events in the range */
    } cases[] = {{"24h", 24, HOUR, 3}, {"14d", 14, DAY, 4}, {"30d", 30, DAY, 5}};
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        char path[128];
        snprintf(path, sizeof path, "/api/0/organizations/acme/projects/?statsPeriod=%s",
                 cases[c].period);
        cJSON *arr = get(200, path);
        assert_int_equal(cJSON_GetArraySize(arr), 2);
        expect_stats(project(arr, E.pid), cases[c].n, cases[c].step, false);
        expect_stats(project(arr, E.quiet_pid), cases[c].n, cases[c].step, true);
        int total = 0;
        const cJSON *pair;
        cJSON_ArrayForEach(pair, cJSON_GetObjectItem(project(arr, E.pid), "stats")) total +=
            (int)cJSON_GetNumberValue(cJSON_GetArrayItem(pair, 1));
        assert_int_equal(total, cases[c].total);
        cJSON_Delete(arr);
    }
    /* Sentry's shape: no stats unless asked; an unknown period is a 400 */
    cJSON *arr = get(200, "/api/0/organizations/acme/projects/");
    assert_null(cJSON_GetObjectItem(project(arr, E.pid), "stats"));
    cJSON_Delete(arr);
    cJSON *err = get(400, "/api/0/organizations/acme/projects/?statsPeriod=7x");
    assert_non_null(strstr(httptest_jstr(err, "detail"), "statsPeriod"));
    cJSON_Delete(err);
}

static void test_other_project_routes(void **state)
{
    (void)state;
    cJSON *arr = get(200, "/api/0/projects/?statsPeriod=24h");
    expect_stats(project(arr, E.pid), 24, HOUR, false);
    expect_stats(project(arr, E.quiet_pid), 24, HOUR, true);
    cJSON_Delete(arr);
    cJSON *one = get(200, "/api/0/projects/acme/p/?statsPeriod=14d");
    expect_stats(one, 14, DAY, false);
    assert_non_null(cJSON_GetObjectItem(one, "teams")); /* still the detail shape */
    cJSON_Delete(one);
    one = get(200, "/api/0/projects/acme/p/");
    assert_null(cJSON_GetObjectItem(one, "stats"));
    cJSON_Delete(one);
    cJSON_Delete(get(400, "/api/0/projects/?statsPeriod=1y"));
    cJSON_Delete(get(400, "/api/0/projects/acme/p/?statsPeriod=24"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_org_projects),
        cmocka_unit_test(test_other_project_routes),
    };
    return cmocka_run_group_tests(tests, env_setup, env_teardown);
}
