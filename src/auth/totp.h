/* totp: RFC 6238 time-based one-time passwords (HMAC-SHA-1, 6 digits, 30-second steps), the
 * codes authenticator apps show. A user's secret is 20 random bytes, handed out and stored as
 * 32 base32 characters without padding.
 *
 * Replay: totp_verify() reports the time step a code matched; the caller stores it with the
 * user and passes it back as last_step, so a code (or an older one) is accepted only once.
 * Times are passed in (clock_now() in the server, fixed values in tests). Thread-safe. */
#ifndef SNAG_AUTH_TOTP_H
#define SNAG_AUTH_TOTP_H

#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"

#define TOTP_SECRET_BYTES 20
#define TOTP_SECRET_B32_LEN 32 /* base32 of TOTP_SECRET_BYTES, no padding */
#define TOTP_SECRET_MAX_BYTES 64
#define TOTP_DIGITS 6
#define TOTP_STEP_SECS 30
#define TOTP_WINDOW 1 /* steps accepted either side of the current one */
#define TOTP_ISSUER "snag"

/* A new random secret as uppercase base32 (RFC 4648 alphabet) into out. libsodium must be
 * initialised (ids_init). */
void totp_secret_generate(char out[TOTP_SECRET_B32_LEN + 1]);

/* otpauth://totp/snag:{email}?secret={secret}&issuer=snag, the email percent-encoded; the
 * string is allocated from a. E_TOOBIG when the arena is over budget. */
enum err totp_uri(struct arena *a, const char *email, const char *secret_b32, char **out) WUR;

/* The time step containing t (seconds since the epoch): floor(t / TOTP_STEP_SECS). */
int64_t totp_step(double t);

/* The code for time t into out. E_INVALID when the secret is not base32 (case and spaces
 * are ignored) or t is outside the years 1970 to 9999. */
enum err totp_code(const char *secret_b32, double t, char out[TOTP_DIGITS + 1],
                   struct errinfo *ei) WUR;

/* Checks code (6 digits; spaces ignored) against the steps of now ± TOTP_WINDOW, accepting
 * only a step later than last_step (pass -1 before the first use). On success sets *step to
 * the matched step (the latest if several match) for the caller to store. Returns E_OK,
 * E_AUTH (wrong, malformed or replayed code) or E_INVALID (bad secret or time). */
enum err totp_verify(const char *secret_b32, const char *code, double now, int64_t last_step,
                     int64_t *step, struct errinfo *ei) WUR;

#endif
