/* sqlite_walbuf: gathers a commit's WAL writes into one write (see sqlite_walbuf.h).
 *
 * DESIGN: a shim over the default VFS, in the manner of SQLite's own vfstrace: each file
 * object is ours followed by the real one; every method forwards to the real file. A WAL
 * file's writes that continue the buffered run are appended to it; anything else first hands
 * the run to the real xWrite. A failed hand-over is reported by the call that triggered it
 * (the commit's sync, at the latest), so SQLite fails the transaction as it would have failed
 * the write itself. */
#include "store/sqlite_walbuf.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define WB_MAX (4u << 20)  /* a run longer than this is written out at once */
#define WB_KEEP (1u << 20) /* a buffer grown past this is freed after each sync */

struct wb_file {
    sqlite3_file base;
    sqlite3_file *real; /* the parent VFS's file, WB_SELF bytes after this struct */
    bool is_wal;
    unsigned char *buf;
    size_t len, cap;
    sqlite3_int64 off; /* file offset of buf[0] */
};

static sqlite3_vfs *wb_parent;

/* Our part of a file object, rounded up so that the real file after it is aligned. */
#define WB_SELF ((sizeof(struct wb_file) + 15) & ~(size_t)15)

static struct wb_file *wb(sqlite3_file *f)
{
    return (struct wb_file *)f;
}

static const struct sqlite3_io_methods *wb_real_methods(sqlite3_file *f)
{
    return wb(f)->real->pMethods;
}

/* The unix VFS writes at most 128 KiB - 1 bytes per call (seekAndWriteFd masks the length
 * with 0x1ffff): longer runs go in pieces of this size. */
#define WB_PIECE (124u * 1024)

static int wb_flush(struct wb_file *f)
{
    int rc = SQLITE_OK;
    for (size_t done = 0; done < f->len && rc == SQLITE_OK; done += WB_PIECE) {
        size_t n = f->len - done < WB_PIECE ? f->len - done : WB_PIECE;
        rc =
            f->real->pMethods->xWrite(f->real, f->buf + done, (int)n, f->off + (sqlite3_int64)done);
    }
    f->len = 0;
    return rc;
}

/* Room for amt more bytes in the run; false when memory is short (write through instead). */
static bool wb_reserve(struct wb_file *f, size_t amt)
{
    if (f->len + amt <= f->cap)
        return true;
    size_t cap = f->cap ? f->cap : 64 * 1024;
    while (cap < f->len + amt)
        cap *= 2;
    unsigned char *p = realloc(f->buf, cap);
    if (!p)
        return false;
    f->buf = p;
    f->cap = cap;
    return true;
}

/* ---- io methods ---------------------------------------------------------------------------- */

static int wb_close(sqlite3_file *file)
{
    struct wb_file *f = wb(file);
    int rc = wb_flush(f);
    int rc2 = f->real->pMethods->xClose(f->real);
    free(f->buf);
    f->buf = NULL;
    f->cap = 0;
    return rc != SQLITE_OK ? rc : rc2;
}

static int wb_read(sqlite3_file *file, void *p, int amt, sqlite3_int64 off)
{
    int rc = wb_flush(wb(file));
    return rc != SQLITE_OK ? rc : wb_real_methods(file)->xRead(wb(file)->real, p, amt, off);
}

static int wb_write(sqlite3_file *file, const void *p, int amt, sqlite3_int64 off)
{
    struct wb_file *f = wb(file);
    if (!f->is_wal || amt <= 0)
        return f->real->pMethods->xWrite(f->real, p, amt, off);
    int rc = SQLITE_OK;
    if (f->len && (off != f->off + (sqlite3_int64)f->len || f->len + (size_t)amt > WB_MAX))
        rc = wb_flush(f);
    if (rc != SQLITE_OK)
        return rc;
    if ((size_t)amt > WB_PIECE || !wb_reserve(f, (size_t)amt))
        return f->real->pMethods->xWrite(f->real, p, amt, off);
    if (!f->len)
        f->off = off;
    memcpy(f->buf + f->len, p, (size_t)amt);
    f->len += (size_t)amt;
    return SQLITE_OK;
}

static int wb_truncate(sqlite3_file *file, sqlite3_int64 size)
{
    int rc = wb_flush(wb(file));
    return rc != SQLITE_OK ? rc : wb_real_methods(file)->xTruncate(wb(file)->real, size);
}

static int wb_sync(sqlite3_file *file, int flags)
{
    struct wb_file *f = wb(file);
    int rc = wb_flush(f);
    if (f->cap > WB_KEEP) {
        free(f->buf);
        f->buf = NULL;
        f->cap = 0;
    }
    return rc != SQLITE_OK ? rc : f->real->pMethods->xSync(f->real, flags);
}

static int wb_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
    int rc = wb_flush(wb(file));
    return rc != SQLITE_OK ? rc : wb_real_methods(file)->xFileSize(wb(file)->real, size);
}

static int wb_lock(sqlite3_file *file, int level)
{
    return wb_real_methods(file)->xLock(wb(file)->real, level);
}

static int wb_unlock(sqlite3_file *file, int level)
{
    return wb_real_methods(file)->xUnlock(wb(file)->real, level);
}

static int wb_check_reserved_lock(sqlite3_file *file, int *out)
{
    return wb_real_methods(file)->xCheckReservedLock(wb(file)->real, out);
}

static int wb_file_control(sqlite3_file *file, int op, void *arg)
{
    int rc = wb_flush(wb(file));
    return rc != SQLITE_OK ? rc : wb_real_methods(file)->xFileControl(wb(file)->real, op, arg);
}

static int wb_sector_size(sqlite3_file *file)
{
    return wb_real_methods(file)->xSectorSize(wb(file)->real);
}

static int wb_device_characteristics(sqlite3_file *file)
{
    return wb_real_methods(file)->xDeviceCharacteristics(wb(file)->real);
}

/* Shared memory and memory mapping belong to the database file, which is never buffered. */
static int wb_shm_map(sqlite3_file *file, int pg, int pgsz, int extend, void volatile **pp)
{
    const struct sqlite3_io_methods *m = wb_real_methods(file);
    return m->iVersion >= 2 ? m->xShmMap(wb(file)->real, pg, pgsz, extend, pp) : SQLITE_IOERR;
}

static int wb_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
    const struct sqlite3_io_methods *m = wb_real_methods(file);
    return m->iVersion >= 2 ? m->xShmLock(wb(file)->real, offset, n, flags) : SQLITE_IOERR;
}

static void wb_shm_barrier(sqlite3_file *file)
{
    const struct sqlite3_io_methods *m = wb_real_methods(file);
    if (m->iVersion >= 2)
        m->xShmBarrier(wb(file)->real);
}

static int wb_shm_unmap(sqlite3_file *file, int delete_flag)
{
    const struct sqlite3_io_methods *m = wb_real_methods(file);
    return m->iVersion >= 2 ? m->xShmUnmap(wb(file)->real, delete_flag) : SQLITE_OK;
}

static int wb_fetch(sqlite3_file *file, sqlite3_int64 off, int amt, void **pp)
{
    const struct sqlite3_io_methods *m = wb_real_methods(file);
    *pp = NULL;
    int rc = wb_flush(wb(file));
    return rc != SQLITE_OK || m->iVersion < 3 ? rc : m->xFetch(wb(file)->real, off, amt, pp);
}

static int wb_unfetch(sqlite3_file *file, sqlite3_int64 off, void *p)
{
    const struct sqlite3_io_methods *m = wb_real_methods(file);
    return m->iVersion >= 3 ? m->xUnfetch(wb(file)->real, off, p) : SQLITE_OK;
}

static const struct sqlite3_io_methods wb_methods = {
    .iVersion = 3,
    .xClose = wb_close,
    .xRead = wb_read,
    .xWrite = wb_write,
    .xTruncate = wb_truncate,
    .xSync = wb_sync,
    .xFileSize = wb_file_size,
    .xLock = wb_lock,
    .xUnlock = wb_unlock,
    .xCheckReservedLock = wb_check_reserved_lock,
    .xFileControl = wb_file_control,
    .xSectorSize = wb_sector_size,
    .xDeviceCharacteristics = wb_device_characteristics,
    .xShmMap = wb_shm_map,
    .xShmLock = wb_shm_lock,
    .xShmBarrier = wb_shm_barrier,
    .xShmUnmap = wb_shm_unmap,
    .xFetch = wb_fetch,
    .xUnfetch = wb_unfetch,
};

/* ---- the VFS: opening is ours, the rest is the parent's ---------------------------------- */

static int wb_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *file, int flags,
                   int *out_flags)
{
    (void)vfs;
    struct wb_file *f = wb(file);
    memset(f, 0, sizeof *f);
    f->real = (sqlite3_file *)((char *)f + WB_SELF);
    f->is_wal = (flags & SQLITE_OPEN_WAL) != 0;
    int rc = wb_parent->xOpen(wb_parent, name, f->real, flags, out_flags);
    f->base.pMethods = f->real->pMethods ? &wb_methods : NULL;
    return rc;
}

static int wb_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
    (void)vfs;
    return wb_parent->xDelete(wb_parent, name, sync_dir);
}

static int wb_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
    (void)vfs;
    return wb_parent->xAccess(wb_parent, name, flags, out);
}

static int wb_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
    (void)vfs;
    return wb_parent->xFullPathname(wb_parent, name, n, out);
}

static void *wb_dl_open(sqlite3_vfs *vfs, const char *name)
{
    (void)vfs;
    return wb_parent->xDlOpen(wb_parent, name);
}

static void wb_dl_error(sqlite3_vfs *vfs, int n, char *msg)
{
    (void)vfs;
    wb_parent->xDlError(wb_parent, n, msg);
}

static void (*wb_dl_sym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
    (void)vfs;
    return wb_parent->xDlSym(wb_parent, h, sym);
}

static void wb_dl_close(sqlite3_vfs *vfs, void *h)
{
    (void)vfs;
    wb_parent->xDlClose(wb_parent, h);
}

static int wb_randomness(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    return wb_parent->xRandomness(wb_parent, n, out);
}

static int wb_sleep(sqlite3_vfs *vfs, int us)
{
    (void)vfs;
    return wb_parent->xSleep(wb_parent, us);
}

static int wb_current_time(sqlite3_vfs *vfs, double *out)
{
    (void)vfs;
    return wb_parent->xCurrentTime(wb_parent, out);
}

static int wb_last_error(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    return wb_parent->xGetLastError ? wb_parent->xGetLastError(wb_parent, n, out) : 0;
}

static int wb_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
    (void)vfs;
    if (wb_parent->iVersion >= 2 && wb_parent->xCurrentTimeInt64)
        return wb_parent->xCurrentTimeInt64(wb_parent, out);
    double d;
    int rc = wb_parent->xCurrentTime(wb_parent, &d);
    *out = (sqlite3_int64)(d * 86400000.0);
    return rc;
}

static sqlite3_vfs wb_vfs;
static int wb_register_rc = SQLITE_ERROR;
static pthread_once_t wb_once = PTHREAD_ONCE_INIT;

static void wb_register_once(void)
{
    wb_parent = sqlite3_vfs_find(NULL);
    if (!wb_parent)
        return;
    wb_vfs = (sqlite3_vfs){
        .iVersion = 2,
        .szOsFile = (int)WB_SELF + wb_parent->szOsFile,
        .mxPathname = wb_parent->mxPathname,
        .zName = SQ_WALBUF_VFS,
        .xOpen = wb_open,
        .xDelete = wb_delete,
        .xAccess = wb_access,
        .xFullPathname = wb_full_pathname,
        .xDlOpen = wb_dl_open,
        .xDlError = wb_dl_error,
        .xDlSym = wb_dl_sym,
        .xDlClose = wb_dl_close,
        .xRandomness = wb_randomness,
        .xSleep = wb_sleep,
        .xCurrentTime = wb_current_time,
        .xGetLastError = wb_last_error,
        .xCurrentTimeInt64 = wb_current_time_int64,
    };
    wb_register_rc = sqlite3_vfs_register(&wb_vfs, 0);
}

int sq_walbuf_register(void)
{
    pthread_once(&wb_once, wb_register_once);
    return wb_register_rc;
}
