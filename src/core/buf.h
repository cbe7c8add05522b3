/* buf: a growable byte buffer with a hard size cap (curl's dynbuf). Growing past the cap
 * fails with E_TOOBIG and leaves the contents as they were. The buffer owns its memory
 * (heap); buf_free() releases it. Contents are always NUL-terminated (not counted in len). */
#ifndef SNAG_CORE_BUF_H
#define SNAG_CORE_BUF_H

#include <stddef.h>

#include "core/err.h"

struct buf {
    char *p;
    size_t len, cap, max;
};

void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);
void buf_reset(struct buf *b); /* len = 0, memory kept */
enum err buf_append(struct buf *b, const void *data, size_t n) WUR;
enum err buf_append_cstr(struct buf *b, const char *s) WUR;
enum err buf_printf(struct buf *b, const char *fmt, ...) WUR __attribute__((format(printf, 2, 3)));
/* Makes room for n more bytes; returns a pointer to write them (then call buf_commit). */
enum err buf_reserve(struct buf *b, size_t n, char **out) WUR;
void buf_commit(struct buf *b, size_t n);
/* Hands the memory to the caller (free() it) and leaves b empty. */
char *buf_steal(struct buf *b, size_t *len);

#endif
