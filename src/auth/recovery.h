/* recovery: the ten one-time codes a user keeps in case the authenticator is lost. A code
 * is ten characters of Crockford's base32 alphabet in lowercase (digits and letters without
 * i, l, o, u), shown as `xxxxx-xxxxx`, 50 random bits. Only the hex SHA-256 of the normalised
 * code (the ten characters, no dash) is stored; the caller deletes a stored hash when its
 * code is used. Thread-safe; libsodium must be initialised (ids_init). */
#ifndef SNAG_AUTH_RECOVERY_H
#define SNAG_AUTH_RECOVERY_H

#include <stdbool.h>
#include <stddef.h>

#define RECOVERY_COUNT 10
#define RECOVERY_CHARS 10    /* significant characters of a code */
#define RECOVERY_CODE_LEN 11 /* as shown: xxxxx-xxxxx */
#define RECOVERY_HASH_LEN 64
#define RECOVERY_INPUT_MAX 64 /* longer user input is rejected outright */

/* Fills codes with RECOVERY_COUNT distinct new codes in display form. */
void recovery_generate(char codes[RECOVERY_COUNT][RECOVERY_CODE_LEN + 1]);

/* Normalises what a user typed: ASCII case folded, dashes and whitespace dropped, and the
 * look-alikes o→0, i and l→1 mapped (Crockford). Writes the RECOVERY_CHARS characters into
 * out and returns true, or returns false when the input is not a well-formed code. */
bool recovery_normalize(const char *input, size_t len, char out[RECOVERY_CHARS + 1]);

/* The storage form of a code as typed or shown: hex SHA-256 of its normalised form. Returns
 * false (out untouched) when the input is not a well-formed code. */
bool recovery_hash(const char *input, size_t len, char out[RECOVERY_HASH_LEN + 1]);

/* Looks the typed code up among n stored hashes, comparing in constant time; returns its
 * index, or -1 when it is malformed or not there. */
int recovery_find(const char *input, size_t len, const char *const *hashes, size_t n);

#endif
