/* Live updates across nodes on PostgreSQL (store_live_listen and the ingest's NOTIFY), with
 * two store handles on one database standing for two nodes: a batch committed on one reaches
 * the other's listener — only the new events, title and level included —, never its own; a
 * batch too large for one notification arrives whole, split; a rolled-back batch sends
 * nothing; the listener rides out a database restart and says it may have missed events.
 * SQLite answers E_UNSUPPORTED. Skipped without a postgres:// SNAG_TEST_DATABASE_URL; the
 * restart test also needs scripts/pg.sh's server (SNAG_TEST_PG_DIR, SNAG_TEST_PG_PORT), which
 * it stops and starts — run alone against its own server, as scripts/test.sh does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/limits.h"
#include "helpers/testdb.h"
#include "store/store.h"

static const char *db_url;
static char run_tag[32];

/* ---- what a listener heard -------------------------------------------------------------- */

#define HEARD_MAX 4096

struct heard {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int calls;      /* callbacks with events */
    int reconnects; /* callbacks with n == 0 */
    size_t n;
    struct {
        char event_id[40];
        int64_t issue_id, project_id;
        char title[512], level[40];
        bool title_null;
    } ev[HEARD_MAX];
};

static struct heard H;

static void heard_reset(void)
{
    pthread_mutex_lock(&H.mu);
    H.calls = H.reconnects = 0;
    H.n = 0;
    pthread_mutex_unlock(&H.mu);
}

static void on_live(void *ctx, const struct store_live_event *evs, size_t n)
{
    assert_ptr_equal(ctx, &H);
    pthread_mutex_lock(&H.mu);
    if (n == 0)
        H.reconnects++;
    else
        H.calls++;
    for (size_t i = 0; i < n && H.n < HEARD_MAX; i++, H.n++) {
        snprintf(H.ev[H.n].event_id, sizeof H.ev[H.n].event_id, "%s", evs[i].event_id);
        H.ev[H.n].issue_id = evs[i].issue_id;
        H.ev[H.n].project_id = evs[i].project_id;
        H.ev[H.n].title_null = !evs[i].title;
        snprintf(H.ev[H.n].title, sizeof H.ev[H.n].title, "%s", evs[i].title ? evs[i].title : "");
        snprintf(H.ev[H.n].level, sizeof H.ev[H.n].level, "%s", evs[i].level ? evs[i].level : "");
    }
    pthread_cond_broadcast(&H.cv);
    pthread_mutex_unlock(&H.mu);
}

/* Waits (up to ms) until the listener heard at least n events (reconnects: at least n
 * reconnections); returns what it has then. */
static size_t heard_wait(size_t n, bool reconnects, int ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&H.mu);
    while ((reconnects ? (size_t)H.reconnects : H.n) < n)
        if (pthread_cond_timedwait(&H.cv, &H.mu, &until) != 0)
            break;
    size_t got = reconnects ? (size_t)H.reconnects : H.n;
    pthread_mutex_unlock(&H.mu);
    return got;
}

static ssize_t heard_find(const char *event_id)
{
    for (size_t i = 0; i < H.n; i++)
        if (strcmp(H.ev[i].event_id, event_id) == 0)
            return (ssize_t)i;
    return -1;
}

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

static int64_t make_project(struct store *st, struct arena *a, const char *name)
{
    struct store_org o;
    struct store_team t;
    struct store_project p;
    int64_t uid = 0;
    const char *tag = arena_printf(a, "%s-%s", name, run_tag);
    assert_int_equal(
        store_user_create(st, arena_printf(a, "%s@example.com", tag), "h", false, &uid, NULL),
        E_OK);
    assert_int_equal(store_org_create(st, uid, tag, name, a, &o), E_OK);
    assert_int_equal(store_team_create(st, o.id, "team", "Team", a, &t), E_OK);
    assert_int_equal(store_project_create(st, o.id, t.id, name, name, NULL, a, &p), E_OK);
    return p.id;
}

/* Event i of a run: its id says which test and store sent it. */
static struct store_event_in make_event(struct arena *a, int64_t project, const char *who, int i,
                                        const char *title)
{
    return (struct store_event_in){
        .project_id = project,
        .event_id = arena_printf(a, "%.8s%08x%016x", who, (unsigned)getpid(), (unsigned)i),
        .timestamp = 1000.0 + i,
        .received = 1000.0 + i,
        .level = i % 2 ? "warning" : "error",
        .hash = arena_printf(a, "h%d", i % 7),
        .title = title,
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
    pthread_mutex_init(&H.mu, NULL);
    pthread_cond_init(&H.cv, NULL);
    snprintf(run_tag, sizeof run_tag, "%lx%x", (unsigned long)time(NULL), (unsigned)getpid());
    db_url = getenv("SNAG_TEST_DATABASE_URL");
    if (db_url && (strncmp(db_url, "postgres", 8) != 0 || !*db_url))
        db_url = NULL;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    pthread_mutex_destroy(&H.mu);
    pthread_cond_destroy(&H.cv);
    return 0;
}

/* ---- tests ------------------------------------------------------------------------------ */

static void test_sqlite_unsupported(void **state)
{
    (void)state;
    struct testdb db;
    memset(&db, 0, sizeof db);
    const char *saved = getenv("SNAG_TEST_DATABASE_URL");
    char *keep = saved ? strdup(saved) : NULL;
    unsetenv("SNAG_TEST_DATABASE_URL"); /* testdb: a SQLite file */
    const char *url = testdb_open(&db);
    if (keep)
        setenv("SNAG_TEST_DATABASE_URL", keep, 1);
    free(keep);
    assert_non_null(url);
    struct store *st = NULL;
    assert_int_equal(store_open(url, &st, NULL), E_OK);
    assert_int_equal(store_live_listen(st, on_live, &H), E_UNSUPPORTED);
    store_live_stop(st); /* nothing to stop */
    store_close(st);
    assert_int_equal(testdb_close(&db), 0);
}

static void test_other_node_hears_new_events_only(void **state)
{
    (void)state;
    if (!db_url)
        skip();
    struct store *a = open_store(), *b = open_store();
    assert_non_null(a);
    assert_non_null(b);
    struct arena *ar = arena_new(0);
    int64_t project = make_project(a, ar, "livenew");
    heard_reset();
    assert_int_equal(store_live_listen(a, on_live, &H), E_OK);
    assert_int_equal(store_live_listen(a, on_live, &H), E_CONFLICT);

    /* a's own batch: a's listener must not hear it */
    struct store_event_in own = make_event(ar, project, "0000aaaa", 1, "Own: not heard");
    assert_int_equal(store_ingest_batch(a, &own, 1, NULL), E_OK);

    /* b's batch: three new events, a copy inside the batch, an event already stored */
    struct store_event_in evs[5] = {
        make_event(ar, project, "0000bbbb", 1, "TypeError: \"quoted\" \\ and \t tab"),
        make_event(ar, project, "0000bbbb", 2, "Ünïcödé ✓"),
        make_event(ar, project, "0000bbbb", 3, NULL),
        make_event(ar, project, "0000bbbb", 1, "copy in the batch"),
        own, /* stored already, by a */
    };
    assert_int_equal(store_ingest_batch(b, evs, 5, NULL), E_OK);
    assert_true(evs[3].duplicate && evs[4].duplicate);
    assert_int_equal(heard_wait(3, false, 10000), 3);
    /* notifications arrive in commit order: a's batch, had it been heard, came first */
    assert_int_equal(heard_find(own.event_id), -1);
    for (int i = 0; i < 3; i++) {
        ssize_t k = heard_find(evs[i].event_id);
        assert_true(k >= 0);
        assert_int_equal(H.ev[k].issue_id, evs[i].issue_id);
        assert_int_equal(H.ev[k].project_id, project);
        assert_string_equal(H.ev[k].level, evs[i].level);
        if (evs[i].title)
            assert_string_equal(H.ev[k].title, evs[i].title);
        else
            assert_true(H.ev[k].title_null);
    }
    assert_int_equal(H.calls, 1); /* one batch, one notification */

    /* a batch that rolls back announces nothing */
    struct store_event_in bad = make_event(ar, 999999999, "0000cccc", 1, "no such project");
    assert_int_not_equal(store_ingest_batch(b, &bad, 1, NULL), E_OK);
    struct store_event_in after = make_event(ar, project, "0000dddd", 1, "after the rollback");
    assert_int_equal(store_ingest_batch(b, &after, 1, NULL), E_OK);
    assert_int_equal(heard_wait(4, false, 10000), 4);
    assert_int_equal(heard_find(bad.event_id), -1);
    assert_true(heard_find(after.event_id) >= 0);
    assert_int_equal(H.reconnects, 0);

    store_live_stop(a);
    store_live_stop(a); /* twice is fine */
    arena_free(ar);
    store_close(b);
    store_close(a);
}

static void test_large_batch_split(void **state)
{
    (void)state;
    if (!db_url)
        skip();
    enum { N = 1000 };
    struct store *a = open_store(), *b = open_store();
    assert_non_null(a);
    assert_non_null(b);
    struct arena *ar = arena_new(0);
    int64_t project = make_project(a, ar, "livebig");
    heard_reset();
    assert_int_equal(store_live_listen(a, on_live, &H), E_OK);
    /* titles at the normalised limit, escapes and multi-byte characters in them */
    char title[LIMIT_TITLE_CHARS * 4 + 1];
    size_t len = 0;
    for (int i = 0; i < LIMIT_TITLE_CHARS; i++) {
        const char *c = i % 3 == 0 ? "é" : i % 3 == 1 ? "\"" : "\n";
        memcpy(title + len, c, strlen(c));
        len += strlen(c);
    }
    title[len] = '\0';
    struct store_event_in *evs = calloc(N, sizeof *evs);
    for (int i = 0; i < N; i++)
        evs[i] = make_event(ar, project, "0000eeee", i, title);
    assert_int_equal(store_ingest_batch(b, evs, N, NULL), E_OK);
    assert_int_equal(heard_wait(N, false, 20000), N);
    assert_true(H.calls > 1); /* split into several notifications */
    for (int i = 0; i < N; i++) {
        ssize_t k = heard_find(evs[i].event_id);
        assert_true(k >= 0);
        assert_int_equal(H.ev[k].issue_id, evs[i].issue_id);
        assert_string_equal(H.ev[k].title, title);
    }
    free(evs);
    arena_free(ar);
    store_close(b);
    store_close(a); /* stops the listener too */
}

static void test_listener_survives_restart(void **state)
{
    (void)state;
    const char *dir = getenv("SNAG_TEST_PG_DIR"), *port = getenv("SNAG_TEST_PG_PORT");
    if (!db_url || !dir || !*dir || !port || !*port)
        skip();
    struct store *a = open_store(), *b = open_store();
    assert_non_null(a);
    assert_non_null(b);
    struct arena *ar = arena_new(0);
    int64_t project = make_project(a, ar, "liverestart");
    heard_reset();
    assert_int_equal(store_live_listen(a, on_live, &H), E_OK);

    assert_int_equal(testdb_pg_script("stop", dir, NULL), 0);
    usleep(500 * 1000); /* the listener notices and retries against a stopped server */
    assert_int_equal(testdb_pg_script("start", dir, port), 0);
    assert_int_equal(heard_wait(1, true, 20000), 1); /* reconnected: "you may have missed some" */

    struct store_event_in ev = make_event(ar, project, "0000ffff", 1, "after the restart");
    enum err e = E_UNAVAILABLE;
    for (int tries = 0; tries < 50 && e; tries++) { /* b's writer connection reconnects */
        e = store_ingest_batch(b, &ev, 1, NULL);
        if (e)
            usleep(100 * 1000);
    }
    assert_int_equal(e, E_OK);
    assert_int_equal(heard_wait(1, false, 10000), 1);
    assert_true(heard_find(ev.event_id) >= 0);
    arena_free(ar);
    store_close(b);
    store_close(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sqlite_unsupported),
        cmocka_unit_test(test_other_node_hears_new_events_only),
        cmocka_unit_test(test_large_batch_split),
        cmocka_unit_test(test_listener_survives_restart),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
