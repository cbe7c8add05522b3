/* arena: per-request bump allocator with a byte budget and cleanup hooks.
 *
 * DESIGN: everything a request allocates comes from its arena and is released at once by
 * arena_free() when the response completes; nothing is freed one by one. Objects owned by
 * other allocators (cJSON trees, prepared statements) are tied to the arena with
 * arena_defer(), whose hooks run in reverse order on arena_free(). An arena belongs to one
 * thread at a time. Over budget, allocation returns NULL (callers map it to E_TOOBIG).
 * Built with SNAG_ARENA_SEPARATE (the ASan build), every allocation is its own malloc block
 * so the sanitizer still sees overflows. */
#ifndef SNAG_CORE_ARENA_H
#define SNAG_CORE_ARENA_H

#include <stdarg.h>
#include <stddef.h>

#include "core/slice.h"

struct arena;

/* budget: most bytes the arena may hand out; 0 means unlimited. Aborts on OOM. */
struct arena *arena_new(size_t budget);
/* Runs the deferred hooks (last registered first) and releases all memory. NULL is fine. */
void arena_free(struct arena *a);
/* Runs the deferred hooks and forgets every allocation, keeping one block for reuse: a loop
 * that needs a fresh arena per item resets one instead of paying for new memory each time. */
void arena_reset(struct arena *a);

/* Uninitialised, 16-byte aligned memory, or NULL when over budget. */
void *arena_alloc(struct arena *a, size_t n);
/* Zeroed memory, or NULL when over budget (or when n * size overflows). */
void *arena_calloc(struct arena *a, size_t n, size_t size);
/* NUL-terminated copies; NULL when over budget (or s is NULL for arena_strdup). */
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_slice_dup(struct arena *a, struct slice s);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *arena_vprintf(struct arena *a, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* The strings up to the NULL that ends the list, joined (for the hot paths: arena_printf's
 * "%s%s" costs two vsnprintf passes); NULL when over budget. */
char *arena_concat(struct arena *a, ...) __attribute__((sentinel));

/* Registers fn(ptr) to run on arena_free(). Returns 0, or -1 when over budget (in which
 * case fn(ptr) is run immediately so nothing leaks). */
int arena_defer(struct arena *a, void (*fn)(void *), void *ptr);

size_t arena_used(const struct arena *a);

/* True when p points into memory handed out by a (a walk over its blocks: cheap for a normal
 * arena, linear in the number of allocations with SNAG_ARENA_SEPARATE). */
int arena_owns(const struct arena *a, const void *p);

#endif
