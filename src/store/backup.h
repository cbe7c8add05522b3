/* backup: `snag backup` and `snag restore` — compressed dumps of the database named by a
 * DATABASE_URL, the pruning of old dumps, and the lock that tells a restore a server is
 * using a SQLite database.
 *
 * A dump is one file, `snag-YYYYMMDD-HHMMSS.dump.gz` (UTC), mode 0600, written under a
 * temporary name, fsynced and renamed, so a dump that exists is complete. Its content is
 * gzip of: PostgreSQL — `pg_dump --format=custom` (restored with pg_restore); SQLite — a
 * copy of the database file taken with the online backup API (so it may run while the
 * server writes). pg_dump and pg_restore are spawned with argument vectors, never through
 * a shell, and get the connection settings, password included, in their environment (not
 * in argv, which other local users can read). Callers ignore SIGPIPE (a client program
 * that dies mid-stream must be an error, not the end of snag). */
#ifndef SNAG_STORE_BACKUP_H
#define SNAG_STORE_BACKUP_H

#include <stddef.h>

#include "core/err.h"

#define BACKUP_KEEP_DAYS 30 /* default of --keep-days */

/* Writes a dump of url's database into dir (created 0700 if missing); path (cap bytes, may
 * be NULL) gets the file's path. The file name comes from clock_now(). E_CONFLICT when a
 * dump of that second exists; E_IO, E_UNAVAILABLE, E_DB with a detail otherwise. */
enum err backup_create(const char *url, const char *dir, char *path, size_t cap,
                       struct errinfo *ei) WUR;

/* Deletes the snag-*.dump.gz files of dir last modified more than keep_days days before
 * clock_now(); keep_days <= 0 deletes nothing. *removed (may be NULL) counts them. */
enum err backup_prune(const char *dir, int keep_days, int *removed, struct errinfo *ei) WUR;

/* Replaces url's database with the dump in file. PostgreSQL: pg_restore --clean
 * --if-exists --no-owner in one transaction, refused (E_CONFLICT) while snag servers are
 * connected to the database. SQLite: the dump is decompressed beside the database,
 * checked (it opens, passes quick_check, has schema_migrations) and renamed over it,
 * refused (E_CONFLICT) while a server holds the database's lock. A dump of the other
 * backend is refused (E_INVALID). */
enum err backup_restore(const char *url, const char *file, struct errinfo *ei) WUR;

/* What `snag serve` calls at start-up and keeps until exit: for a SQLite URL, a shared
 * lock on "<database>.lock" (*fd gets the descriptor to close at exit); E_CONFLICT while a
 * restore holds it. Other URLs: nothing to lock, *fd = -1. */
enum err backup_serve_lock(const char *url, int *fd, struct errinfo *ei) WUR;

#endif
