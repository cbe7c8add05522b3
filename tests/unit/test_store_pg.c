/* PostgreSQL-only storage tests, through store.h: two processes ingesting the same new groups
 * at once on one database, an issue deleted while a batch is on its way to it, deleting a
 * project with its event ids (no foreign keys there: 0009_ingest_fks.sql), riding out a
 * database restart, and a fast shutdown under a stream of batches. Skipped unless
 * SNAG_TEST_DATABASE_URL is a postgres:// URL; the restart test also needs the server that
 * scripts/pg.sh started (SNAG_TEST_PG_DIR, SNAG_TEST_PG_PORT), which it stops and starts
 * again — so run it alone against its own server (scripts/test.sh does). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/arena.h"
#include "helpers/testdb.h"
#include "store/store.h"

static const char *db_url;
static char run_tag[32];

/* ---- helpers ---------------------------------------------------------------------------- */

static struct store *open_store(void)
{
    struct store *st = NULL;
    struct errinfo ei = {{0}};
    if (store_open(db_url, &st, &ei) || store_migrate(st, &ei)) {
        fprintf(stderr, "store: %s\n", ei.detail);
        store_close(st);
        return NULL;
    }
    return st;
}

/* A fresh user, org, team and project named after name; returns the project id. */
static int64_t make_project(struct store *st, struct arena *a, const char *name)
{
    struct errinfo ei = {{0}};
    struct store_org o;
    struct store_team t;
    struct store_project p;
    int64_t uid = 0;
    const char *tag = arena_printf(a, "%s-%s", name, run_tag);
    assert_int_equal(
        store_user_create(st, arena_printf(a, "%s@example.com", tag), "h", false, &uid, &ei), E_OK);
    assert_int_equal(store_org_create(st, uid, tag, name, a, &o), E_OK);
    assert_int_equal(store_team_create(st, o.id, "team", "Team", a, &t), E_OK);
    assert_int_equal(store_project_create(st, o.id, t.id, name, name, NULL, a, &p), E_OK);
    return p.id;
}

static struct store_event_in make_event(struct arena *a, int64_t project, const char *event_id,
                                        const char *hash, double ts, const char *user)
{
    return (struct store_event_in){
        .project_id = project,
        .event_id = arena_strdup(a, event_id),
        .timestamp = ts,
        .received = ts,
        .level = "error",
        .user_key = user,
        .hash = hash,
        .title = arena_printf(a, "Error %s", hash),
        .culprit = "app",
        .type = "error",
        .metadata_json = "{}",
        .data = "payload",
        .data_len = 7,
    };
}

static int setup(void **state)
{
    (void)state;
    snprintf(run_tag, sizeof run_tag, "%lx%x", (unsigned long)time(NULL), (unsigned)getpid());
    db_url = getenv("SNAG_TEST_DATABASE_URL");
    if (db_url && strncmp(db_url, "postgres", 8) != 0)
        db_url = NULL;
    if (db_url && !*db_url)
        db_url = NULL;
    return 0;
}

/* ---- two processes, same new groups ----------------------------------------------------- */

enum { GROUPS = 12, ROUNDS = 15, PER = 40, SHARED = 4 };

/* Each batch: PER own events over all groups (in an order that differs per writer, so
 * their locks would cross if the backend did not order them) plus SHARED event ids that
 * both writers send, of which only one copy may count. Users depend on i only: every
 * group sees u0, u1 and u2. */
static int writer_main(int64_t project, int who, int start_fd)
{
    char c;
    struct store *st = open_store();
    if (!st || read(start_fd, &c, 1) < 0)
        return 2;
    int rc = 0;
    for (int r = 0; r < ROUNDS && !rc; r++) {
        struct arena *a = arena_new(0);
        struct store_event_in evs[PER + SHARED];
        for (int i = 0; i < PER + SHARED; i++) {
            int g = who ? (GROUPS - 1 - i % GROUPS) : i % GROUPS;
            char eid[33];
            if (i < PER)
                snprintf(eid, sizeof eid, "%08x%08x%016x", (unsigned)who + 1, (unsigned)r,
                         (unsigned)i);
            else
                snprintf(eid, sizeof eid, "ffffffff%08x%016x", (unsigned)r, (unsigned)i);
            evs[i] = make_event(a, project, eid, arena_printf(a, "g%d", g), 1000.0 + r,
                                arena_printf(a, "u%d", i / GROUPS % 3));
        }
        struct errinfo ei = {{0}};
        enum err e = store_ingest_batch(st, evs, PER + SHARED, &ei);
        if (e) {
            fprintf(stderr, "writer %d round %d: %s: %s\n", who, r, err_name(e), ei.detail);
            rc = 1;
        }
        arena_free(a);
    }
    store_close(st);
    return rc;
}

static void check_groups(struct store *st, struct arena *a, int64_t project)
{
    struct store_project p;
    assert_int_equal(store_project_by_id(st, a, project, &p), E_OK);
    struct store_issue_search q = {
        .org_id = p.org_id, .project_ids = &project, .nprojects = 1, .limit = 100};
    struct store_issue *rows;
    size_t n;
    bool more;
    assert_int_equal(store_issue_search(st, a, &q, &rows, &n, &more), E_OK);
    assert_int_equal(n, GROUPS);
    bool seen[GROUPS + 1] = {false};
    int64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        assert_true(rows[i].short_num >= 1 && rows[i].short_num <= GROUPS);
        assert_false(seen[rows[i].short_num]); /* no gaps, no duplicates */
        seen[rows[i].short_num] = true;
        assert_int_equal(rows[i].user_count, 3); /* u0, u1, u2 in every group */
        total += rows[i].count;
    }
    int64_t expected = 2 * ROUNDS * PER + ROUNDS * SHARED;
    assert_int_equal(total, expected);
    assert_int_equal(store_event_count(st, project), expected);
}

static void test_two_processes_same_new_groups(void **state)
{
    (void)state;
    if (!db_url)
        skip();
    struct store *st = open_store();
    assert_non_null(st);
    struct arena *a = arena_new(0);
    int64_t project = make_project(st, a, "twoproc");
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid[2];
    for (int w = 0; w < 2; w++) {
        pid[w] = fork();
        assert_true(pid[w] >= 0);
        if (pid[w] == 0) { /* never touch the parent's connections: _exit, no cleanup */
            close(fds[1]);
            _exit(writer_main(project, w, fds[0]));
        }
    }
    close(fds[0]);
    close(fds[1]); /* both writers start now */
    for (int w = 0; w < 2; w++) {
        int status = 0;
        assert_int_equal(waitpid(pid[w], &status, 0), pid[w]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    check_groups(st, a, project);
    arena_free(a);
    store_close(st);
}

/* ---- an issue gone while a batch is on its way to it ------------------------------------ */

static PGconn *raw_connect(void)
{
    PGconn *c = PQconnectdb(db_url);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    return c;
}

/* The first value of sql's first row as an integer (-1 when there is none). */
static long long raw_int(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    long long v = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0
                      ? strtoll(PQgetvalue(r, 0, 0), NULL, 10)
                      : -1;
    PQclear(r);
    return v;
}

static void raw_ok(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
        fprintf(stderr, "%s: %s", sql, PQerrorMessage(c));
    assert_true(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK);
    PQclear(r);
}

struct ingest_call {
    struct store *st;
    struct store_event_in *ev;
    enum err e;
};

static void *ingest_thread(void *arg)
{
    struct ingest_call *c = arg;
    struct errinfo ei = {{0}};
    c->e = store_ingest_batch(c->st, c->ev, 1, &ei);
    return NULL;
}

/* Runs a batch of ev on st while raw holds issue's row lock, deletes the issue once the
 * batch waits for that lock, and returns the batch's outcome. */
static enum err batch_while_issue_deleted(struct store *st, PGconn *raw, struct arena *a,
                                          int64_t issue, struct store_event_in *ev)
{
    raw_ok(raw, "BEGIN");
    raw_ok(raw,
           arena_printf(a, "SELECT id FROM issues WHERE id = %lld FOR UPDATE", (long long)issue));
    struct ingest_call call = {.st = st, .ev = ev};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, ingest_thread, &call), 0);
    const char *waiting = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = "
                          "'Lock' AND datname = current_database()";
    for (int tries = 0; tries < 200 && raw_int(raw, waiting) < 1; tries++)
        usleep(10 * 1000);
    assert_int_equal(raw_int(raw, waiting), 1);
    raw_ok(raw, arena_printf(a, "DELETE FROM issues WHERE id = %lld", (long long)issue));
    raw_ok(raw, "COMMIT");
    assert_int_equal(pthread_join(t, NULL), 0);
    return call.e;
}

static int64_t events_of_issue(PGconn *raw, struct arena *a, int64_t issue)
{
    return raw_int(raw, arena_printf(a, "SELECT count(*) FROM events WHERE issue_id = %lld",
                                     (long long)issue));
}

/* The issue of a batch is deleted while the batch waits for its row lock. A writer that
 * looked the issue up in this batch fails it as retryable and leaves nothing behind (no event
 * pointing at the deleted issue), and the retry opens a new issue. A writer that went by its
 * memory of the issue (the fast path) rolls back and looks again at once: the event goes to a
 * new issue in the same call. */
static void test_issue_deleted_under_a_batch(void **state)
{
    (void)state;
    if (!db_url)
        skip();
    struct store *st = open_store();
    assert_non_null(st);
    struct arena *a = arena_new(0);
    struct errinfo ei = {{0}};
    int64_t project = make_project(st, a, "gone");
    struct store_event_in first =
        make_event(a, project, "000000000000000000000000000000a1", "h", 1000.0, "u1");
    assert_int_equal(store_ingest_batch(st, &first, 1, &ei), E_OK);
    PGconn *raw = raw_connect();

    struct store *cold = open_store(); /* remembers no issue: looks "h" up */
    assert_non_null(cold);
    struct store_event_in next =
        make_event(a, project, "000000000000000000000000000000a2", "h", 1001.0, "u2");
    assert_int_equal(batch_while_issue_deleted(cold, raw, a, first.issue_id, &next), E_UNAVAILABLE);
    assert_int_equal(events_of_issue(raw, a, first.issue_id), 0);
    assert_int_equal(store_event_count(st, project), 0);
    next.duplicate = false;
    next.issue_id = 0;
    assert_int_equal(store_ingest_batch(cold, &next, 1, &ei), E_OK); /* the SDK's retry */
    assert_false(next.duplicate);
    assert_true(next.issue_id != first.issue_id);
    assert_int_equal(store_event_count(st, project), 1);
    store_close(cold);

    /* st remembers "h" as the first issue, which is gone: */
    struct store_event_in third =
        make_event(a, project, "000000000000000000000000000000a3", "h", 1002.0, "u3");
    assert_int_equal(store_ingest_batch(st, &third, 1, &ei), E_OK);
    assert_int_equal(third.issue_id, next.issue_id);
    /* and now remembers next's issue: */
    struct store_event_in fourth =
        make_event(a, project, "000000000000000000000000000000a4", "h", 1003.0, "u4");
    assert_int_equal(batch_while_issue_deleted(st, raw, a, next.issue_id, &fourth), E_OK);
    assert_false(fourth.duplicate);
    assert_true(fourth.issue_id != next.issue_id && fourth.issue_id != first.issue_id);
    assert_int_equal(events_of_issue(raw, a, next.issue_id), 0);
    assert_int_equal(events_of_issue(raw, a, fourth.issue_id), 1);
    assert_int_equal(store_event_count(st, project), 1);
    PQfinish(raw);
    arena_free(a);
    store_close(st);
}

/* ---- a project deleted with its event ids ----------------------------------------------- */

static void test_project_delete_takes_event_ids(void **state)
{
    (void)state;
    if (!db_url)
        skip();
    struct store *st = open_store();
    assert_non_null(st);
    struct arena *a = arena_new(0);
    struct errinfo ei = {{0}};
    int64_t project = make_project(st, a, "projdel");
    struct store_event_in evs[] = {
        make_event(a, project, "000000000000000000000000000000b1", "p", 1000.0, "u1"),
        make_event(a, project, "000000000000000000000000000000b2", "q", 1001.0, "u2")};
    assert_int_equal(store_ingest_batch(st, evs, 2, &ei), E_OK);
    PGconn *raw = raw_connect();
    const char *ids = arena_printf(a, "SELECT count(*) FROM event_ids WHERE project_id = %lld",
                                   (long long)project);
    const char *events =
        arena_printf(a, "SELECT count(*) FROM events WHERE project_id = %lld", (long long)project);
    const char *users =
        arena_printf(a, "SELECT count(*) FROM issue_users WHERE issue_id IN (%lld, %lld)",
                     (long long)evs[0].issue_id, (long long)evs[1].issue_id);
    assert_int_equal(raw_int(raw, ids), 2);
    assert_int_equal(raw_int(raw, events), 2);
    assert_int_equal(raw_int(raw, users), 2);
    assert_int_equal(store_project_delete(st, project), E_OK);
    assert_int_equal(raw_int(raw, ids), 0);
    assert_int_equal(raw_int(raw, events), 0);
    assert_int_equal(raw_int(raw, users), 0);
    PQfinish(raw);
    arena_free(a);
    store_close(st);
}

/* ---- connection loss -------------------------------------------------------------------- */

/* For a test that stops and starts the server: its folder and port (SNAG_TEST_PG_DIR,
 * SNAG_TEST_PG_PORT) and an open store on it; skips the test when either is not given. */
static struct store *open_restartable(const char **dir, const char **port)
{
    *dir = getenv("SNAG_TEST_PG_DIR");
    *port = getenv("SNAG_TEST_PG_PORT");
    if (!db_url || !*dir || !**dir || !*port || !**port)
        skip();
    struct store *st = open_store();
    assert_non_null(st);
    return st;
}

/* Starts the stopped server again and waits (up to 10 s) until st reaches it. */
static void start_and_reach(struct store *st, const char *dir, const char *port)
{
    assert_int_equal(testdb_pg_script("start", dir, port), 0);
    enum err e = E_UNAVAILABLE;
    for (int tries = 0; tries < 100 && e; tries++) {
        e = store_ping(st);
        if (e)
            usleep(100 * 1000);
    }
    assert_int_equal(e, E_OK);
}

static void test_connection_loss_and_recovery(void **state)
{
    (void)state;
    const char *dir = NULL, *port = NULL;
    struct store *st = open_restartable(&dir, &port);
    struct arena *a = arena_new(0);
    struct errinfo ei = {{0}};
    int64_t project = make_project(st, a, "restart");
    struct store_event_in ev =
        make_event(a, project, "0000000000000000000000000000aaaa", "r", 1000.0, "u1");
    assert_int_equal(store_ingest_batch(st, &ev, 1, &ei), E_OK);
    int64_t issue = ev.issue_id;

    assert_int_equal(testdb_pg_script("stop", dir, NULL), 0);
    struct store_event_in down =
        make_event(a, project, "0000000000000000000000000000bbbb", "r", 1100.0, "u2");
    struct store_issue i;
    for (int round = 0; round < 2; round++) { /* lost connections, then refused reconnects */
        assert_int_equal(store_ping(st), E_UNAVAILABLE);
        assert_int_equal(store_ingest_batch(st, &down, 1, &ei), E_UNAVAILABLE);
        assert_int_equal(store_issue_by_id(st, a, issue, &i), E_UNAVAILABLE);
        assert_int_equal(store_user_count(st), -1);
    }

    start_and_reach(st, dir, port);
    /* the same store handle works again: reads, and the ingest writer's connection */
    assert_int_equal(store_issue_by_id(st, a, issue, &i), E_OK);
    assert_int_equal(i.count, 1);
    assert_int_equal(store_ingest_batch(st, &down, 1, &ei), E_OK);
    assert_false(down.duplicate);
    assert_int_equal(store_issue_by_id(st, a, issue, &i), E_OK);
    assert_int_equal(i.count, 2);
    assert_int_equal(i.user_count, 2);
    assert_int_equal(store_event_count(st, project), 2);
    arena_free(a);
    store_close(st);
}

/* ---- a shutdown under a stream of batches ----------------------------------------------- */

#define STREAM_BATCH 32

struct stream {
    struct store *st;
    int64_t project;
    atomic_bool stop;
    uint32_t next_id;
    int64_t acked; /* events of the batches answered E_OK */
    int refused;   /* batches answered otherwise */
};

/* Ingests batches of fresh events until told to stop: every other batch over four known
 * groups, the others over four new ones. */
static void *stream_thread(void *arg)
{
    struct stream *s = arg;
    while (!atomic_load(&s->stop)) {
        struct arena *a = arena_new(0);
        struct store_event_in evs[STREAM_BATCH];
        struct errinfo ei = {{0}};
        for (size_t i = 0; i < STREAM_BATCH; i++) {
            uint32_t id = s->next_id++;
            /* every other batch opens new groups: the writer's usual path, else the fast one */
            const char *hash = (id / STREAM_BATCH) % 2 ? arena_printf(a, "n%u", (unsigned)(id / 8))
                                                       : arena_printf(a, "s%u", (unsigned)(id % 4));
            evs[i] = make_event(a, s->project, arena_printf(a, "%032x", (unsigned)id), hash,
                                2000.0 + id, arena_printf(a, "u%u", (unsigned)(id % 7)));
        }
        if (store_ingest_batch(s->st, evs, STREAM_BATCH, &ei) == E_OK)
            s->acked += STREAM_BATCH;
        else
            s->refused++;
        arena_free(a);
        if (s->refused && !atomic_load(&s->stop))
            usleep(5 * 1000); /* the server is away: do not spin */
    }
    return NULL;
}

/* Stops the server (fast shutdown) while a thread ingests batch after batch, several times:
 * in the end exactly the acknowledged events are stored. A batch whose COMMIT was answered
 * counts even when the session ends right after (COMMIT ends the writes' pipeline, on both
 * paths); one refused is not stored. */
static void test_shutdown_under_a_stream(void **state)
{
    (void)state;
    const char *dir = NULL, *port = NULL;
    struct store *st = open_restartable(&dir, &port);
    struct arena *a = arena_new(0);
    struct stream s = {.st = st, .project = make_project(st, a, "stream")};
    atomic_init(&s.stop, false);
    int refused_total = 0;
    for (int round = 0; round < 6; round++) {
        pthread_t t;
        s.refused = 0;
        atomic_store(&s.stop, false);
        assert_int_equal(pthread_create(&t, NULL, stream_thread, &s), 0);
        usleep((useconds_t)(150 + 37 * round) * 1000);
        assert_int_equal(testdb_pg_script("stop", dir, NULL), 0);
        usleep(50 * 1000);
        start_and_reach(st, dir, port);
        usleep(100 * 1000); /* batches flow again */
        atomic_store(&s.stop, true);
        assert_int_equal(pthread_join(t, NULL), 0);
        refused_total += s.refused;
    }
    print_message("    %lld events acknowledged, %d batches refused\n", (long long)s.acked,
                  refused_total);
    assert_true(refused_total > 0); /* the stops did come in the middle of the stream */
    assert_int_equal(store_event_count(st, s.project), s.acked);
    arena_free(a);
    store_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_processes_same_new_groups),
        cmocka_unit_test(test_issue_deleted_under_a_batch),
        cmocka_unit_test(test_project_delete_takes_event_ids),
        cmocka_unit_test(test_connection_loss_and_recovery),
        cmocka_unit_test(test_shutdown_under_a_stream),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
