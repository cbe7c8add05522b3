/* slice: a borrowed, length-delimited run of bytes; protocol data moves as slices, not
 * NUL-terminated copies. A slice never owns its bytes. */
#ifndef SNAG_CORE_SLICE_H
#define SNAG_CORE_SLICE_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct slice {
    const char *p;
    size_t len;
};

#define SLICE_LIT(s) ((struct slice){(s), sizeof(s) - 1})

static inline struct slice slice_from_cstr(const char *s)
{
    return (struct slice){s, s ? strlen(s) : 0};
}

static inline bool slice_eq_cstr(struct slice s, const char *c)
{
    size_t n = strlen(c);
    return s.len == n && (n == 0 || memcmp(s.p, c, n) == 0);
}

#endif
