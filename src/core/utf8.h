/* utf8: validation, repair and character-boundary truncation of UTF-8 text. Strings from
 * clients are raw bytes; everything snag stores or hashes goes through here first so that it
 * is valid UTF-8 (invalid sequences become U+FFFD) and limits count characters, not bytes. */
#ifndef SNAG_CORE_UTF8_H
#define SNAG_CORE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"

/* True when p[0..len) is well-formed UTF-8 (no overlongs, surrogates or code points above
 * U+10FFFF). */
bool utf8_valid(const char *p, size_t len);

/* A NUL-terminated copy of p[0..len) in the arena with every invalid sequence replaced by
 * U+FFFD. NULL when over the arena's budget. */
char *utf8_sanitize(struct arena *a, const char *p, size_t len);

/* Number of characters in valid UTF-8 text p[0..len). */
size_t utf8_count(const char *p, size_t len);

/* Byte length of the first max_chars characters of valid UTF-8 text p[0..len) (all of it
 * when shorter). */
size_t utf8_prefix_len(const char *p, size_t len, size_t max_chars);

/* Cuts the NUL-terminated valid UTF-8 string s in place after max_chars characters. Returns
 * true when it was cut. */
bool utf8_truncate(char *s, size_t max_chars);

#endif
