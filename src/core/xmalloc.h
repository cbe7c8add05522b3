/* xmalloc: allocation for internal, bounded sizes; aborts on out-of-memory. Never use it
 * for a size that came from outside (use an arena or a capped buf). */
#ifndef SNAG_CORE_XMALLOC_H
#define SNAG_CORE_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
