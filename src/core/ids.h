/* ids: random identifiers (libsodium's CSPRNG) and event-id normalisation. */
#ifndef SNAG_CORE_IDS_H
#define SNAG_CORE_IDS_H

#include <stdbool.h>
#include <stddef.h>

/* Must be called once before any other function here (wraps sodium_init). */
int ids_init(void);
/* Writes 2*nbytes lowercase hex digits plus NUL into out. */
void ids_random_hex(char *out, size_t nbytes);
/* A new UUIDv4 as 32 lowercase hex digits. */
void ids_uuid4_hex(char out[33]);
/* Accepts 32 hex digits or a 36-char dashed UUID, any case (also wrapped in braces);
 * writes 32 lowercase hex digits. Returns false if s is not such a UUID. */
bool ids_normalize_uuid(const char *s, size_t len, char out[33]);
/* Lowercase hex encoding of bin (out holds 2*n+1). */
void ids_hex(const unsigned char *bin, size_t n, char *out);

#endif
