/* recovery: generation, normalisation and hashing of two-factor recovery codes. */
#include "auth/recovery.h"

#include <sodium.h>
#include <string.h>

#include "core/ids.h"

static const char alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";

_Static_assert(sizeof alphabet - 1 == 32, "recovery alphabet must have 32 characters");

static void code_random(char out[RECOVERY_CODE_LEN + 1])
{
    size_t o = 0;
    for (int i = 0; i < RECOVERY_CHARS; i++) {
        if (i == RECOVERY_CHARS / 2)
            out[o++] = '-';
        out[o++] = alphabet[randombytes_uniform(32)];
    }
    out[o] = '\0';
}

void recovery_generate(char codes[RECOVERY_COUNT][RECOVERY_CODE_LEN + 1])
{
    for (int i = 0; i < RECOVERY_COUNT; i++) {
        bool dup;
        do {
            code_random(codes[i]);
            dup = false;
            for (int j = 0; j < i; j++)
                dup = dup || strcmp(codes[i], codes[j]) == 0;
        } while (dup);
    }
}

/* The canonical character for c, '\0' for separators to drop, or -1 when invalid. */
static int canonical(char c)
{
    if (c == '-' || c == ' ' || c == '\t' || c == '\r' || c == '\n')
        return '\0';
    if (c >= 'A' && c <= 'Z')
        c = (char)(c + 32);
    if (c == 'o')
        return '0';
    if (c == 'i' || c == 'l')
        return '1';
    return c && strchr(alphabet, c) ? c : -1;
}

bool recovery_normalize(const char *input, size_t len, char out[RECOVERY_CHARS + 1])
{
    size_t n = 0;
    if (len > RECOVERY_INPUT_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        int c = canonical(input[i]);
        if (c < 0 || (c && n == RECOVERY_CHARS))
            return false;
        if (c)
            out[n++] = (char)c;
    }
    out[n] = '\0';
    return n == RECOVERY_CHARS;
}

bool recovery_hash(const char *input, size_t len, char out[RECOVERY_HASH_LEN + 1])
{
    char norm[RECOVERY_CHARS + 1];
    unsigned char h[crypto_hash_sha256_BYTES];
    if (!recovery_normalize(input, len, norm))
        return false;
    crypto_hash_sha256(h, (const unsigned char *)norm, RECOVERY_CHARS);
    ids_hex(h, sizeof h, out);
    return true;
}

int recovery_find(const char *input, size_t len, const char *const *hashes, size_t n)
{
    char h[RECOVERY_HASH_LEN + 1];
    int found = -1;
    if (!recovery_hash(input, len, h))
        return -1;
    for (size_t i = 0; i < n; i++)
        if (hashes[i] && strlen(hashes[i]) == RECOVERY_HASH_LEN &&
            sodium_memcmp(hashes[i], h, RECOVERY_HASH_LEN) == 0 && found < 0)
            found = (int)i;
    return found;
}
