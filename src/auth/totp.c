/* totp: RFC 6238 codes via liboath, RFC 4648 base32 for the secret, and the otpauth:// URI
 * authenticator apps read from a QR code. */
#include "auth/totp.h"

#include <math.h>
#include <oath.h>
#include <pthread.h>
#include <stdbool.h>
#include <sodium.h>
#include <string.h>
#include <time.h>

static const char b32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

static pthread_once_t oath_once = PTHREAD_ONCE_INIT;

static void oath_setup(void)
{
    /* Only fails on a library version mismatch; oath_totp_generate would then fail too. */
    (void)oath_init();
}

static void b32_encode(const unsigned char *in, size_t n, char *out)
{
    unsigned acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            out[o++] = b32_alphabet[(acc >> bits) & 31];
        }
    }
    if (bits > 0)
        out[o++] = b32_alphabet[(acc << (5 - bits)) & 31];
    out[o] = '\0';
}

static int b32_value(char c)
{
    if (c >= 'a' && c <= 'z')
        c = (char)(c - 32);
    const char *p = c ? strchr(b32_alphabet, c) : NULL;
    return p ? (int)(p - b32_alphabet) : -1;
}

/* Decodes base32 (any case; spaces and '=' ignored). Returns the byte count, or 0 when the
 * input is empty, malformed or longer than TOTP_SECRET_MAX_BYTES. */
static size_t b32_decode(const char *in, unsigned char out[TOTP_SECRET_MAX_BYTES])
{
    unsigned acc = 0;
    int bits = 0;
    size_t n = 0;
    for (; *in; in++) {
        if (*in == ' ' || *in == '=')
            continue;
        int v = b32_value(*in);
        if (v < 0)
            return 0;
        acc = (acc << 5) | (unsigned)v;
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            if (n == TOTP_SECRET_MAX_BYTES)
                return 0;
            out[n++] = (unsigned char)(acc >> bits);
        }
    }
    return n;
}

void totp_secret_generate(char out[TOTP_SECRET_B32_LEN + 1])
{
    unsigned char raw[TOTP_SECRET_BYTES];
    randombytes_buf(raw, sizeof raw);
    b32_encode(raw, sizeof raw, out);
    sodium_memzero(raw, sizeof raw);
}

/* Percent-encodes everything but unreserved characters and '@' (kept for readability). */
static char *uri_escape(struct arena *a, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s);
    char *out = arena_alloc(a, 3 * n + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            strchr("-._~@", c)) {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
    return out;
}

enum err totp_uri(struct arena *a, const char *email, const char *secret_b32, char **out)
{
    char *label = uri_escape(a, email);
    char *secret = label ? uri_escape(a, secret_b32) : NULL;
    *out = secret
               ? arena_printf(a, "otpauth://totp/" TOTP_ISSUER ":%s?secret=%s&issuer=" TOTP_ISSUER,
                              label, secret)
               : NULL;
    return *out ? E_OK : E_TOOBIG;
}

/* Years 1970 to 9999: keeps the step arithmetic far from overflow. */
static bool time_ok(double t)
{
    return t >= 0 && t <= 253402300799.0;
}

int64_t totp_step(double t)
{
    return (int64_t)floor(t / TOTP_STEP_SECS);
}

/* The code of one step from a decoded secret. */
static enum err code_at_step(const unsigned char *key, size_t n, int64_t step,
                             char out[TOTP_DIGITS + 1])
{
    pthread_once(&oath_once, oath_setup);
    time_t t = (time_t)(step * TOTP_STEP_SECS);
    int rc = oath_totp_generate((const char *)key, n, t, TOTP_STEP_SECS, 0, TOTP_DIGITS, out);
    return rc == OATH_OK ? E_OK : E_INVALID;
}

enum err totp_code(const char *secret_b32, double t, char out[TOTP_DIGITS + 1], struct errinfo *ei)
{
    unsigned char key[TOTP_SECRET_MAX_BYTES];
    size_t n = b32_decode(secret_b32, key);
    enum err e = E_INVALID;
    if (n == 0 || !time_ok(t)) {
        errinfo_set(ei, e, "invalid TOTP secret or time");
        goto out;
    }
    e = code_at_step(key, n, totp_step(t), out);
    if (e != E_OK)
        errinfo_set(ei, e, "cannot compute the TOTP code");
out:
    sodium_memzero(key, sizeof key);
    return e;
}

/* Copies the digits of code into out, skipping spaces; false unless exactly TOTP_DIGITS. */
static bool code_digits(const char *code, char out[TOTP_DIGITS + 1])
{
    size_t n = 0;
    for (; *code; code++) {
        if (*code == ' ')
            continue;
        if (*code < '0' || *code > '9' || n == TOTP_DIGITS)
            return false;
        out[n++] = *code;
    }
    out[n] = '\0';
    return n == TOTP_DIGITS;
}

enum err totp_verify(const char *secret_b32, const char *code, double now, int64_t last_step,
                     int64_t *step, struct errinfo *ei)
{
    unsigned char key[TOTP_SECRET_MAX_BYTES];
    char want[TOTP_DIGITS + 1], got[TOTP_DIGITS + 1];
    int64_t found = -1;
    enum err e = E_INVALID;
    size_t n = b32_decode(secret_b32, key);
    if (n == 0 || !time_ok(now)) {
        errinfo_set(ei, e, "invalid TOTP secret or time");
        goto out;
    }
    e = E_AUTH;
    if (!code_digits(code, got)) {
        errinfo_set(ei, e, "the code must have %d digits", TOTP_DIGITS);
        goto out;
    }
    int64_t s0 = totp_step(now);
    for (int64_t s = s0 > TOTP_WINDOW ? s0 - TOTP_WINDOW : 0; s <= s0 + TOTP_WINDOW; s++) {
        if (code_at_step(key, n, s, want) != E_OK) {
            e = errinfo_set(ei, E_INVALID, "cannot compute the TOTP code");
            goto out;
        }
        if (sodium_memcmp(want, got, TOTP_DIGITS) == 0)
            found = s;
    }
    if (found < 0)
        errinfo_set(ei, e, "invalid code");
    else if (found <= last_step)
        errinfo_set(ei, e, "code already used");
    else
        e = E_OK;
    if (e == E_OK)
        *step = found;
out:
    sodium_memzero(key, sizeof key);
    return e;
}
