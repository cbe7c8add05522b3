/* passwords: argon2id password hashing and verification (libsodium's crypto_pwhash). */
#ifndef SNAG_AUTH_PASSWORDS_H
#define SNAG_AUTH_PASSWORDS_H

#include <stdbool.h>

#include "core/err.h"

#define PASSWORD_HASH_MAX 128 /* crypto_pwhash_STRBYTES */
#define PASSWORD_MIN_LEN 8

/* Writes the encoded hash ("$argon2id$…") into out. E_INVALID for a too-short password. */
enum err password_hash(const char *password, char out[PASSWORD_HASH_MAX], struct errinfo *ei) WUR;
/* Constant-time verification against an encoded hash. */
bool password_verify(const char *password, const char *encoded);

#endif
