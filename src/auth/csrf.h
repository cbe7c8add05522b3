/* csrf: tokens that tie a state-changing browser request to its session cookie. The token is
 * base64url(HMAC-SHA256(SECRET_KEY, "csrf:" + session_id)) without padding: stateless (the
 * server recomputes it), valid exactly as long as the session, and useless to anyone who
 * cannot read the page. The UI sends it back in a header on cookie-authenticated writes.
 * Pure functions; thread-safe; libsodium must be initialised (ids_init). */
#ifndef SNAG_AUTH_CSRF_H
#define SNAG_AUTH_CSRF_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

#define CSRF_TOKEN_LEN 43 /* base64url of 32 bytes, no padding */

/* The token for session_id into out. Both strings are the caller's and must not be empty
 * (E_INVALID otherwise). */
enum err csrf_token(const char *secret_key, const char *session_id,
                    char out[CSRF_TOKEN_LEN + 1]) WUR;

/* True when token (len bytes, not necessarily NUL-terminated) is the token of session_id;
 * the comparison takes the same time wherever the first difference is. False for an empty
 * key or session id. */
bool csrf_verify(const char *secret_key, const char *session_id, const char *token, size_t len);

#endif
