/* Unit tests for src/api/writer.c against a real store (a fresh SQLite or PostgreSQL database
 * from helpers/testdb.h): every submitted job
 * is answered exactly once, committed events are readable, and an event the database refuses
 * fails alone instead of failing the batch it was committed with. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/writer.h"
#include "core/ids.h"
#include "helpers/testdb.h"
#include "store/store.h"

#define JOBS 400
#define BAD_EVERY 10

struct result {
    pthread_mutex_t mu;
    int answered, ok, failed;
};

struct tjob {
    struct writer_job job;
    char event_id[33];
    struct result *res;
    int calls;
};

static void tjob_done(struct writer_job *job, enum err result)
{
    struct tjob *t = job->ctx;
    pthread_mutex_lock(&t->res->mu);
    t->calls++;
    t->res->answered++;
    if (result)
        t->res->failed++;
    else
        t->res->ok++;
    pthread_mutex_unlock(&t->res->mu);
}

static void test_writer_isolates_a_refused_event(void **state)
{
    (void)state;
    assert_int_equal(ids_init(), 0);
    struct testdb db;
    const char *url = testdb_open(&db);
    assert_non_null(url);
    struct store *st;
    assert_int_equal(store_open(url, &st, NULL), E_OK);
    assert_int_equal(store_migrate(st, NULL), E_OK);
    struct arena *a = arena_new(0);
    int64_t uid;
    struct store_org org;
    struct store_team team;
    struct store_project proj;
    assert_int_equal(store_user_create(st, "w@example.com", "x", true, &uid, NULL), E_OK);
    assert_int_equal(store_org_create(st, uid, "o", "o", a, &org), E_OK);
    assert_int_equal(store_team_create(st, org.id, "t", "t", a, &team), E_OK);
    assert_int_equal(store_project_create(st, org.id, team.id, "p", "p", NULL, a, &proj), E_OK);

    struct result res = {.mu = PTHREAD_MUTEX_INITIALIZER};
    struct tjob *jobs = calloc(JOBS, sizeof *jobs);
    struct writer *w = writer_start(st);
    for (int i = 0; i < JOBS; i++) {
        struct tjob *t = &jobs[i];
        ids_uuid4_hex(t->event_id);
        t->res = &res;
        t->job.ctx = t;
        t->job.done = tjob_done;
        t->job.ev =
            (struct store_event_in){/* every tenth event names a project that does not exist */
                                    .project_id = i % BAD_EVERY == 0 ? proj.id + 1000 : proj.id,
                                    .event_id = t->event_id,
                                    .timestamp = 1795593600.0 + i,
                                    .received = 1795593600.0 + i,
                                    .level = "error",
                                    .platform = "python",
                                    .hash = "0123456789abcdef0123456789abcdef",
                                    .title = "T",
                                    .culprit = "c",
                                    .type = "error",
                                    .metadata_json = "{}",
                                    .data = "x",
                                    .data_len = 1};
        assert_int_equal(writer_submit(w, &t->job), E_OK);
    }
    writer_stop(w); /* drains the queue */
    assert_int_equal(res.answered, JOBS);
    for (int i = 0; i < JOBS; i++)
        assert_int_equal(jobs[i].calls, 1);
    assert_int_equal(res.failed, JOBS / BAD_EVERY);
    assert_int_equal(res.ok, JOBS - JOBS / BAD_EVERY);
    assert_int_equal(store_event_count(st, proj.id), JOBS - JOBS / BAD_EVERY);
    free(jobs);
    arena_free(a);
    store_close(st);
    assert_int_equal(testdb_close(&db), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_writer_isolates_a_refused_event),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
