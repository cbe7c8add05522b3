/* tokens: generation, hashing and header parsing for API tokens. */
#include "auth/tokens.h"

#include <sodium.h>
#include <string.h>
#include <strings.h>

#include "core/ids.h"

void token_generate(char out[TOKEN_LEN + 1])
{
    ids_random_hex(out, TOKEN_LEN / 2);
}

void token_hash(const char *token, size_t len, char out[TOKEN_HASH_LEN + 1])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)token, len);
    ids_hex(h, sizeof h, out);
}

bool token_hash_equal(const char *a, const char *b)
{
    return a && b && strlen(a) == TOKEN_HASH_LEN && strlen(b) == TOKEN_HASH_LEN &&
           sodium_memcmp(a, b, TOKEN_HASH_LEN) == 0;
}

bool token_from_header(const char *header, const char **tok, size_t *len)
{
    if (!header)
        return false;
    size_t skip;
    if (strncasecmp(header, "Bearer ", 7) == 0)
        skip = 7;
    else if (strncasecmp(header, "Token ", 6) == 0)
        skip = 6;
    else
        return false;
    const char *p = header + skip;
    while (*p == ' ')
        p++;
    size_t n = strlen(p);
    while (n && p[n - 1] == ' ')
        n--;
    if (n == 0)
        return false;
    *tok = p;
    *len = n;
    return true;
}
