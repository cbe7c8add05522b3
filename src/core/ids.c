/* ids: identifiers. */
#include "core/ids.h"

#include <ctype.h>
#include <sodium.h>

int ids_init(void)
{
    return sodium_init() < 0 ? -1 : 0;
}

void ids_hex(const unsigned char *bin, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[bin[i] >> 4];
        out[2 * i + 1] = digits[bin[i] & 15];
    }
    out[2 * n] = '\0';
}

void ids_random_hex(char *out, size_t nbytes)
{
    unsigned char tmp[64];
    while (nbytes > 0) {
        size_t n = nbytes > sizeof tmp ? sizeof tmp : nbytes;
        randombytes_buf(tmp, n);
        ids_hex(tmp, n, out);
        out += 2 * n;
        nbytes -= n;
    }
}

void ids_uuid4_hex(char out[33])
{
    unsigned char b[16];
    randombytes_buf(b, sizeof b);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    ids_hex(b, sizeof b, out);
}

bool ids_normalize_uuid(const char *s, size_t len, char out[33])
{
    if (len == 38 && s[0] == '{' && s[37] == '}') {
        s++;
        len -= 2;
    }
    if (len != 32 && len != 36)
        return false;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (len == 36 && (i == 8 || i == 13 || i == 18 || i == 23)) {
            if (c != '-')
                return false;
            continue;
        }
        if (!isxdigit((unsigned char)c))
            return false;
        out[o++] = (char)tolower((unsigned char)c);
    }
    out[32] = '\0';
    return o == 32;
}
