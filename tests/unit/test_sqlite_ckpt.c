/* Unit test for the SQLite backend's background checkpointer (src/store/sqlite_ingest.c):
 * under ingest that never pauses, the WAL is copied back and started over again and again
 * by the checkpointer, long before it reaches the size at which the writer would have to
 * checkpoint it itself (16,000 pages). Before the checkpointer finished each round under the
 * writer's lock, continuous ingest never let the WAL restart until that size. SQLite only:
 * the test opens its own database file, and skips the PostgreSQL pass of the suite
 * (SNAG_TEST_DATABASE_URL set), which would only run the same SQLite test again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/arena.h"
#include "core/clock.h"
#include "store/store.h"
#include "helpers/testdb.h"

#define CKPT_BATCH 32
#define CKPT_PAGE 4096
#define CKPT_FRAME (CKPT_PAGE + 24)
#define CKPT_WAL_LIMIT (12000L * CKPT_FRAME) /* well below the writer's 16,000 pages */
#define CKPT_RESTARTS 3
#define CKPT_MAX_SECONDS 60.0

static char tmpdir[256];

/* The WAL header's salts change each time the WAL starts over; 0 when there is no WAL. */
static uint64_t wal_salts(const char *wal, long *size)
{
    unsigned char hdr[32];
    struct stat sb;
    FILE *f = fopen(wal, "rb");
    *size = 0;
    if (!f)
        return 0;
    uint64_t salts = 0;
    if (fstat(fileno(f), &sb) == 0 && fread(hdr, 1, sizeof hdr, f) == sizeof hdr) {
        memcpy(&salts, hdr + 16, sizeof salts);
        *size = (long)sb.st_size;
    }
    fclose(f);
    return salts;
}

/* A batch of events of about 1 KB each, spread over 100 issues, with random event ids. */
static void make_batch(struct arena *a, int64_t project, unsigned long long *seq,
                       struct store_event_in *evs)
{
    static char body[900];
    memset(body, 'x', sizeof body);
    for (int i = 0; i < CKPT_BATCH; i++) {
        unsigned long long n = ++*seq, h = n * 0x9e3779b97f4a7c15ull;
        evs[i] = (struct store_event_in){
            .project_id = project,
            .event_id = arena_printf(a, "%016llx%016llx", h ^ (h >> 29), n),
            .timestamp = clock_now(),
            .received = clock_now(),
            .level = "error",
            .platform = "python",
            .user_key = arena_printf(a, "id:%llu", n % 500),
            .hash = arena_printf(a, "hash-%llu", n % 100),
            .title = "ValueError: bad input",
            .culprit = "app.views",
            .type = "error",
            .metadata_json = "{\"value\":\"bad input\"}",
            .data = body,
            .data_len = sizeof body,
        };
    }
}

static struct store *open_project(int64_t *project)
{
    char url[400];
    struct store *st = NULL;
    struct errinfo ei = {{0}};
    struct arena *a = arena_new(0);
    struct store_org org;
    struct store_team team;
    struct store_project proj;
    int64_t owner = 0;
    snprintf(url, sizeof url, "sqlite://%s/ckpt.db", tmpdir);
    assert_int_equal(store_open(url, &st, &ei), E_OK);
    assert_int_equal(store_migrate(st, &ei), E_OK);
    assert_int_equal(store_user_create(st, "o@example.com", "h", false, &owner, &ei), E_OK);
    assert_int_equal(store_org_create(st, owner, "o", "O", a, &org), E_OK);
    assert_int_equal(store_team_create(st, org.id, "t", "T", a, &team), E_OK);
    assert_int_equal(store_project_create(st, org.id, team.id, "p", "P", "python", a, &proj), E_OK);
    *project = proj.id;
    arena_free(a);
    return st;
}

static void test_wal_restarts_under_continuous_ingest(void **state)
{
    (void)state;
    const char *url = getenv("SNAG_TEST_DATABASE_URL");
    if (url && *url && strncmp(url, "sqlite:", 7) != 0)
        skip();
    int64_t project = 0;
    struct store *st = open_project(&project);
    char wal[300];
    snprintf(wal, sizeof wal, "%s/ckpt.db-wal", tmpdir);
    struct store_event_in evs[CKPT_BATCH];
    struct errinfo ei = {{0}};
    unsigned long long seq = 0;
    long size = 0, largest = 0;
    uint64_t salts = wal_salts(wal, &size);
    int restarts = 0;
    double until = clock_now() + CKPT_MAX_SECONDS;
    while (restarts < CKPT_RESTARTS && largest <= CKPT_WAL_LIMIT && clock_now() < until) {
        struct arena *a = arena_new(0);
        make_batch(a, project, &seq, evs);
        assert_int_equal(store_ingest_batch(st, evs, CKPT_BATCH, &ei), E_OK);
        arena_free(a);
        uint64_t now = wal_salts(wal, &size);
        restarts += salts != 0 && now != salts;
        salts = now;
        largest = size > largest ? size : largest;
    }
    printf("# %llu events, %d WAL restarts, largest WAL %ld pages\n", seq, restarts,
           largest / CKPT_FRAME);
    assert_true(largest <= CKPT_WAL_LIMIT);
    assert_int_equal(restarts, CKPT_RESTARTS);
    assert_int_equal(store_event_count(st, project), (int64_t)seq);
    store_close(st);
}

static int setup(void **state)
{
    (void)state;
    const char *t = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/snag-ckpt-XXXXXX", t && *t ? t : "/tmp");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return testdb_rmtree(tmpdir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wal_restarts_under_continuous_ingest),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
