/* passwords: argon2id via libsodium, with interactive-strength limits. */
#include "auth/passwords.h"

#include <sodium.h>
#include <string.h>

_Static_assert(PASSWORD_HASH_MAX >= crypto_pwhash_STRBYTES, "hash buffer too small");

enum err password_hash(const char *password, char out[PASSWORD_HASH_MAX], struct errinfo *ei)
{
    size_t n = strlen(password);
    if (n < PASSWORD_MIN_LEN)
        return errinfo_set(ei, E_INVALID, "password must have at least %d characters",
                           PASSWORD_MIN_LEN);
    if (crypto_pwhash_str_alg(out, password, n, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13))
        return errinfo_set(ei, E_NOMEM, "out of memory hashing the password");
    return E_OK;
}

bool password_verify(const char *password, const char *encoded)
{
    if (!encoded || !*encoded)
        return false;
    return crypto_pwhash_str_verify(encoded, password, strlen(password)) == 0;
}
