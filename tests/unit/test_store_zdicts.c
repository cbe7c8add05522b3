/* Storage conformance for the compression dictionaries (store.h's store_zdicts.c section):
 * insert (unique dictionary IDs, a missing project), get by ID, a project's newest, touch,
 * training samples newest first, pruning only of the dictionaries no kept event can need, the
 * rows going with their project — and events stored with and without a dictionary coming
 * back byte for byte and decompressing to the same JSON through the registry. Written against
 * store.h, so scripts/test.sh runs it on SQLite and PostgreSQL. */
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
#include "core/buf.h"
#include "core/clock.h"
#include "core/ids.h"
#include "core/limits.h"
#include "helpers/testdb.h"
#include "proto/decompress.h"
#include "proto/zdict.h"
#include "store/store.h"

#define DAY 86400.0

static struct {
    struct testdb db;
    struct store *st;
    struct store_org org;
    struct store_team team;
    struct store_project p, q;
    int64_t user;
} T;

static struct arena *A;

static int setup(void **state)
{
    (void)state;
    assert_int_equal(ids_init(), 0);
    A = arena_new(0);
    const char *url = testdb_open(&T.db);
    struct errinfo ei = {{0}};
    if (!url || store_open(url, &T.st, &ei) || store_migrate(T.st, &ei))
        return -1;
    assert_int_equal(store_user_create(T.st, "z@example.com", "x", false, &T.user, NULL), E_OK);
    assert_int_equal(store_org_create(T.st, T.user, "acme", "Acme", A, &T.org), E_OK);
    assert_int_equal(store_team_create(T.st, T.org.id, "t", "T", A, &T.team), E_OK);
    assert_int_equal(store_project_create(T.st, T.org.id, T.team.id, "p", "P", "python", A, &T.p),
                     E_OK);
    assert_int_equal(store_project_create(T.st, T.org.id, T.team.id, "q", "Q", "python", A, &T.q),
                     E_OK);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    store_close(T.st);
    arena_free(A);
    return testdb_close(&T.db);
}

/* The JSON body of event k. */
static char *event_json(unsigned k)
{
    return arena_printf(A,
                        "{\"event_id\":\"%032x\",\"level\":\"error\",\"message\":\"boom %u in "
                        "checkout\",\"tags\":[[\"browser\",\"Firefox %u\"]],\"user\":{\"id\":"
                        "\"%u\"},\"extra\":{\"bytes\":\"\\u0000\\t\\n\\\\ end\"}}",
                        k, k, 100 + k % 7, k % 13);
}

/* A dictionary (ID id) trained on 200 event bodies. */
static void dict_make(uint32_t id, struct buf *dict)
{
    struct buf all;
    size_t sizes[200];
    buf_init(&all, 4 * MIB);
    for (unsigned k = 0; k < 200; k++) {
        char *j = event_json(k);
        sizes[k] = strlen(j);
        assert_int_equal(buf_append(&all, j, sizes[k]), E_OK);
    }
    buf_init(dict, 0);
    assert_int_equal(proto_zdict_train(all.p, sizes, 200, 16 * 1024, 1, id, dict, NULL), E_OK);
    buf_free(&all);
}

static struct store_event_in event_in(int64_t project, const void *data, size_t len, double at)
{
    char eid[33];
    ids_uuid4_hex(eid);
    return (struct store_event_in){.project_id = project,
                                   .event_id = arena_strdup(A, eid),
                                   .timestamp = at,
                                   .received = at,
                                   .level = "error",
                                   .hash = "h",
                                   .title = "boom",
                                   .metadata_json = "{}",
                                   .data = data,
                                   .data_len = len};
}

static void test_insert_get_newest(void **state)
{
    (void)state;
    struct buf d1, d2;
    dict_make(50001, &d1);
    dict_make(50002, &d2);
    const double t0 = 1.8e9;
    struct store_zdict z;
    assert_int_equal(store_zdict_newest(T.st, A, T.p.id, &z), E_NOTFOUND);
    assert_int_equal(store_zdict_get(T.st, A, 50001, &z), E_NOTFOUND);
    int64_t id1 = 0, id2 = 0;
    assert_int_equal(store_zdict_insert(T.st, T.p.id, 50001, t0, d1.p, d1.len, &id1), E_OK);
    assert_true(id1 > 0);
    /* an ID is unique across projects (and nodes); a missing project stores nothing */
    assert_int_equal(store_zdict_insert(T.st, T.q.id, 50001, t0, d2.p, d2.len, NULL), E_CONFLICT);
    assert_int_equal(store_zdict_insert(T.st, 999999, 50003, t0, d2.p, d2.len, NULL), E_NOTFOUND);
    assert_int_equal(store_zdict_insert(T.st, T.p.id, 0, t0, d2.p, d2.len, NULL), E_INVALID);
    assert_int_equal(store_zdict_insert(T.st, T.p.id, 50002, t0 + 60, d2.p, d2.len, &id2), E_OK);
    assert_int_equal(store_zdict_get(T.st, A, 50001, &z), E_OK);
    assert_int_equal(z.id, id1);
    assert_int_equal(z.project_id, T.p.id);
    assert_int_equal(z.dict_id, 50001);
    assert_true(z.created == t0 && z.last_used == t0);
    assert_int_equal(z.len, d1.len);
    assert_memory_equal(z.data, d1.p, d1.len);
    assert_int_equal(store_zdict_newest(T.st, A, T.p.id, &z), E_OK);
    assert_int_equal(z.dict_id, 50002);
    assert_memory_equal(z.data, d2.p, d2.len);
    assert_int_equal(store_zdict_newest(T.st, A, T.q.id, &z), E_NOTFOUND);
    /* dictionary IDs above 2^31 survive the round trip (zstd's IDs are unsigned 32-bit) */
    assert_int_equal(store_zdict_insert(T.st, T.q.id, 4000000000u, t0, d1.p, d1.len, NULL), E_OK);
    assert_int_equal(store_zdict_get(T.st, A, 4000000000u, &z), E_OK);
    assert_int_equal(z.dict_id, 4000000000u);
    assert_int_equal(z.project_id, T.q.id);
    /* touch moves last_used forward only, and knows a missing dictionary */
    assert_int_equal(store_zdict_touch(T.st, 50001, t0 + 100), E_OK);
    assert_int_equal(store_zdict_touch(T.st, 50001, t0 + 50), E_OK);
    assert_int_equal(store_zdict_get(T.st, A, 50001, &z), E_OK);
    assert_true(z.last_used == t0 + 100);
    assert_int_equal(store_zdict_touch(T.st, 50009, t0), E_NOTFOUND);
    buf_free(&d1);
    buf_free(&d2);
}

/* Only a dictionary that is both superseded and unused since before the bound goes. */
static void test_prune(void **state)
{
    (void)state;
    struct buf d;
    dict_make(51000, &d);
    const double t0 = 1.5e9; /* before test_insert_get_newest's times */
    /* project r gets: a (old, superseded, unused), b (old, superseded, but touched late),
     * c (old, newest): only a may go */
    struct store_project r;
    assert_int_equal(store_project_create(T.st, T.org.id, T.team.id, "r", "R", NULL, A, &r), E_OK);
    assert_int_equal(store_zdict_insert(T.st, r.id, 51001, t0 - 100 * DAY, d.p, d.len, NULL), E_OK);
    assert_int_equal(store_zdict_insert(T.st, r.id, 51002, t0 - 99 * DAY, d.p, d.len, NULL), E_OK);
    assert_int_equal(store_zdict_insert(T.st, r.id, 51003, t0 - 98 * DAY, d.p, d.len, NULL), E_OK);
    assert_int_equal(store_zdict_touch(T.st, 51002, t0 - 10 * DAY), E_OK);
    /* another project's lone old dictionary stays too */
    struct store_project s;
    assert_int_equal(store_project_create(T.st, T.org.id, T.team.id, "s", "S", NULL, A, &s), E_OK);
    assert_int_equal(store_zdict_insert(T.st, s.id, 51004, t0 - 100 * DAY, d.p, d.len, NULL), E_OK);
    int64_t n = -1;
    assert_int_equal(store_zdict_prune(T.st, t0 - 90 * DAY, &n), E_OK);
    assert_int_equal(n, 1);
    struct store_zdict z;
    assert_int_equal(store_zdict_get(T.st, A, 51001, &z), E_NOTFOUND);
    static const uint32_t kept[] = {51002, 51003, 51004};
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(store_zdict_get(T.st, A, kept[i], &z), E_OK);
    /* and nothing more at the same bound; b goes once its last use is past the bound */
    assert_int_equal(store_zdict_prune(T.st, t0 - 90 * DAY, &n), E_OK);
    assert_int_equal(n, 0);
    assert_int_equal(store_zdict_prune(T.st, t0 - 5 * DAY, &n), E_OK);
    assert_int_equal(n, 1);
    assert_int_equal(store_zdict_get(T.st, A, 51002, &z), E_NOTFOUND);
    assert_int_equal(store_zdict_newest(T.st, A, r.id, &z), E_OK);
    assert_int_equal(z.dict_id, 51003);
    /* a touch at the bound's time keeps a dictionary */
    assert_int_equal(store_zdict_insert(T.st, r.id, 51005, t0 - 97 * DAY, d.p, d.len, NULL), E_OK);
    assert_int_equal(store_zdict_touch(T.st, 51003, t0), E_OK);
    assert_int_equal(store_zdict_prune(T.st, t0, &n), E_OK);
    assert_int_equal(n, 0);
    /* the rows go with their project */
    assert_int_equal(store_project_delete(T.st, r.id), E_OK);
    assert_int_equal(store_zdict_get(T.st, A, 51003, &z), E_NOTFOUND);
    assert_int_equal(store_zdict_get(T.st, A, 51005, &z), E_NOTFOUND);
    assert_int_equal(store_zdict_get(T.st, A, 51004, &z), E_OK);
    buf_free(&d);
}

/* Samples are the newest stored bodies of the project only, newest first. */
static void test_samples(void **state)
{
    (void)state;
    struct store_project r;
    assert_int_equal(store_project_create(T.st, T.org.id, T.team.id, "smp", "S", NULL, A, &r),
                     E_OK);
    struct store_blob *rows;
    size_t n = 99;
    assert_int_equal(store_zdict_samples(T.st, A, r.id, 10, &rows, &n), E_OK);
    assert_int_equal(n, 0);
    const double t0 = clock_now();
    for (unsigned k = 0; k < 30; k++) {
        char *body = arena_printf(A, "body %02u", k);
        struct store_event_in ev = event_in(k % 3 ? r.id : T.q.id, body, strlen(body), t0 + k);
        assert_int_equal(store_ingest_batch(T.st, &ev, 1, NULL), E_OK);
    }
    assert_int_equal(store_zdict_samples(T.st, A, r.id, 5, &rows, &n), E_OK);
    assert_int_equal(n, 5);
    static const char *const want[] = {"body 29", "body 28", "body 26", "body 25", "body 23"};
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(rows[i].len, 7);
        assert_memory_equal(rows[i].data, want[i], 7);
    }
    assert_int_equal(store_zdict_samples(T.st, A, r.id, 1000, &rows, &n), E_OK);
    assert_int_equal(n, 20);
    assert_int_equal(store_zdict_samples(T.st, A, r.id, 0, &rows, &n), E_INVALID);
}

/* An event stored before the project had a dictionary and one after: both bodies come back
 * byte for byte, name their dictionary (or none), and decompress through a registry that
 * loads the dictionary from the store to the very JSON ingest compressed. */
static void test_roundtrip_events(void **state)
{
    (void)state;
    struct buf d;
    dict_make(52001, &d);
    struct store_project r;
    assert_int_equal(store_project_create(T.st, T.org.id, T.team.id, "rt", "RT", NULL, A, &r),
                     E_OK);
    assert_int_equal(store_zdict_insert(T.st, r.id, 52001, clock_now(), d.p, d.len, NULL), E_OK);
    ZSTD_CDict *cd = proto_zdict_cdict(d.p, d.len, 1);
    assert_non_null(cd);
    const char *json = event_json(4242);
    struct buf plain, dz;
    buf_init(&plain, 0);
    buf_init(&dz, 0);
    assert_int_equal(proto_zstd_compress(json, strlen(json), 1, &plain), E_OK);
    assert_int_equal(proto_zstd_compress_dict(json, strlen(json), cd, &dz), E_OK);
    assert_true(dz.len < plain.len);
    struct store_event_in evs[] = {event_in(r.id, plain.p, plain.len, clock_now()),
                                   event_in(r.id, dz.p, dz.len, clock_now())};
    assert_int_equal(store_ingest_batch(T.st, evs, 2, NULL), E_OK);
    struct zdicts *zd = zdicts_new(T.st);
    const struct buf *bodies[] = {&plain, &dz};
    for (size_t i = 0; i < 2; i++) {
        struct store_event_row row;
        assert_int_equal(store_event_by_id(T.st, A, r.id, evs[i].event_id, &row), E_OK);
        assert_int_equal(row.data_len, bodies[i]->len);
        assert_memory_equal(row.data, bodies[i]->p, row.data_len);
        assert_int_equal(proto_zstd_frame_dict(row.data, row.data_len), i ? 52001 : 0);
        struct buf out;
        buf_init(&out, LIMIT_EVENT_SIZE);
        assert_int_equal(zdicts_decompress(zd, row.data, row.data_len, out.max, &out, NULL), E_OK);
        assert_int_equal(out.len, strlen(json));
        assert_memory_equal(out.p, json, out.len);
        buf_free(&out);
    }
    /* without a registry the plain body still reads, the other one cannot */
    struct buf out;
    buf_init(&out, LIMIT_EVENT_SIZE);
    assert_int_equal(zdicts_decompress(NULL, plain.p, plain.len, out.max, &out, NULL), E_OK);
    buf_reset(&out);
    assert_int_equal(zdicts_decompress(NULL, dz.p, dz.len, out.max, &out, NULL), E_NOTFOUND);
    buf_free(&out);
    struct zdicts_stats s;
    zdicts_stats(zd, &s);
    assert_int_equal(s.ddict_loads, 1);
    zdicts_free(zd);
    ZSTD_freeCDict(cd);
    buf_free(&plain);
    buf_free(&dz);
    buf_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_insert_get_newest),
        cmocka_unit_test(test_prune),
        cmocka_unit_test(test_samples),
        cmocka_unit_test(test_roundtrip_events),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
