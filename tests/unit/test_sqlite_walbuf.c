/* Unit tests for src/store/sqlite_walbuf.c: a writer on the shim and a reader on the plain
 * VFS see the same data after every commit (small, large, larger than a write piece and than
 * the buffer), across a WAL restart after a full checkpoint, and after reopening; and a
 * commit of many pages reaches the WAL file in a few writes, counted by a forwarding VFS
 * slipped in under the shim. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/sqlite_walbuf.h"

/* ---- a counting VFS under the shim ------------------------------------------------------- */

struct cnt_file {
    sqlite3_file base;
    sqlite3_file *real;
    int is_wal;
};

static sqlite3_vfs *cnt_parent;
static sqlite3_vfs cnt_vfs;
static long cnt_wal_writes;

#define CNT_REAL(f) (((struct cnt_file *)(f))->real)

static int cnt_close(sqlite3_file *f)
{
    int rc = CNT_REAL(f)->pMethods->xClose(CNT_REAL(f));
    free(CNT_REAL(f));
    return rc;
}
static int cnt_read(sqlite3_file *f, void *p, int n, sqlite3_int64 o)
{
    return CNT_REAL(f)->pMethods->xRead(CNT_REAL(f), p, n, o);
}
static int cnt_write(sqlite3_file *f, const void *p, int n, sqlite3_int64 o)
{
    cnt_wal_writes += ((struct cnt_file *)f)->is_wal;
    return CNT_REAL(f)->pMethods->xWrite(CNT_REAL(f), p, n, o);
}
static int cnt_truncate(sqlite3_file *f, sqlite3_int64 s)
{
    return CNT_REAL(f)->pMethods->xTruncate(CNT_REAL(f), s);
}
static int cnt_sync(sqlite3_file *f, int fl)
{
    return CNT_REAL(f)->pMethods->xSync(CNT_REAL(f), fl);
}
static int cnt_size(sqlite3_file *f, sqlite3_int64 *s)
{
    return CNT_REAL(f)->pMethods->xFileSize(CNT_REAL(f), s);
}
static int cnt_lock(sqlite3_file *f, int l)
{
    return CNT_REAL(f)->pMethods->xLock(CNT_REAL(f), l);
}
static int cnt_unlock(sqlite3_file *f, int l)
{
    return CNT_REAL(f)->pMethods->xUnlock(CNT_REAL(f), l);
}
static int cnt_reserved(sqlite3_file *f, int *o)
{
    return CNT_REAL(f)->pMethods->xCheckReservedLock(CNT_REAL(f), o);
}
static int cnt_fcntl(sqlite3_file *f, int op, void *a)
{
    return CNT_REAL(f)->pMethods->xFileControl(CNT_REAL(f), op, a);
}
static int cnt_sector(sqlite3_file *f)
{
    return CNT_REAL(f)->pMethods->xSectorSize(CNT_REAL(f));
}
static int cnt_devchar(sqlite3_file *f)
{
    return CNT_REAL(f)->pMethods->xDeviceCharacteristics(CNT_REAL(f));
}
static int cnt_shm_map(sqlite3_file *f, int pg, int sz, int ext, void volatile **pp)
{
    return CNT_REAL(f)->pMethods->xShmMap(CNT_REAL(f), pg, sz, ext, pp);
}
static int cnt_shm_lock(sqlite3_file *f, int off, int n, int fl)
{
    return CNT_REAL(f)->pMethods->xShmLock(CNT_REAL(f), off, n, fl);
}
static void cnt_shm_barrier(sqlite3_file *f)
{
    CNT_REAL(f)->pMethods->xShmBarrier(CNT_REAL(f));
}
static int cnt_shm_unmap(sqlite3_file *f, int d)
{
    return CNT_REAL(f)->pMethods->xShmUnmap(CNT_REAL(f), d);
}

static const sqlite3_io_methods cnt_methods = {
    2,           cnt_close,   cnt_read,     cnt_write,       cnt_truncate,  cnt_sync,
    cnt_size,    cnt_lock,    cnt_unlock,   cnt_reserved,    cnt_fcntl,     cnt_sector,
    cnt_devchar, cnt_shm_map, cnt_shm_lock, cnt_shm_barrier, cnt_shm_unmap, NULL,
    NULL,
};

static int cnt_open(sqlite3_vfs *v, sqlite3_filename name, sqlite3_file *f, int flags, int *out)
{
    (void)v;
    struct cnt_file *c = (struct cnt_file *)f;
    c->real = calloc(1, (size_t)cnt_parent->szOsFile);
    c->is_wal = (flags & SQLITE_OPEN_WAL) != 0;
    int rc = cnt_parent->xOpen(cnt_parent, name, c->real, flags, out);
    if (!c->real->pMethods) {
        free(c->real);
        c->base.pMethods = NULL;
        return rc;
    }
    c->base.pMethods = &cnt_methods;
    return rc;
}

/* Registered as the default before the shim registers, so that it becomes the shim's parent;
 * every other VFS method is the parent's own (they do not look at their VFS argument in a
 * way that matters here). */
static void cnt_register(void)
{
    cnt_parent = sqlite3_vfs_find(NULL);
    cnt_vfs = *cnt_parent;
    cnt_vfs.zName = "counting";
    cnt_vfs.szOsFile = (int)sizeof(struct cnt_file);
    cnt_vfs.xOpen = cnt_open;
    cnt_vfs.pNext = NULL;
    assert_int_equal(sqlite3_vfs_register(&cnt_vfs, 1), SQLITE_OK);
}

/* ---- the tests --------------------------------------------------------------------------- */

static char dir[64];
static char path[128];

static sqlite3 *open_db(const char *vfs)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs),
                     SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;", NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_wal_autocheckpoint(db, 0);
    return db;
}

static int64_t query_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

/* Inserts n rows with blobs of size bytes (byte i of row k is (k + i) & 0xff) in one
 * transaction. */
static void insert_rows(sqlite3 *db, int first, int n, int size)
{
    unsigned char *b = malloc((size_t)size);
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO t(k, b) VALUES (?, ?)", -1, &s, NULL),
                     SQLITE_OK);
    for (int k = first; k < first + n; k++) {
        for (int i = 0; i < size; i++)
            b[i] = (unsigned char)((k + i) & 0xff);
        sqlite3_bind_int(s, 1, k);
        sqlite3_bind_blob(s, 2, b, size, SQLITE_TRANSIENT);
        assert_int_equal(sqlite3_step(s), SQLITE_DONE);
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    free(b);
}

/* Every row's blob is what insert_rows wrote; returns the row count. */
static int64_t check_rows(sqlite3 *db)
{
    sqlite3_stmt *s;
    int64_t rows = 0;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT k, b FROM t", -1, &s, NULL), SQLITE_OK);
    while (sqlite3_step(s) == SQLITE_ROW) {
        int k = sqlite3_column_int(s, 0);
        const unsigned char *b = sqlite3_column_blob(s, 1);
        int n = sqlite3_column_bytes(s, 1);
        for (int i = 0; i < n; i++)
            if (b[i] != (unsigned char)((k + i) & 0xff))
                fail_msg("row %d byte %d differs", k, i);
        rows++;
    }
    sqlite3_finalize(s);
    return rows;
}

static void test_writer_and_reader_agree(void **state)
{
    (void)state;
    sqlite3 *w = open_db(SQ_WALBUF_VFS), *r = open_db(NULL);
    assert_int_equal(
        sqlite3_exec(w, "CREATE TABLE t (k INTEGER PRIMARY KEY, b BLOB)", NULL, NULL, NULL),
        SQLITE_OK);
    static const struct {
        int n, size;
    } steps[] = {
        {1, 10},              /* a page or two */
        {50, 3000},           /* a typical ingest batch */
        {1, 200 * 1024},      /* past the unix VFS's 128 KiB write */
        {3, 2 * 1024 * 1024}, /* past the shim's buffer */
        {500, 100},
    };
    int next = 0;
    for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
        insert_rows(w, next, steps[i].n, steps[i].size);
        next += steps[i].n;
        assert_int_equal(check_rows(r), next);
        assert_int_equal(check_rows(w), next);
    }
    /* a full checkpoint from the reader, then the writer restarts the WAL from its start */
    int log = -1, done = -1;
    assert_int_equal(sqlite3_wal_checkpoint_v2(r, NULL, SQLITE_CHECKPOINT_TRUNCATE, &log, &done),
                     SQLITE_OK);
    insert_rows(w, next, 40, 5000);
    next += 40;
    assert_int_equal(check_rows(r), next);
    sqlite3_close(r);
    sqlite3_close(w);
    r = open_db(NULL);
    assert_int_equal(check_rows(r), next);
    assert_int_equal(query_int(r, "SELECT count(*) FROM pragma_integrity_check WHERE "
                                  "integrity_check <> 'ok'"),
                     0);
    sqlite3_close(r);
}

static void test_commit_is_a_few_writes(void **state)
{
    (void)state;
    sqlite3 *w = open_db(SQ_WALBUF_VFS), *plain = open_db("counting");
    assert_int_equal(sqlite3_exec(w, "CREATE TABLE IF NOT EXISTS t (k INTEGER PRIMARY KEY, b BLOB)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    /* 64 rows of 3,000 bytes: about 50 pages, so about 100 writes without the shim */
    long before = cnt_wal_writes;
    insert_rows(plain, 100000, 64, 3000);
    long unbuffered = cnt_wal_writes - before;
    before = cnt_wal_writes;
    insert_rows(w, 200000, 64, 3000);
    long buffered = cnt_wal_writes - before;
    assert_true(unbuffered >= 90);
    assert_true(buffered <= 3);
    sqlite3_close(plain);
    sqlite3_close(w);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/snag-walbuf-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof path, "%s/t.db", dir);
    cnt_register();
    if (sq_walbuf_register() != SQLITE_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_writer_and_reader_agree),
        cmocka_unit_test(test_commit_is_a_few_writes),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        rc = rc ? rc : 1;
    return rc;
}
