/* buf: capped growable buffer. */
#include "core/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"

void buf_init(struct buf *b, size_t max)
{
    b->p = NULL;
    b->len = b->cap = 0;
    b->max = max;
}

void buf_free(struct buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->p)
        b->p[0] = '\0';
}

enum err buf_reserve(struct buf *b, size_t n, char **out)
{
    if (n > b->max || b->len > b->max - n)
        return E_TOOBIG;
    size_t need = b->len + n + 1;
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < need)
            cap *= 2;
        if (cap > b->max + 1)
            cap = b->max + 1;
        b->p = xrealloc(b->p, cap);
        b->cap = cap;
    }
    *out = b->p + b->len;
    return E_OK;
}

void buf_commit(struct buf *b, size_t n)
{
    b->len += n;
    b->p[b->len] = '\0';
}

enum err buf_append(struct buf *b, const void *data, size_t n)
{
    char *dst;
    enum err e = buf_reserve(b, n, &dst);
    if (e)
        return e;
    if (n)
        memcpy(dst, data, n);
    buf_commit(b, n);
    return E_OK;
}

enum err buf_append_cstr(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

enum err buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return E_INVALID;
    char *dst;
    enum err e = buf_reserve(b, (size_t)n, &dst);
    if (e)
        return e;
    va_start(ap, fmt);
    vsnprintf(dst, (size_t)n + 1, fmt, ap);
    va_end(ap);
    buf_commit(b, (size_t)n);
    return E_OK;
}

char *buf_steal(struct buf *b, size_t *len)
{
    char *p = b->p;
    if (len)
        *len = b->len;
    b->p = NULL;
    b->len = b->cap = 0;
    if (!p)
        p = xstrdup("");
    return p;
}
