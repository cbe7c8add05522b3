/* hash: FNV-1a over a NUL-terminated string, for the small in-memory caches (statements,
 * client keys, issue hints). Not for anything an attacker can aim at a bounded table. */
#ifndef SNAG_CORE_HASH_H
#define SNAG_CORE_HASH_H

#include <stdint.h>

#define HASH_FNV1A_BASIS 1469598103934665603ULL

/* FNV-1a of s, starting from basis (HASH_FNV1A_BASIS, or that mixed with a key of one's own). */
static inline uint64_t hash_fnv1a(const char *s, uint64_t basis)
{
    uint64_t h = basis;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return h;
}

#endif
