/* backup: the backend-independent half of `snag backup` / `snag restore` (backup.h) —
 * naming and atomically writing the dump file, gzip streaming, pruning old dumps, and the
 * SQLite server lock. The backends' halves are backup_sqlite.c and backup_pg.c. */
#include "store/backup_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/xmalloc.h"
#include "store/store.h"

#define BACKUP_PATH_MAX 4096

/* ---- gzip streaming --------------------------------------------------------------------- */

enum err backup_gz_from_fd(gzFile gz, int fd, struct errinfo *ei)
{
    char *chunk = xmalloc(BACKUP_CHUNK);
    enum err e = E_OK;
    for (;;) {
        ssize_t n = read(fd, chunk, BACKUP_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            e = errinfo_set(ei, E_IO, "read: %s", strerror(errno));
        if (n <= 0)
            break;
        if (gzwrite(gz, chunk, (unsigned)n) != (int)n) {
            int zerr = 0;
            e = errinfo_set(ei, E_IO, "compress: %s", gzerror(gz, &zerr));
            break;
        }
    }
    free(chunk);
    return e;
}

static enum err backup_write_all(int fd, const char *p, size_t n, struct errinfo *ei)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return errinfo_set(ei, E_IO, "write: %s", strerror(errno));
        p += w;
        n -= (size_t)w;
    }
    return E_OK;
}

/* Reads the next chunk; a gzip stream that ends early or is corrupt is an error. */
static int backup_gz_read(gzFile gz, char *buf, unsigned cap, const char *file, struct errinfo *ei)
{
    int n = gzread(gz, buf, cap);
    int zerr = Z_OK;
    const char *msg = gzerror(gz, &zerr);
    if (n < 0 || (zerr != Z_OK && zerr != Z_STREAM_END)) {
        errinfo_set(ei, E_IO, "%s: %s", file, msg);
        return -1;
    }
    return n;
}

enum err backup_gz_to_fd(const char *file, int fd, const char *head, size_t len, const char *what,
                         struct errinfo *ei)
{
    enum err e = E_OK;
    bool first = true;
    gzFile gz = gzopen(file, "rb");
    if (!gz)
        return errinfo_set(ei, E_IO, "%s: %s", file, strerror(errno ? errno : ENOMEM));
    char *chunk = xmalloc(BACKUP_CHUNK);
    for (;;) {
        int n = backup_gz_read(gz, chunk, BACKUP_CHUNK, file, ei);
        if (n < 0) {
            e = E_IO;
            goto out;
        }
        if (first && len && ((size_t)n < len || memcmp(chunk, head, len) != 0)) {
            e = errinfo_set(ei, E_INVALID, "%s is not a %s dump", file, what);
            goto out;
        }
        first = false;
        if (n == 0)
            break;
        e = backup_write_all(fd, chunk, (size_t)n, ei);
        if (e)
            goto out;
    }
out:
    free(chunk);
    gzclose(gz);
    return e;
}

long backup_gz_peek(const char *file, char *out, size_t len)
{
    gzFile gz = gzopen(file, "rb");
    if (!gz)
        return -1;
    long n = gzread(gz, out, (unsigned)len);
    gzclose(gz);
    return n;
}

enum err backup_sync_dir(const char *path, struct errinfo *ei)
{
    char dir[BACKUP_PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == dir)
        slash[1] = '\0';
    else
        *slash = '\0';
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
        enum err e = errinfo_set(ei, E_IO, "sync %s: %s", dir, strerror(errno));
        if (fd >= 0)
            close(fd);
        return e;
    }
    close(fd);
    return E_OK;
}

/* ---- creating a dump -------------------------------------------------------------------- */

/* mkdir -p dir, mode 0700 for what it creates. */
static enum err backup_mkdirs(const char *dir, struct errinfo *ei)
{
    char p[BACKUP_PATH_MAX];
    int n = snprintf(p, sizeof p, "%s", dir);
    if (n <= 0 || (size_t)n >= sizeof p)
        return errinfo_set(ei, E_INVALID, "bad backup folder");
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST)
            return errinfo_set(ei, E_IO, "cannot create %s: %s", p, strerror(errno));
        *s = '/';
    }
    if (mkdir(p, 0700) != 0 && errno != EEXIST)
        return errinfo_set(ei, E_IO, "cannot create %s: %s", p, strerror(errno));
    return E_OK;
}

/* dir/snag-YYYYMMDD-HHMMSS.dump.gz for clock_now(). */
static enum err backup_name(const char *dir, char *out, size_t cap, struct errinfo *ei)
{
    time_t t = (time_t)clock_now();
    struct tm tm;
    char stamp[32];
    gmtime_r(&t, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    int n = snprintf(out, cap, "%s/snag-%s.dump.gz", dir, stamp);
    if (n <= 0 || (size_t)n >= cap)
        return errinfo_set(ei, E_INVALID, "backup folder name too long");
    if (access(out, F_OK) == 0)
        return errinfo_set(ei, E_CONFLICT, "%s already exists", out);
    return E_OK;
}

/* The dump itself, into the open temporary file fd. */
static enum err backup_dump(const char *url, const char *dir, int fd, struct errinfo *ei)
{
    int zerr = Z_OK;
    enum err e = E_OK;
    gzFile gz = gzdopen(dup(fd), "wb6");
    if (!gz)
        return errinfo_set(ei, E_IO, "cannot start compression");
    const char *db = store_sqlite_path(url);
    if (db)
        e = backup_sqlite_dump(db, dir, gz, ei);
    else
        e = backup_pg_dump(url, gz, ei);
    zerr = gzclose(gz);
    if (!e && zerr != Z_OK)
        e = errinfo_set(ei, E_IO, "compress: zlib error %d", zerr);
    if (!e && fsync(fd) != 0)
        e = errinfo_set(ei, E_IO, "fsync: %s", strerror(errno));
    return e;
}

enum err backup_create(const char *url, const char *dir, char *path, size_t cap, struct errinfo *ei)
{
    char final[BACKUP_PATH_MAX], tmp[BACKUP_PATH_MAX];
    int fd = -1;
    enum err e = backup_mkdirs(dir, ei);
    if (!e)
        e = backup_name(dir, final, sizeof final, ei);
    if (e)
        return e;
    snprintf(tmp, sizeof tmp, "%s/.snag-dump-XXXXXX", dir);
    fd = mkostemp(tmp, O_CLOEXEC); /* mode 0600 */
    if (fd < 0)
        return errinfo_set(ei, E_IO, "cannot create a file in %s: %s", dir, strerror(errno));
    e = backup_dump(url, dir, fd, ei);
    if (close(fd) != 0 && !e)
        e = errinfo_set(ei, E_IO, "close: %s", strerror(errno));
    if (!e && rename(tmp, final) != 0)
        e = errinfo_set(ei, E_IO, "rename to %s: %s", final, strerror(errno));
    if (e) {
        unlink(tmp);
        return e;
    }
    e = backup_sync_dir(final, ei);
    if (!e && path)
        snprintf(path, cap, "%s", final);
    return e;
}

/* ---- pruning ---------------------------------------------------------------------------- */

/* Whether the directory entry name is a dump older than oldest. */
static bool backup_expired(DIR *d, const char *name, double oldest)
{
    struct stat sb;
    return fnmatch("snag-*.dump.gz", name, FNM_PERIOD) == 0 &&
           fstatat(dirfd(d), name, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(sb.st_mode) &&
           (double)sb.st_mtime < oldest;
}

enum err backup_prune(const char *dir, int keep_days, int *removed, struct errinfo *ei)
{
    enum err e = E_OK;
    int count = 0;
    double oldest = clock_now() - keep_days * 86400.0;
    DIR *d = keep_days > 0 ? opendir(dir) : NULL;
    if (keep_days > 0 && !d)
        e = errinfo_set(ei, E_IO, "%s: %s", dir, strerror(errno));
    if (!d)
        goto out;
    struct dirent *de;
    while (!e && (de = readdir(d)) != NULL) {
        if (!backup_expired(d, de->d_name, oldest))
            continue;
        if (unlinkat(dirfd(d), de->d_name, 0) != 0)
            e = errinfo_set(ei, E_IO, "cannot remove %s/%s: %s", dir, de->d_name, strerror(errno));
        else
            count++;
    }
    closedir(d);
out:
    if (removed)
        *removed = count;
    return e;
}

/* ---- restoring -------------------------------------------------------------------------- */

enum err backup_restore(const char *url, const char *file, struct errinfo *ei)
{
    struct stat sb;
    if (stat(file, &sb) != 0)
        return errinfo_set(ei, E_NOTFOUND, "%s: %s", file, strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return errinfo_set(ei, E_INVALID, "%s is not a regular file", file);
    const char *db = store_sqlite_path(url);
    if (db)
        return backup_sqlite_restore(db, file, ei);
    return backup_pg_restore(url, file, ei);
}

/* ---- the server lock -------------------------------------------------------------------- */

enum err backup_serve_lock(const char *url, int *fd, struct errinfo *ei)
{
    char lock[BACKUP_PATH_MAX];
    const char *db = store_sqlite_path(url);
    *fd = -1;
    if (!db)
        return E_OK;
    snprintf(lock, sizeof lock, "%s.lock", db);
    int lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lfd < 0)
        return errinfo_set(ei, E_IO, "%s: %s", lock, strerror(errno));
    if (flock(lfd, LOCK_SH | LOCK_NB) != 0) {
        close(lfd);
        return errinfo_set(ei, E_CONFLICT, "a restore of %s is in progress", db);
    }
    *fd = lfd;
    return E_OK;
}
