/* backup_int: what the files of the backup module share — gzip streaming between files and
 * descriptors (backup.c) and the two backends' halves (backup_sqlite.c, backup_pg.c). */
#ifndef SNAG_STORE_BACKUP_INT_H
#define SNAG_STORE_BACKUP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <zlib.h>

#include "store/backup.h"

#define BACKUP_CHUNK 65536

/* Reads fd to its end and writes it gzip-compressed to gz. */
enum err backup_gz_from_fd(gzFile gz, int fd, struct errinfo *ei);
/* Decompresses all of file to fd; head (len bytes, may be 0) must be the data's first
 * bytes, else E_INVALID with what (which kind of dump was expected) in the detail. */
enum err backup_gz_to_fd(const char *file, int fd, const char *head, size_t len, const char *what,
                         struct errinfo *ei);
/* The first len bytes of the data in a gzip file (fewer when shorter); -1 on error. */
long backup_gz_peek(const char *file, char *out, size_t len);
/* fsync of the folder that holds path (after a rename in it). */
enum err backup_sync_dir(const char *path, struct errinfo *ei);

/* The backend halves: write a dump into gz; restore from file. */
enum err backup_sqlite_dump(const char *db, const char *tmpdir, gzFile gz, struct errinfo *ei);
enum err backup_sqlite_restore(const char *db, const char *file, struct errinfo *ei);
enum err backup_pg_dump(const char *url, gzFile gz, struct errinfo *ei);
enum err backup_pg_restore(const char *url, const char *file, struct errinfo *ei);

#define BACKUP_PG_MAGIC "PGDMP"
#define BACKUP_SQLITE_MAGIC "SQLite format 3" /* and a NUL */

#endif
