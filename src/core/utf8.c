/* utf8: a small strict decoder (RFC 3629) used for validation and repair. */
#include "core/utf8.h"

#include <string.h>

/* Length of the well-formed sequence starting at p[0], or 0 when it is not one. */
static size_t utf8_seq_len(const unsigned char *p, size_t avail)
{
    unsigned char c = p[0];
    if (c < 0x80)
        return 1;
    size_t n;
    unsigned char lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        if (c == 0xe0)
            lo = 0xa0;
        else if (c == 0xed)
            hi = 0x9f; /* no surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f; /* nothing above U+10FFFF */
    } else {
        return 0;
    }
    if (avail < n || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    }
    return n;
}

bool utf8_valid(const char *p, size_t len)
{
    const unsigned char *u = (const unsigned char *)p;
    size_t i = 0;
    while (i < len) {
        size_t n = utf8_seq_len(u + i, len - i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

char *utf8_sanitize(struct arena *a, const char *p, size_t len)
{
    /* Each invalid byte becomes 3 bytes at most. */
    if (len > ((size_t)-1 - 1) / 3)
        return NULL;
    char *out = arena_alloc(a, len * 3 + 1);
    if (!out)
        return NULL;
    const unsigned char *u = (const unsigned char *)p;
    size_t i = 0, o = 0;
    while (i < len) {
        size_t n = utf8_seq_len(u + i, len - i);
        if (n == 0) {
            memcpy(out + o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
            continue;
        }
        memcpy(out + o, p + i, n);
        o += n;
        i += n;
    }
    out[o] = '\0';
    return out;
}

size_t utf8_count(const char *p, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (((unsigned char)p[i] & 0xc0) != 0x80)
            n++;
    }
    return n;
}

size_t utf8_prefix_len(const char *p, size_t len, size_t max_chars)
{
    size_t chars = 0;
    for (size_t i = 0; i < len; i++) {
        if (((unsigned char)p[i] & 0xc0) != 0x80) {
            if (chars == max_chars)
                return i;
            chars++;
        }
    }
    return len;
}

bool utf8_truncate(char *s, size_t max_chars)
{
    size_t len = strlen(s);
    size_t cut = utf8_prefix_len(s, len, max_chars);
    if (cut == len)
        return false;
    s[cut] = '\0';
    return true;
}
