/* The restore drill, on both backends: ingest, `backup`, wipe the database, `restore`,
 * and compare counts, issues, sample events and the project's compression dictionary; plus pruning,
 * the refusals (a server is running, a dump of the other backend, a damaged dump) and file modes.
 * SQLite always; PostgreSQL when SNAG_TEST_DATABASE_URL is a postgres:// URL (scripts/test.sh's
 * second pass): the drill then uses its own database, snag_backup_test, on that server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <zlib.h>

#include "core/arena.h"
#include "core/clock.h"
#include "store/backup.h"
#include "store/store.h"
#include "helpers/testdb.h"

#define NEVENTS 60
#define NHASHES 6

static char tmpdir[256];

static struct store *open_store(const char *url)
{
    struct store *st = NULL;
    struct errinfo ei = {{0}};
    if (store_open(url, &st, &ei) || store_migrate(st, &ei))
        fail_msg("store %s: %s", url, ei.detail);
    return st;
}

/* ---- what the drill compares ------------------------------------------------------------ */

struct snapshot {
    int64_t project_id, events;
    struct store_issue issues[NHASHES];
    size_t nissues;
    char event_ids[3][33];
    struct store_event_row samples[3];
    struct store_zdict zdict;
};

static int64_t fill(struct store *st, struct arena *a)
{
    struct errinfo ei = {{0}};
    struct store_org o;
    struct store_team t;
    struct store_project p;
    struct store_key k;
    int64_t uid = 0;
    assert_int_equal(store_user_create(st, "drill@example.com", "h", true, &uid, &ei), E_OK);
    assert_int_equal(store_org_create(st, uid, "drill", "Drill", a, &o), E_OK);
    assert_int_equal(store_team_create(st, o.id, "t", "T", a, &t), E_OK);
    assert_int_equal(store_project_create(st, o.id, t.id, "p", "P", "python", a, &p), E_OK);
    assert_int_equal(store_key_create(st, p.id, "0123456789abcdef0123456789abcdef", "k", a, &k),
                     E_OK);
    struct store_event_in evs[NEVENTS];
    for (int i = 0; i < NEVENTS; i++) {
        char *id = arena_printf(a, "%032x", i + 1);
        char *body = arena_printf(a, "body of event %d \x01\x02\xff", i);
        evs[i] = (struct store_event_in){.project_id = p.id,
                                         .event_id = id,
                                         .timestamp = 1.7e9 + i + 0.25,
                                         .received = clock_now() - i,
                                         .level = "error",
                                         .user_key = arena_printf(a, "u%d", i % 4),
                                         .hash = arena_printf(a, "h%d", i % NHASHES),
                                         .title = "Boom",
                                         .data = body,
                                         .data_len = strlen(body)};
    }
    assert_int_equal(store_ingest_batch(st, evs, NEVENTS, &ei), E_OK);
    static const char dict[] = "a dictionary \x00\x01\xff of bytes";
    assert_int_equal(
        store_zdict_insert(st, p.id, 3000000001u, clock_now() - 5, dict, sizeof dict, NULL), E_OK);
    return p.id;
}

static void snap(struct store *st, struct arena *a, int64_t project_id, struct snapshot *s)
{
    struct store_project p;
    assert_int_equal(store_project_by_id(st, a, project_id, &p), E_OK);
    struct store_issue_search q = {.org_id = p.org_id,
                                   .project_ids = &project_id,
                                   .nprojects = 1,
                                   .limit = 100,
                                   .sort = "freq"};
    struct store_issue *rows = NULL;
    bool more;
    memset(s, 0, sizeof *s);
    s->project_id = project_id;
    s->events = store_event_count(st, project_id);
    assert_int_equal(store_issue_search(st, a, &q, &rows, &s->nissues, &more), E_OK);
    assert_int_equal(s->nissues, NHASHES);
    memcpy(s->issues, rows, sizeof *rows * s->nissues);
    for (int i = 0; i < 3; i++) {
        snprintf(s->event_ids[i], sizeof s->event_ids[i], "%032x", 1 + i * 17);
        assert_int_equal(store_event_by_id(st, a, project_id, s->event_ids[i], &s->samples[i]),
                         E_OK);
    }
    assert_int_equal(store_zdict_newest(st, a, project_id, &s->zdict), E_OK);
}

static void compare(const struct snapshot *x, const struct snapshot *y)
{
    assert_int_equal(x->events, NEVENTS);
    assert_int_equal(y->events, x->events);
    assert_int_equal(y->nissues, x->nissues);
    for (size_t i = 0; i < x->nissues; i++) {
        const struct store_issue *a = &x->issues[i], *b = &y->issues[i];
        assert_true(a->id == b->id && a->short_num == b->short_num && a->count == b->count &&
                    a->user_count == b->user_count && a->first_seen == b->first_seen &&
                    a->last_seen == b->last_seen);
        assert_string_equal(a->hash, b->hash);
    }
    for (int i = 0; i < 3; i++) {
        const struct store_event_row *a = &x->samples[i], *b = &y->samples[i];
        assert_true(a->id == b->id && a->issue_id == b->issue_id && a->received == b->received);
        assert_int_equal(a->data_len, b->data_len);
        assert_memory_equal(a->data, b->data, a->data_len);
    }
    const struct store_zdict *a = &x->zdict, *b = &y->zdict;
    assert_true(a->id == b->id && a->dict_id == b->dict_id && a->dict_id == 3000000001u &&
                a->created == b->created && a->last_used == b->last_used && a->len == b->len);
    assert_memory_equal(a->data, b->data, a->len);
}

/* ---- helpers for files ------------------------------------------------------------------ */

static void write_gz(const char *path, const void *p, size_t n)
{
    gzFile gz = gzopen(path, "wb");
    assert_non_null(gz);
    assert_int_equal(gzwrite(gz, p, (unsigned)n), (int)n);
    assert_int_equal(gzclose(gz), Z_OK);
}

/* A copy of src cut to half its size: a damaged dump. */
static void truncate_copy(const char *src, const char *dst)
{
    struct stat sb;
    assert_int_equal(stat(src, &sb), 0);
    FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
    assert_true(in && out);
    for (off_t i = 0; i < sb.st_size / 2; i++)
        fputc(fgetc(in), out);
    fclose(in);
    fclose(out);
}

static void check_prune(const char *dir, const char *keep)
{
    char old[512], other[512];
    snprintf(old, sizeof old, "%s/snag-20000101-000000.dump.gz", dir);
    snprintf(other, sizeof other, "%s/notes-20000101.txt", dir);
    write_gz(old, "x", 1);
    write_gz(other, "x", 1);
    struct timeval tv[2] = {{946684800, 0}, {946684800, 0}}; /* 2000-01-01 */
    assert_int_equal(utimes(old, tv), 0);
    assert_int_equal(utimes(other, tv), 0);
    int removed = -1;
    struct errinfo ei = {{0}};
    assert_int_equal(backup_prune(dir, 0, &removed, &ei), E_OK); /* 0: keep everything */
    assert_int_equal(removed, 0);
    assert_int_equal(backup_prune(dir, 30, &removed, &ei), E_OK);
    assert_int_equal(removed, 1);
    assert_int_equal(access(old, F_OK), -1);
    assert_int_equal(access(other, F_OK), 0); /* not a dump */
    assert_int_equal(access(keep, F_OK), 0);
}

/* ---- the drill -------------------------------------------------------------------------- */

/* wipe() empties the database the way a disaster would. */
static void drill(const char *url, void (*wipe)(const char *url), const char *foreign_dump)
{
    struct arena *a = arena_new(0);
    struct errinfo ei = {{0}};
    char dir[300], dump[4096], damaged[400];
    snprintf(dir, sizeof dir, "%s/backups-%s", tmpdir, store_sqlite_path(url) ? "sq" : "pg");
    struct store *st = open_store(url);
    struct snapshot before, after;
    snap(st, a, fill(st, a), &before);

    /* the clock held still: a pg_dump can take long enough to cross into the next second */
    clock_set_fake(clock_now());
    assert_int_equal(backup_create(url, dir, dump, sizeof dump, &ei), E_OK);
    struct stat sb;
    assert_int_equal(stat(dump, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_non_null(strstr(dump, "/snag-"));
    assert_int_equal(backup_create(url, dir, NULL, 0, &ei), E_CONFLICT); /* same second */
    clock_set_fake(0);
    check_prune(dir, dump);

    /* refused while a server uses the database; nothing changes */
    assert_int_equal(store_ping(st), E_OK);
    int lock = -1;
    assert_int_equal(backup_serve_lock(url, &lock, &ei), E_OK);
    assert_int_equal(backup_restore(url, dump, &ei), E_CONFLICT);
    if (lock >= 0)
        close(lock);
    store_close(st);

    /* a dump of the other backend, a damaged dump, a missing file: refused, untouched */
    assert_int_equal(backup_restore(url, foreign_dump, &ei), E_INVALID);
    snprintf(damaged, sizeof damaged, "%s/damaged.gz", tmpdir);
    truncate_copy(dump, damaged);
    assert_int_not_equal(backup_restore(url, damaged, &ei), E_OK);
    assert_int_equal(backup_restore(url, "/nonexistent/x.dump.gz", &ei), E_NOTFOUND);
    st = open_store(url);
    assert_int_equal(store_event_count(st, before.project_id), NEVENTS);
    store_close(st);

    wipe(url);
    st = open_store(url);
    assert_int_equal(store_event_count(st, 0), 0);
    store_close(st);
    assert_int_equal(backup_restore(url, dump, &ei), E_OK);

    st = open_store(url);
    snap(st, a, before.project_id, &after);
    compare(&before, &after);
    /* the counters came back too: a new group gets the next short number */
    struct store_event_in ev = {.project_id = before.project_id,
                                .event_id = "ffffffffffffffffffffffffffffffff",
                                .timestamp = 1.8e9,
                                .received = clock_now(),
                                .hash = "new-group",
                                .title = "New"};
    assert_int_equal(store_ingest_batch(st, &ev, 1, &ei), E_OK);
    struct store_issue i;
    assert_int_equal(store_issue_by_id(st, a, ev.issue_id, &i), E_OK);
    assert_int_equal(i.short_num, NHASHES + 1);
    store_close(st);
    arena_free(a);
}

static void wipe_sqlite(const char *url)
{
    char side[512];
    const char *db = store_sqlite_path(url);
    assert_int_equal(unlink(db), 0);
    snprintf(side, sizeof side, "%s-wal", db);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", db);
    unlink(side);
}

static void test_drill_sqlite(void **state)
{
    (void)state;
    char url[400], foreign[400];
    snprintf(url, sizeof url, "sqlite://%s/data/snag.db", tmpdir);
    snprintf(foreign, sizeof foreign, "%s/foreign.dump.gz", tmpdir);
    write_gz(foreign, "PGDMP\x01\x0e\x00", 8);
    drill(url, wipe_sqlite, foreign);
}

/* ---- PostgreSQL ------------------------------------------------------------------------- */

static char pg_url[512];

/* Runs sql on the test server's own database (SNAG_TEST_DATABASE_URL). */
static void pg_admin(const char *sql)
{
    PGconn *c = PQconnectdb(getenv("SNAG_TEST_DATABASE_URL"));
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        fail_msg("%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
}

static void wipe_pg(const char *url)
{
    (void)url;
    pg_admin("DROP DATABASE IF EXISTS snag_backup_test WITH (FORCE)");
    pg_admin("CREATE DATABASE snag_backup_test");
}

static void test_drill_postgres(void **state)
{
    (void)state;
    const char *base = getenv("SNAG_TEST_DATABASE_URL");
    if (!base || strncmp(base, "postgres", 8) != 0)
        skip();
    const char *slash = strrchr(base, '/');
    snprintf(pg_url, sizeof pg_url, "%.*s/snag_backup_test", (int)(slash - base), base);
    wipe_pg(pg_url);
    char foreign[400];
    snprintf(foreign, sizeof foreign, "%s/foreign.dump.gz", tmpdir);
    write_gz(foreign, "SQLite format 3\0", 16);
    drill(pg_url, wipe_pg, foreign);
    pg_admin("DROP DATABASE IF EXISTS snag_backup_test WITH (FORCE)");
}

static int setup(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN); /* as `snag backup` and `snag restore` do */
    const char *t = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/snag-backup-XXXXXX", t && *t ? t : "/tmp");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    testdb_rmtree(tmpdir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_drill_sqlite),
        cmocka_unit_test(test_drill_postgres),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
