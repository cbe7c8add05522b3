/* arena: bump allocation in 64 KiB blocks, large requests in their own block. */
#include "core/arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"

#define ARENA_BLOCK 65536
#define ARENA_ALIGN 16

struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    _Alignas(ARENA_ALIGN) unsigned char data[];
};

struct arena_hook {
    struct arena_hook *next;
    void (*fn)(void *);
    void *ptr;
};

struct arena {
    struct arena_block *head; /* current block first */
    struct arena_hook *hooks;
    size_t budget, used;
};

struct arena *arena_new(size_t budget)
{
    struct arena *a = xcalloc(1, sizeof *a);
    a->budget = budget;
    return a;
}

/* Runs the hooks and frees every block but keep (NULL: all of them). */
static void arena_release(struct arena *a, const struct arena_block *keep)
{
    for (struct arena_hook *h = a->hooks; h; h = h->next)
        h->fn(h->ptr);
    a->hooks = NULL;
    struct arena_block *b = a->head;
    while (b) {
        struct arena_block *next = b->next;
        if (b != keep)
            free(b);
        b = next;
    }
}

void arena_free(struct arena *a)
{
    if (!a)
        return;
    arena_release(a, NULL);
    free(a);
}

void arena_reset(struct arena *a)
{
    struct arena_block *keep = NULL;
#ifndef SNAG_ARENA_SEPARATE
    for (struct arena_block *b = a->head; b && !keep; b = b->next)
        if (b->cap == ARENA_BLOCK)
            keep = b;
#endif
    arena_release(a, keep);
    if (keep) {
        keep->used = 0;
        keep->next = NULL;
    }
    a->head = keep;
    a->used = 0;
}

static struct arena_block *arena_block_new(size_t cap)
{
    struct arena_block *b = xmalloc(sizeof *b + cap);
    b->next = NULL;
    b->used = 0;
    b->cap = cap;
    return b;
}

void *arena_alloc(struct arena *a, size_t n)
{
    if (n == 0)
        n = 1;
    size_t rounded = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (rounded < n)
        return NULL;
    if (a->budget && (rounded > a->budget || a->used > a->budget - rounded))
        return NULL;
    a->used += rounded;
#ifdef SNAG_ARENA_SEPARATE
    struct arena_block *sep = arena_block_new(n);
    sep->next = a->head ? a->head->next : NULL;
    if (a->head)
        a->head->next = sep;
    else
        a->head = sep;
    sep->used = n;
    return sep->data;
#else
    struct arena_block *b = a->head;
    if (!b || b->cap - b->used < rounded) {
        if (rounded > ARENA_BLOCK / 4) {
            /* Large: own block, kept behind the current one so its tail stays usable. */
            struct arena_block *big = arena_block_new(rounded);
            big->used = rounded;
            if (b) {
                big->next = b->next;
                b->next = big;
            } else {
                a->head = big;
            }
            return big->data;
        }
        b = arena_block_new(ARENA_BLOCK);
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += rounded;
    return p;
#endif
}

void *arena_calloc(struct arena *a, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    void *p = arena_alloc(a, n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    if (!p)
        return NULL;
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
    return s ? arena_strndup(a, s, strlen(s)) : NULL;
}

char *arena_slice_dup(struct arena *a, struct slice s)
{
    return arena_strndup(a, s.p, s.len);
}

char *arena_vprintf(struct arena *a, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return NULL;
    char *p = arena_alloc(a, (size_t)n + 1);
    if (p)
        vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = arena_vprintf(a, fmt, ap);
    va_end(ap);
    return p;
}

char *arena_concat(struct arena *a, ...)
{
    va_list ap;
    size_t len = 0;
    va_start(ap, a);
    for (const char *s = va_arg(ap, const char *); s; s = va_arg(ap, const char *))
        len += strlen(s);
    va_end(ap);
    char *out = arena_alloc(a, len + 1), *p = out;
    if (!out)
        return NULL;
    va_start(ap, a);
    for (const char *s = va_arg(ap, const char *); s; s = va_arg(ap, const char *)) {
        size_t n = strlen(s);
        memcpy(p, s, n);
        p += n;
    }
    va_end(ap);
    *p = '\0';
    return out;
}

int arena_defer(struct arena *a, void (*fn)(void *), void *ptr)
{
    struct arena_hook *h = arena_alloc(a, sizeof *h);
    if (!h) {
        fn(ptr);
        return -1;
    }
    h->fn = fn;
    h->ptr = ptr;
    h->next = a->hooks;
    a->hooks = h;
    return 0;
}

size_t arena_used(const struct arena *a)
{
    return a->used;
}

int arena_owns(const struct arena *a, const void *p)
{
    uintptr_t u = (uintptr_t)p;
    for (const struct arena_block *b = a->head; b; b = b->next) {
        uintptr_t lo = (uintptr_t)b->data;
        if (u >= lo && u < lo + b->cap)
            return 1;
    }
    return 0;
}
