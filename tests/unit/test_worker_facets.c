/* The facets job (worker/facets.c): decoding a stored body into tags (with user.* for search,
 * a numeric user id as text), the lag (an event younger than it waits for the next pass), the
 * cursor (a second pass counts nothing twice) and the lowered thread priority. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/ids.h"
#include "helpers/testdb.h"
#include "proto/decompress.h"
#include "store/store.h"
#include "worker/facets.h"

static const void *compress(struct arena *a, const char *json, size_t *len)
{
    struct buf z;
    buf_init(&z, 0);
    assert_int_equal(proto_zstd_compress(json, strlen(json), 1, &z), E_OK);
    void *p = arena_alloc(a, z.len);
    memcpy(p, z.p, z.len);
    *len = z.len;
    buf_free(&z);
    return p;
}

static void test_decode(void **state)
{
    (void)state;
    struct arena *a = arena_new(0);
    size_t len, n;
    const void *z = compress(a,
                             "{\"tags\":[[\"browser\",\"Chrome\"],[\"level\",\"error\"],[1,2]],"
                             "\"user\":{\"id\":42,\"email\":\"u@example.com\"}}",
                             &len);
    size_t len2, n2;
    const void *z2 = compress(a, "{\"tags\":[[\"level\",\"warning\"]]}", &len2);
    struct store_facets_tag *tags, *tags2;
    struct facets_scratch s;
    facets_scratch_init(&s, NULL);
    assert_int_equal(facets_decode(a, z, len, &tags, &n, &s), E_OK);
    assert_int_equal(n, 4);
    /* the scratch is reused: the first event's tags must outlive the second's decoding */
    assert_int_equal(facets_decode(a, z2, len2, &tags2, &n2, &s), E_OK);
    assert_int_equal(n2, 1);
    assert_string_equal(tags2[0].value, "warning");
    assert_string_equal(tags[0].key, "browser");
    assert_string_equal(tags[1].value, "error");
    assert_string_equal(tags[2].key, "user.id");
    assert_string_equal(tags[2].value, "42");
    assert_string_equal(tags[3].value, "u@example.com");
    assert_int_not_equal(facets_decode(a, "junk", 4, &tags, &n, &s), E_OK);
    facets_scratch_free(&s);
    arena_free(a);
}

static void test_lag_and_cursor(void **state)
{
    (void)state;
    struct testdb db;
    struct store *st;
    struct arena *a = arena_new(0);
    const char *url = testdb_open(&db);
    assert_non_null(url);
    assert_int_equal(store_open(url, &st, NULL), E_OK);
    assert_int_equal(store_migrate(st, NULL), E_OK);
    int64_t user;
    assert_int_equal(store_user_create(st, "a@example.com", "x", false, &user, NULL), E_OK);
    struct store_org org;
    struct store_team team;
    struct store_project proj;
    assert_int_equal(store_org_create(st, user, "o", "O", a, &org), E_OK);
    assert_int_equal(store_team_create(st, org.id, "t", "T", a, &team), E_OK);
    assert_int_equal(store_project_create(st, org.id, team.id, "p", "P", NULL, a, &proj), E_OK);
    double now = clock_now();
    for (int i = 0; i < 2; i++) {
        char eid[33];
        ids_uuid4_hex(eid);
        struct store_event_in ev = {.project_id = proj.id,
                                    .event_id = eid,
                                    .hash = "h",
                                    .timestamp = now,
                                    .received = i ? now : now - 60,
                                    .title = "E"};
        ev.data = compress(a, "{\"tags\":[[\"browser\",\"Chrome\"]]}", &ev.data_len);
        assert_int_equal(store_ingest_batch(st, &ev, 1, NULL), E_OK);
    }
    struct facets_job j = {.st = st, .lag = 30};
    assert_int_equal(facets_job_run(&j, NULL), E_OK);
    assert_int_equal(j.last.events, 1); /* the other one is younger than the lag */
    assert_int_equal(facets_job_run(&j, NULL), E_OK);
    assert_int_equal(j.last.events, 0); /* nothing twice */
    j.lag = 0;
    assert_int_equal(facets_job_run(&j, NULL), E_OK);
    assert_int_equal(j.last.events, 1);
    assert_true(j.niced);
    errno = 0;
    int prio = getpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid));
    assert_true(prio >= FACETS_NICE);
    store_close(st);
    arena_free(a);
    assert_int_equal(testdb_close(&db), 0);
}

int main(void)
{
    assert_int_equal(ids_init(), 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode),
        cmocka_unit_test(test_lag_and_cursor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
