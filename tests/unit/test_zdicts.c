/* The dictionary registry and its training job (api/zdicts.c) over a real store (SQLite or
 * PostgreSQL, scripts/test.sh runs both): the trigger (nothing before ZDICTS_MIN_EVENTS
 * events, nor without enough stored bodies; a dictionary at the threshold), bodies before and
 * after it reading back alike, another node (a second registry on the same database)
 * adopting the stored dictionary and reading bodies the first one compressed, retraining a day
 * on, the use-by time of an unconfirmed dictionary, a dictionary that vanished from the
 * database, the facets decoder, and many threads compressing while the job swaps dictionaries
 * (ASan checks the refcounts). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
#include "worker/facets.h"

#define DAY 86400.0

static struct {
    struct testdb db;
    struct store *st;
    struct store_org org;
    struct store_team team;
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
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    clock_set_fake(0);
    store_close(T.st);
    arena_free(A);
    return testdb_close(&T.db);
}

static int64_t project(const char *slug)
{
    struct store_project p;
    assert_int_equal(store_project_create(T.st, T.org.id, T.team.id, slug, slug, NULL, A, &p),
                     E_OK);
    return p.id;
}

/* The normalised body of event k (its tags and user feed the facets decoder). */
static char *event_json(unsigned k)
{
    static const char *const fns[] = {"checkout", "login", "search", "cart", "profile"};
    return arena_printf(
        A,
        "{\"event_id\":\"%032x\",\"level\":\"error\",\"platform\":\"python\",\"exception\":{"
        "\"values\":[{\"type\":\"KeyError\",\"value\":\"'user_%u'\",\"stacktrace\":{\"frames\":["
        "{\"filename\":\"app/%s.py\",\"function\":\"%s\",\"lineno\":%u}]}}]},\"tags\":[["
        "\"browser\",\"Firefox %u\"],[\"server\",\"web-%u\"]],\"user\":{\"id\":\"%u\"}}",
        k, k % 50, fns[k % 5], fns[k % 5], 10 + k % 40, 100 + k % 9, k % 4, k % 17);
}

/* One stored event of project as ingest stores it through zd at now. */
struct stored {
    char event_id[33];
    unsigned k;
};

static void ingest(struct zdicts *zd, int64_t project_id, unsigned k, double now,
                   struct stored *out)
{
    const char *json = event_json(k);
    struct buf z;
    buf_init(&z, 0);
    assert_int_equal(zdicts_compress(zd, project_id, now, json, strlen(json), &z), E_OK);
    struct store_event_in ev = {.project_id = project_id,
                                .timestamp = now,
                                .received = now,
                                .level = "error",
                                .hash = "h",
                                .title = "KeyError",
                                .metadata_json = "{}",
                                .data = z.p,
                                .data_len = z.len};
    char eid[33];
    ids_uuid4_hex(eid);
    ev.event_id = eid;
    assert_int_equal(store_ingest_batch(T.st, &ev, 1, NULL), E_OK);
    buf_free(&z);
    if (out) {
        memcpy(out->event_id, eid, sizeof eid);
        out->k = k;
    }
}

static void ingest_many(struct zdicts *zd, int64_t project_id, unsigned from, unsigned n)
{
    for (unsigned k = from; k < from + n; k++)
        ingest(zd, project_id, k, clock_now(), NULL);
}

/* The stored event: which dictionary its body names, and that it reads back through zd. */
static uint32_t check_stored(struct zdicts *zd, int64_t project_id, const struct stored *s)
{
    struct store_event_row row;
    assert_int_equal(store_event_by_id(T.st, A, project_id, s->event_id, &row), E_OK);
    struct buf out;
    buf_init(&out, LIMIT_EVENT_SIZE);
    assert_int_equal(zdicts_decompress(zd, row.data, row.data_len, out.max, &out, NULL), E_OK);
    const char *want = event_json(s->k);
    assert_int_equal(out.len, strlen(want));
    assert_memory_equal(out.p, want, out.len);
    buf_free(&out);
    return proto_zstd_frame_dict(row.data, row.data_len);
}

static struct zdicts_stats stats(struct zdicts *zd)
{
    struct zdicts_stats s;
    zdicts_stats(zd, &s);
    return s;
}

/* Nothing below the threshold, a dictionary at it; bodies before and after read alike, also
 * through another registry that has to load the dictionary from the store. */
static void test_trigger(void **state)
{
    (void)state;
    int64_t p = project("trigger");
    struct zdicts *zd = zdicts_new(T.st);
    struct stored before, after;
    ingest(zd, p, 0, clock_now(), &before);
    ingest_many(zd, p, 1, ZDICTS_MIN_EVENTS - 2);
    assert_int_equal(zdicts_job_run(zd, NULL), E_OK);
    assert_int_equal(stats(zd).trained, 0);
    assert_int_equal(zdicts_current(zd, p, clock_now()), 0);
    ingest_many(zd, p, ZDICTS_MIN_EVENTS - 1, 1);
    assert_int_equal(zdicts_job_run(zd, NULL), E_OK);
    assert_int_equal(stats(zd).trained, 1);
    uint32_t id = zdicts_current(zd, p, clock_now());
    assert_true(id >= PROTO_ZDICT_ID_MIN && id <= PROTO_ZDICT_ID_MAX);
    struct store_zdict row;
    assert_int_equal(store_zdict_newest(T.st, A, p, &row), E_OK);
    assert_int_equal(row.dict_id, id);
    assert_true(row.len > 1024 && row.len <= ZDICTS_DICT_MAX);
    /* the job does nothing more until a retrain is due */
    assert_int_equal(zdicts_job_run(zd, NULL), E_OK);
    assert_int_equal(stats(zd).trained, 1);
    ingest(zd, p, 100000, clock_now(), &after);
    assert_int_equal(check_stored(zd, p, &before), 0);
    assert_int_equal(check_stored(zd, p, &after), id);
    struct zdicts *other = zdicts_new(T.st);
    assert_int_equal(check_stored(other, p, &before), 0);
    assert_int_equal(check_stored(other, p, &after), id);
    assert_int_equal(check_stored(other, p, &after), id);
    assert_int_equal(stats(other).ddict_loads, 1); /* then cached */
    assert_int_equal(stats(zd).ddict_loads, 0);    /* its own: cached when trained */
    zdicts_free(other);
    zdicts_free(zd);
}

/* Events counted but not (yet) stored: too few samples, no dictionary, and no error. */
static void test_too_few_samples(void **state)
{
    (void)state;
    int64_t p = project("unstored");
    struct zdicts *zd = zdicts_new(T.st);
    ingest_many(zd, p, 0, 20);
    for (unsigned k = 0; k < ZDICTS_MIN_EVENTS; k++) {
        struct buf z;
        buf_init(&z, 0);
        const char *json = event_json(k);
        assert_int_equal(zdicts_compress(zd, p, clock_now(), json, strlen(json), &z), E_OK);
        buf_free(&z);
    }
    assert_int_equal(zdicts_job_run(zd, NULL), E_OK);
    assert_int_equal(stats(zd).trained, 0);
    assert_int_equal(zdicts_current(zd, p, clock_now()), 0);
    struct store_zdict row;
    assert_int_equal(store_zdict_newest(T.st, A, p, &row), E_NOTFOUND);
    zdicts_free(zd);
}

/* Two nodes on one database, a day apart: the second adopts the first's dictionary, both
 * confirm theirs, the first retrains after a day and enough events, the second then adopts the
 * new one instead of training its own; every body reads back on both. */
static void test_nodes_and_retrain(void **state)
{
    (void)state;
    const double t0 = clock_now();
    clock_set_fake(t0);
    int64_t p = project("nodes");
    struct zdicts *n1 = zdicts_new(T.st), *n2 = zdicts_new(T.st);
    struct stored early, mid, late;
    ingest_many(n1, p, 0, ZDICTS_MIN_EVENTS);
    assert_int_equal(zdicts_job_run(n1, NULL), E_OK);
    uint32_t d1 = zdicts_current(n1, p, t0);
    assert_int_not_equal(d1, 0);
    ingest(n1, p, 7000, t0, &early);
    /* n2 sees the project for the first time: it adopts d1 */
    ingest(n2, p, 7001, t0, &mid);
    assert_int_equal(check_stored(n2, p, &mid), 0); /* before its first look */
    assert_int_equal(zdicts_job_run(n2, NULL), E_OK);
    assert_int_equal(stats(n2).adopted, 1);
    assert_int_equal(stats(n2).trained, 0);
    assert_int_equal(zdicts_current(n2, p, t0), d1);
    /* a day on: both confirm theirs; a retrain waits for enough new events */
    clock_set_fake(t0 + DAY + 1);
    assert_int_equal(zdicts_job_run(n1, NULL), E_OK);
    assert_int_equal(zdicts_job_run(n2, NULL), E_OK);
    assert_int_equal(zdicts_current(n1, p, clock_now()), d1);
    assert_int_equal(zdicts_current(n2, p, clock_now()), d1);
    struct store_zdict row;
    assert_int_equal(store_zdict_get(T.st, A, d1, &row), E_OK);
    assert_true(row.last_used == t0 + DAY + 1);
    ingest_many(n1, p, 8000, ZDICTS_RETRAIN_EVENTS - 2); /* `early` was one */
    assert_int_equal(zdicts_job_run(n1, NULL), E_OK);
    assert_int_equal(stats(n1).trained, 1);
    ingest_many(n1, p, 9000, 1);
    assert_int_equal(zdicts_job_run(n1, NULL), E_OK);
    assert_int_equal(stats(n1).trained, 2);
    uint32_t d2 = zdicts_current(n1, p, clock_now());
    assert_true(d2 != 0 && d2 != d1);
    /* n2 is due as well: it takes d2 rather than training a third */
    ingest_many(n2, p, 10000, ZDICTS_RETRAIN_EVENTS);
    assert_int_equal(zdicts_job_run(n2, NULL), E_OK);
    assert_int_equal(stats(n2).trained, 0);
    assert_int_equal(stats(n2).adopted, 2);
    assert_int_equal(zdicts_current(n2, p, clock_now()), d2);
    ingest(n2, p, 7002, clock_now(), &late);
    struct zdicts *nodes[] = {n1, n2};
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(check_stored(nodes[i], p, &early), d1);
        assert_int_equal(check_stored(nodes[i], p, &mid), 0);
        assert_int_equal(check_stored(nodes[i], p, &late), d2);
    }
    clock_set_fake(0);
    zdicts_free(n1);
    zdicts_free(n2);
}

/* A dictionary not confirmed for ZDICTS_USE_TTL is not used (bodies are stored without one)
 * until the job confirms it again; one that vanished from the database is dropped, and the
 * job then adopts the project's newest. */
static void test_ttl_and_dropped(void **state)
{
    (void)state;
    const double t0 = clock_now();
    clock_set_fake(t0);
    int64_t p = project("ttl");
    struct zdicts *zd = zdicts_new(T.st);
    ingest_many(zd, p, 0, ZDICTS_MIN_EVENTS);
    assert_int_equal(zdicts_job_run(zd, NULL), E_OK);
    uint32_t d1 = zdicts_current(zd, p, t0);
    assert_int_not_equal(d1, 0);
    const double t1 = t0 + ZDICTS_USE_TTL + 1;
    clock_set_fake(t1);
    assert_int_equal(zdicts_current(zd, p, t1), 0);
    struct stored s;
    ingest(zd, p, 500, t1, &s);
    assert_int_equal(check_stored(zd, p, &s), 0);
    assert_int_equal(zdicts_job_run(zd, NULL), E_OK);
    assert_int_equal(zdicts_current(zd, p, t1), d1);
    ingest(zd, p, 501, t1, &s);
    assert_int_equal(check_stored(zd, p, &s), d1);

    /* another node's newer dictionary, then d1 pruned as unused long ago */
    clock_set_fake(t1 + 1);
    const uint32_t d2 = d1 < PROTO_ZDICT_ID_MAX ? d1 + 1 : d1 - 1;
    struct buf samples, dict;
    size_t sizes[200];
    buf_init(&samples, 4 * MIB);
    buf_init(&dict, 0);
    for (unsigned k = 0; k < 200; k++) {
        const char *j = event_json(k);
        sizes[k] = strlen(j);
        assert_int_equal(buf_append(&samples, j, sizes[k]), E_OK);
    }
    assert_int_equal(proto_zdict_train(samples.p, sizes, 200, ZDICTS_DICT_MAX, 1, d2, &dict, NULL),
                     E_OK);
    buf_free(&samples);
    assert_int_equal(store_zdict_insert(T.st, p, d2, t1 + 1, dict.p, dict.len, NULL), E_OK);
    int64_t n = 0;
    assert_int_equal(store_zdict_prune(T.st, t1 + 2, &n), E_OK);
    assert_int_equal(n, 1);
    /* zd finds out at its next confirmation, drops d1, then adopts the newest */
    clock_set_fake(t1 + ZDICTS_TOUCH_EVERY + 2);
    assert_int_equal(zdicts_job_run(zd, NULL), E_OK);
    assert_int_equal(stats(zd).dropped, 1);
    assert_int_equal(zdicts_current(zd, p, clock_now()), 0);
    assert_int_equal(zdicts_job_run(zd, NULL), E_OK);
    assert_int_equal(stats(zd).adopted, 1);
    assert_int_equal(zdicts_current(zd, p, clock_now()), d2);
    buf_free(&dict);
    clock_set_fake(0);
    zdicts_free(zd);
}

/* The facets job reads tags out of bodies with a dictionary through the registry. */
static void test_facets_decode(void **state)
{
    (void)state;
    int64_t p = project("facets");
    struct zdicts *zd = zdicts_new(T.st);
    ingest_many(zd, p, 0, ZDICTS_MIN_EVENTS);
    assert_int_equal(zdicts_job_run(zd, NULL), E_OK);
    const char *json = event_json(3);
    struct buf z;
    buf_init(&z, 0);
    assert_int_equal(zdicts_compress(zd, p, clock_now(), json, strlen(json), &z), E_OK);
    assert_int_not_equal(proto_zstd_frame_dict(z.p, z.len), 0);
    struct store_facets_tag *tags;
    size_t n = 0;
    struct facets_scratch with, without;
    facets_scratch_init(&with, zd);
    facets_scratch_init(&without, NULL);
    assert_int_equal(facets_decode(A, z.p, z.len, &tags, &n, &with), E_OK);
    assert_int_equal(n, 3);
    assert_string_equal(tags[0].value, "Firefox 103");
    assert_string_equal(tags[1].value, "web-3");
    assert_string_equal(tags[2].key, "user.id");
    assert_string_equal(tags[2].value, "3");
    assert_int_not_equal(facets_decode(A, z.p, z.len, &tags, &n, &without), E_OK);
    facets_scratch_free(&with);
    facets_scratch_free(&without);
    buf_free(&z);
    zdicts_free(zd);
}

/* A body naming a dictionary the database does not have: E_NOTFOUND, also when asked again
 * (then from the registry's memory of missing IDs), and nothing cached. */
static void test_unknown_dictionary(void **state)
{
    (void)state;
    struct buf samples, dict, z, out;
    size_t sizes[200];
    buf_init(&samples, 4 * MIB);
    buf_init(&dict, 0);
    for (unsigned k = 0; k < 200; k++) {
        const char *j = event_json(k);
        sizes[k] = strlen(j);
        assert_int_equal(buf_append(&samples, j, sizes[k]), E_OK);
    }
    assert_int_equal(
        proto_zdict_train(samples.p, sizes, 200, ZDICTS_DICT_MAX, 1, 99999, &dict, NULL), E_OK);
    ZSTD_CDict *cd = proto_zdict_cdict(dict.p, dict.len, 1);
    buf_init(&z, 0);
    const char *json = event_json(1);
    assert_int_equal(proto_zstd_compress_dict(json, strlen(json), cd, &z), E_OK);
    struct zdicts *zd = zdicts_new(T.st);
    for (int i = 0; i < 3; i++) {
        buf_init(&out, LIMIT_EVENT_SIZE);
        assert_int_equal(zdicts_decompress(zd, z.p, z.len, out.max, &out, NULL), E_NOTFOUND);
        buf_free(&out);
    }
    assert_int_equal(stats(zd).ddict_loads, 0);
    zdicts_free(zd);
    ZSTD_freeCDict(cd);
    buf_free(&z);
    buf_free(&dict);
    buf_free(&samples);
}

/* A deleted project takes its dictionaries with it; after zdicts_clear() nothing compresses
 * with them any more, also not a new project that gets the deleted one's id (SQLite reuses
 * the newest row's id), which starts from nothing. */
static void test_clear_after_delete(void **state)
{
    (void)state;
    int64_t p = project("doomed");
    struct zdicts *zd = zdicts_new(T.st);
    ingest_many(zd, p, 0, ZDICTS_MIN_EVENTS);
    assert_int_equal(zdicts_job_run(zd, NULL), E_OK);
    uint32_t d = zdicts_current(zd, p, clock_now());
    assert_int_not_equal(d, 0);
    assert_int_equal(store_project_delete(T.st, p), E_OK);
    struct store_zdict row;
    assert_int_equal(store_zdict_get(T.st, A, d, &row), E_NOTFOUND);
    zdicts_clear(zd);
    assert_int_equal(zdicts_current(zd, p, clock_now()), 0);
    int64_t q = project("reborn");
    struct stored s;
    ingest(zd, q, 1, clock_now(), &s);
    assert_int_equal(check_stored(zd, q, &s), 0);
    assert_int_equal(zdicts_job_run(zd, NULL), E_OK);
    assert_int_equal(zdicts_current(zd, q, clock_now()), 0);
    ingest(zd, q, 2, clock_now(), &s);
    assert_int_equal(check_stored(zd, q, &s), 0);
    assert_int_equal(stats(zd).trained, 1);
    zdicts_clear(NULL);
    zdicts_free(zd);
}

/* ---- many ingest threads while the job retrains ------------------------------------------ */

#define RACE_THREADS 4
#define RACE_BETWEEN 600 /* compressions between two job runs: more than a retrain needs */

static atomic_bool race_stop;
static atomic_uint race_done;

struct race {
    struct zdicts *zd;
    int64_t project;
    unsigned base;
    int bad;
};

static void *race_thread(void *arg)
{
    struct race *r = arg;
    char json[1024];
    for (unsigned i = 0; !atomic_load(&race_stop); i++) {
        int n = snprintf(json, sizeof json, "{\"message\":\"race %u\",\"tags\":[[\"t\",\"%u\"]]}",
                         r->base + i, i % 7);
        struct buf z, out;
        buf_init(&z, 0);
        buf_init(&out, LIMIT_EVENT_SIZE);
        if (zdicts_compress(r->zd, r->project, clock_now(), json, (size_t)n, &z) != E_OK ||
            zdicts_decompress(r->zd, z.p, z.len, out.max, &out, NULL) != E_OK ||
            out.len != (size_t)n || memcmp(out.p, json, out.len) != 0)
            r->bad++;
        buf_free(&z);
        buf_free(&out);
        atomic_fetch_add(&race_done, 1);
    }
    return NULL;
}

static void race_wait(unsigned from)
{
    while (atomic_load(&race_done) < from + RACE_BETWEEN)
        usleep(1000);
}

static void test_concurrent_swaps(void **state)
{
    (void)state;
    const double t0 = clock_now();
    clock_set_fake(t0);
    int64_t p = project("race");
    struct zdicts *zd = zdicts_new(T.st);
    ingest_many(zd, p, 0, ZDICTS_MIN_EVENTS);
    atomic_store(&race_stop, false);
    atomic_store(&race_done, 0);
    pthread_t th[RACE_THREADS];
    struct race rs[RACE_THREADS];
    for (int i = 0; i < RACE_THREADS; i++) {
        rs[i] = (struct race){zd, p, (unsigned)i * 1000000, 0};
        assert_int_equal(pthread_create(&th[i], NULL, race_thread, &rs[i]), 0);
    }
    /* the first dictionary, then two retrains a day apart, while the threads compress */
    uint32_t seen[3] = {0};
    for (int round = 0; round < 3; round++) {
        race_wait(atomic_load(&race_done));
        clock_set_fake(t0 + round * (DAY + 1));
        assert_int_equal(zdicts_job_run(zd, NULL), E_OK);
        seen[round] = zdicts_current(zd, p, clock_now());
    }
    race_wait(atomic_load(&race_done));
    atomic_store(&race_stop, true);
    for (int i = 0; i < RACE_THREADS; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(rs[i].bad, 0);
    }
    assert_int_equal(stats(zd).trained, 3);
    assert_true(seen[0] && seen[1] && seen[2]);
    assert_true(seen[0] != seen[1] && seen[1] != seen[2] && seen[0] != seen[2]);
    clock_set_fake(0);
    zdicts_free(zd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trigger),
        cmocka_unit_test(test_too_few_samples),
        cmocka_unit_test(test_nodes_and_retrain),
        cmocka_unit_test(test_ttl_and_dropped),
        cmocka_unit_test(test_facets_decode),
        cmocka_unit_test(test_unknown_dictionary),
        cmocka_unit_test(test_clear_after_delete),
        cmocka_unit_test(test_concurrent_swaps),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
