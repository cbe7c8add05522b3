/* sqlite_walbuf: a SQLite VFS shim that gathers the writes of a commit to the WAL file into
 * one buffer and writes it with one system call.
 *
 * SQLite writes each WAL frame as two writes (its 24-byte header, then the page), so a commit
 * of n pages costs 2n write() calls; on a machine where system calls are dear that was the
 * ingest writer's largest single cost. The shim keeps consecutive WAL writes in memory and
 * hands them to the real file before anything that must see them: a sync, a read, a size or
 * a truncation, a close, or a write elsewhere in the file.
 *
 * Only for a connection with synchronous = FULL (or EXTRA): then SQLite syncs the WAL before
 * it publishes a commit in the wal-index, so no reader can be told of a frame that is still
 * in the buffer, and a failed write fails the commit. Files other than the WAL pass straight
 * through. */
#ifndef SNAG_STORE_SQLITE_WALBUF_H
#define SNAG_STORE_SQLITE_WALBUF_H

#define SQ_WALBUF_VFS "snag-walbuf"

/* Registers the VFS under SQ_WALBUF_VFS (not as the default), once per process; safe from
 * any thread. Returns a SQLite result code. */
int sq_walbuf_register(void);

#endif
