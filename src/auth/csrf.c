/* csrf: HMAC-SHA256 session-bound tokens (libsodium), compared in constant time. */
#include "auth/csrf.h"

#include <sodium.h>
#include <string.h>

#define CSRF_PREFIX "csrf:"

_Static_assert(sodium_base64_ENCODED_LEN(crypto_auth_hmacsha256_BYTES,
                                         sodium_base64_VARIANT_URLSAFE_NO_PADDING) ==
                   CSRF_TOKEN_LEN + 1,
               "CSRF_TOKEN_LEN does not match the encoded HMAC");

enum err csrf_token(const char *secret_key, const char *session_id, char out[CSRF_TOKEN_LEN + 1])
{
    if (!secret_key || !*secret_key || !session_id || !*session_id)
        return E_INVALID;
    crypto_auth_hmacsha256_state st;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret_key, strlen(secret_key));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)CSRF_PREFIX, sizeof CSRF_PREFIX - 1);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)session_id, strlen(session_id));
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2base64(out, CSRF_TOKEN_LEN + 1, mac, sizeof mac,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(&st, sizeof st);
    return E_OK;
}

bool csrf_verify(const char *secret_key, const char *session_id, const char *token, size_t len)
{
    char want[CSRF_TOKEN_LEN + 1];
    if (!token || len != CSRF_TOKEN_LEN || csrf_token(secret_key, session_id, want) != E_OK)
        return false;
    return sodium_memcmp(want, token, CSRF_TOKEN_LEN) == 0;
}
