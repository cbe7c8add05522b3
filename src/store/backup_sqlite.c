/* backup_sqlite: the SQLite half of backup.h — a consistent copy of the live database
 * through the online backup API (one read transaction: in WAL mode the server keeps
 * writing meanwhile), and a restore that replaces the database file atomically while no
 * server holds its lock. */
#include "store/backup_int.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#define BACKUP_PATH_MAX 4096
#define BACKUP_BUSY_TRIES 600 /* × 50 ms: how long a busy source may hold us up */

static enum err backup_sq_err(sqlite3 *db, const char *what, struct errinfo *ei)
{
    return errinfo_set(ei, E_DB, "%s: %s", what, db ? sqlite3_errmsg(db) : "out of memory");
}

/* Copies src into the (empty) database file dst with the online backup API. */
static enum err backup_sq_copy(const char *src, const char *dst, struct errinfo *ei)
{
    sqlite3 *from = NULL, *to = NULL;
    enum err e = E_OK;
    if (sqlite3_open_v2(src, &from, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        e = backup_sq_err(from, src, ei);
        goto out;
    }
    if (sqlite3_open_v2(dst, &to, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        e = backup_sq_err(to, dst, ei);
        goto out;
    }
    sqlite3_backup *b = sqlite3_backup_init(to, "main", from, "main");
    if (!b) {
        e = backup_sq_err(to, "backup", ei);
        goto out;
    }
    int rc = SQLITE_OK;
    for (int tries = 0; tries < BACKUP_BUSY_TRIES; tries++) {
        rc = sqlite3_backup_step(b, -1);
        if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
            break;
        sqlite3_sleep(50);
    }
    sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE)
        e = errinfo_set(ei, E_DB, "backup of %s: %s", src, sqlite3_errstr(rc));
out:
    sqlite3_close(to);
    sqlite3_close(from);
    return e;
}

enum err backup_sqlite_dump(const char *db, const char *tmpdir, gzFile gz, struct errinfo *ei)
{
    char tmp[BACKUP_PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s/.snag-copy-XXXXXX", tmpdir);
    int fd = mkostemp(tmp, O_CLOEXEC); /* mode 0600; SQLite keeps it */
    if (fd < 0)
        return errinfo_set(ei, E_IO, "cannot create a file in %s: %s", tmpdir, strerror(errno));
    close(fd);
    enum err e = backup_sq_copy(db, tmp, ei);
    fd = e ? -1 : open(tmp, O_RDONLY | O_CLOEXEC);
    if (!e && fd < 0)
        e = errinfo_set(ei, E_IO, "%s: %s", tmp, strerror(errno));
    if (!e)
        e = backup_gz_from_fd(gz, fd, ei);
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    return e;
}

/* ---- restore ---------------------------------------------------------------------------- */

/* The restored file must open, pass quick_check and have schema_migrations. */
static enum err backup_sq_check(const char *path, struct errinfo *ei)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    enum err e = E_OK;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        e = backup_sq_err(db, "restored database", ei);
        goto out;
    }
    if (sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &s, NULL) != SQLITE_OK ||
        sqlite3_step(s) != SQLITE_ROW ||
        strcmp((const char *)sqlite3_column_text(s, 0), "ok") != 0) {
        e = errinfo_set(ei, E_INVALID, "the dump fails SQLite's integrity check");
        goto out;
    }
    sqlite3_finalize(s);
    s = NULL;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM schema_migrations", -1, &s, NULL) !=
            SQLITE_OK ||
        sqlite3_step(s) != SQLITE_ROW)
        e = errinfo_set(ei, E_INVALID, "the dump is no snag database (%s)", sqlite3_errmsg(db));
out:
    sqlite3_finalize(s);
    sqlite3_close(db);
    return e;
}

/* Removes path (absent is fine). */
static enum err backup_unlink(const char *path, struct errinfo *ei)
{
    if (unlink(path) != 0 && errno != ENOENT)
        return errinfo_set(ei, E_IO, "cannot remove %s: %s", path, strerror(errno));
    return E_OK;
}

/* The old database's journal files would be replayed into the new one: they go first. */
static enum err backup_sq_replace(const char *db, const char *tmp, struct errinfo *ei)
{
    static const char *const suffixes[] = {"-wal", "-shm", "-journal"};
    char side[BACKUP_PATH_MAX];
    enum err e = E_OK;
    for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes && !e; i++) {
        snprintf(side, sizeof side, "%s%s", db, suffixes[i]);
        e = backup_unlink(side, ei);
    }
    if (!e && rename(tmp, db) != 0)
        e = errinfo_set(ei, E_IO, "rename to %s: %s", db, strerror(errno));
    return e ? e : backup_sync_dir(db, ei);
}

/* Decompresses file into a new temporary file beside db; tmp gets its name. */
static enum err backup_sq_unpack(const char *db, const char *file, char *tmp, size_t cap,
                                 struct errinfo *ei)
{
    snprintf(tmp, cap, "%s.restore-XXXXXX", db);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return errinfo_set(ei, E_IO, "cannot create %s: %s", tmp, strerror(errno));
    enum err e =
        backup_gz_to_fd(file, fd, BACKUP_SQLITE_MAGIC, sizeof BACKUP_SQLITE_MAGIC, "SQLite", ei);
    if (!e && fsync(fd) != 0)
        e = errinfo_set(ei, E_IO, "fsync %s: %s", tmp, strerror(errno));
    close(fd);
    return e;
}

/* Exclusive and non-blocking: fails while a server (shared holder) runs. */
static enum err backup_sq_lock(const char *db, int *fd, struct errinfo *ei)
{
    char lock[BACKUP_PATH_MAX];
    snprintf(lock, sizeof lock, "%s.lock", db);
    *fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (*fd < 0)
        return errinfo_set(ei, E_IO, "%s: %s", lock, strerror(errno));
    if (flock(*fd, LOCK_EX | LOCK_NB) == 0)
        return E_OK;
    return errinfo_set(ei, E_CONFLICT, "a snag server is running on %s: stop it before restoring",
                       db);
}

enum err backup_sqlite_restore(const char *db, const char *file, struct errinfo *ei)
{
    char tmp[BACKUP_PATH_MAX];
    int lock = -1;
    bool unpacked = false;
    enum err e = backup_sq_lock(db, &lock, ei);
    if (e)
        goto out;
    e = backup_sq_unpack(db, file, tmp, sizeof tmp, ei);
    unpacked = true;
    if (!e)
        e = backup_sq_check(tmp, ei);
    if (!e)
        e = backup_sq_replace(db, tmp, ei);
out:
    if (e && unpacked)
        unlink(tmp);
    if (lock >= 0)
        close(lock);
    return e;
}
