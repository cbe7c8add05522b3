/* Tests of the background jobs: the scheduler's timing (driven by hand with explicit
 * times, and as a thread that must stop promptly) and the retention job — events, then the
 * compression dictionaries no kept event can need — with a fake clock (core/clock.h
 * clock_set_fake) on a fresh SQLite or PostgreSQL database (helpers/testdb.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/clock.h"
#include "helpers/testdb.h"
#include "store/store.h"
#include "worker/retention.h"
#include "worker/scheduler.h"

/* ---- the scheduler ---------------------------------------------------------------------- */

struct counter {
    int runs;
    enum err result;
};

static enum err count_job(void *arg, const atomic_bool *stop)
{
    struct counter *c = arg;
    (void)stop;
    c->runs++;
    return c->result;
}

static void test_scheduler_timing(void **state)
{
    (void)state;
    struct counter ok = {0, E_OK}, bad = {0, E_UNAVAILABLE};
    const struct sched_job jobs[] = {{"ok", 100, 10, count_job, &ok},
                                     {"bad", 100, 10, count_job, &bad}};
    static const struct {
        double now;
        int ok_runs, bad_runs;
    } steps[] = {
        {1000, 1, 1},               /* everything runs at start */
        {1005, 1, 1},               /* nothing due */
        {1010, 1, 2},               /* the failed job retries after 10 s */
        {1099, 1, 3},               /* bad was due at 1020 (and fails again); ok is due at 1100 */
        {1100, 2, 3}, {1300, 3, 4}, /* a late look runs each job once, not once per missed period */
    };
    struct scheduler *s = scheduler_new(jobs, 2);
    for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
        scheduler_run_due(s, steps[i].now);
        assert_int_equal(ok.runs, steps[i].ok_runs);
        assert_int_equal(bad.runs, steps[i].bad_runs);
    }
    unsigned long failures = 0;
    assert_int_equal(scheduler_runs(s, 1, &failures), 4);
    assert_int_equal(failures, 4);
    scheduler_stop(s);
}

struct slow {
    atomic_int runs;
    atomic_bool saw_stop;
};

/* Runs until asked to stop, like a long retention run. */
static enum err slow_job(void *arg, const atomic_bool *stop)
{
    struct slow *sl = arg;
    atomic_fetch_add(&sl->runs, 1);
    for (int i = 0; i < 1000 && !atomic_load(stop); i++)
        usleep(10000);
    atomic_store(&sl->saw_stop, atomic_load(stop));
    return E_OK;
}

static void test_scheduler_thread_stops(void **state)
{
    (void)state;
    struct slow sl;
    atomic_init(&sl.runs, 0);
    atomic_init(&sl.saw_stop, false);
    const struct sched_job job = {"slow", 3600, 60, slow_job, &sl};
    struct scheduler *s = scheduler_new(&job, 1);
    assert_int_equal(scheduler_start(s), 0);
    for (int i = 0; i < 500 && atomic_load(&sl.runs) == 0; i++)
        usleep(10000);
    assert_int_equal(atomic_load(&sl.runs), 1);
    double t0 = clock_mono();
    scheduler_stop(s); /* interrupts the running job */
    assert_true(clock_mono() - t0 < 2.0);
    assert_true(atomic_load(&sl.saw_stop));

    /* an idle scheduler (nothing due for an hour) stops at once too */
    struct counter c = {0, E_OK};
    const struct sched_job idle = {"idle", 3600, 60, count_job, &c};
    s = scheduler_new(&idle, 1);
    assert_int_equal(scheduler_start(s), 0);
    for (int i = 0; i < 500 && c.runs == 0; i++)
        usleep(10000);
    t0 = clock_mono();
    scheduler_stop(s);
    assert_true(clock_mono() - t0 < 2.0);
    assert_int_equal(c.runs, 1);
}

/* ---- the retention job ------------------------------------------------------------------ */

static struct store_event_in event_at(int64_t project, const char *id, const char *hash,
                                      double received)
{
    return (struct store_event_in){.project_id = project,
                                   .event_id = id,
                                   .timestamp = received,
                                   .received = received,
                                   .level = "error",
                                   .hash = hash,
                                   .title = hash,
                                   .data = id,
                                   .data_len = 32};
}

static void test_retention_job_fake_clock(void **state)
{
    (void)state;
    struct testdb db;
    const char *url = testdb_open(&db);
    assert_non_null(url);
    struct store *st = NULL;
    struct errinfo ei = {{0}};
    assert_int_equal(store_open(url, &st, &ei), E_OK);
    assert_int_equal(store_migrate(st, &ei), E_OK);
    struct arena *a = arena_new(0);
    struct store_org o;
    struct store_team t;
    struct store_project p;
    int64_t uid = 0;
    assert_int_equal(store_user_create(st, "w@example.com", "h", false, &uid, &ei), E_OK);
    assert_int_equal(store_org_create(st, uid, "w", "W", a, &o), E_OK);
    assert_int_equal(store_team_create(st, o.id, "t", "T", a, &t), E_OK);
    assert_int_equal(store_project_create(st, o.id, t.id, "p", "P", NULL, a, &p), E_OK);

    const double now = 1.8e9, day = 86400;
    struct store_event_in evs[] = {
        event_at(p.id, "00000000000000000000000000000001", "old", now - 100 * day),
        event_at(p.id, "00000000000000000000000000000002", "old", now - 95 * day),
        event_at(p.id, "00000000000000000000000000000003", "new", now - 10 * day),
    };
    assert_int_equal(store_ingest_batch(st, evs, 3, &ei), E_OK);
    /* compression dictionaries: A superseded and unused for 200 days, B superseded but used
     * 89 days ago (kept events may need it), C the newest (never pruned) */
    assert_int_equal(store_zdict_insert(st, p.id, 60001, now - 200 * day, "A", 1, NULL), E_OK);
    assert_int_equal(store_zdict_insert(st, p.id, 60002, now - 150 * day, "B", 1, NULL), E_OK);
    assert_int_equal(store_zdict_insert(st, p.id, 60003, now - 100 * day, "C", 1, NULL), E_OK);
    assert_int_equal(store_zdict_touch(st, 60002, now - 89 * day), E_OK);
    struct store_zdict z;

    /* through the scheduler, as serve runs it: days from the configuration, now from the
     * clock, batches of one row */
    struct retention_job job = {.st = st, .days = 90, .batch = 1};
    const struct sched_job sj = {"retention", RETENTION_EVERY, RETENTION_RETRY, retention_job_run,
                                 &job};
    struct scheduler *s = scheduler_new(&sj, 1);
    clock_set_fake(now);
    assert_int_equal(scheduler_run_due(s, clock_now()), 1);
    assert_int_equal(job.last.events_deleted, 2);
    assert_int_equal(job.last.issues_deleted, 1);
    assert_int_equal(store_event_count(st, p.id), 1);
    struct store_issue i;
    assert_int_equal(store_issue_by_id(st, a, evs[0].issue_id, &i), E_NOTFOUND);
    assert_int_equal(job.zdicts_pruned, 1);
    assert_int_equal(store_zdict_get(st, a, 60001, &z), E_NOTFOUND);
    assert_int_equal(store_zdict_get(st, a, 60002, &z), E_OK);
    assert_int_equal(store_zdict_get(st, a, 60003, &z), E_OK);

    /* 81 days on, the last event is 91 days old: the next daily run removes it */
    clock_set_fake(now + 81 * day);
    assert_int_equal(scheduler_run_due(s, clock_now()), 1);
    assert_int_equal(job.last.events_deleted, 1);
    assert_int_equal(store_event_count(st, p.id), 0);
    assert_int_equal(store_issue_by_id(st, a, evs[2].issue_id, &i), E_NOTFOUND);
    assert_int_equal(job.zdicts_pruned, 1); /* B's events are gone now */
    assert_int_equal(store_zdict_get(st, a, 60002, &z), E_NOTFOUND);
    assert_int_equal(store_zdict_get(st, a, 60003, &z), E_OK);
    /* partition maintenance succeeds on both (on SQLite there is nothing to do) */
    assert_int_equal(retention_job_partitions(&job, NULL), E_OK);
    clock_set_fake(0);

    scheduler_stop(s);
    arena_free(a);
    store_close(st);
    assert_int_equal(testdb_close(&db), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scheduler_timing),
        cmocka_unit_test(test_scheduler_thread_stops),
        cmocka_unit_test(test_retention_job_fake_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
