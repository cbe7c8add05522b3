/* sessions: the browser sign-in session's pieces that need no database — the random id
 * carried in the `snag_session` cookie (only its SHA-256, token_hash(), is stored), reading
 * a cookie from a Cookie header, the Set-Cookie values, lifetimes, and the dummy password
 * hash that sign-in verifies against when the email is unknown (so that an unknown email
 * costs the same argon2id work as a wrong password). Pure functions; thread-safe. */
#ifndef SNAG_AUTH_SESSIONS_H
#define SNAG_AUTH_SESSIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"

#define SESSION_ID_LEN 64                 /* 32 random bytes as hex */
#define SESSION_TTL_SECS (14.0 * 86400.0) /* a signed-in session (Django's default) */
#define SESSION_PENDING_TTL_SECS 300.0    /* between the password and the second factor */
#define SESSION_COOKIE "snag_session"     /* HttpOnly */
#define SESSION_CSRF_COOKIE "snag_csrf"   /* readable by the page's script */
#define SESSION_CSRF_HEADER "X-CSRFToken" /* Django's header name */
#define SESSION_TOUCH_SECS 300.0          /* last_seen is refreshed at most this often */
#define SESSION_USER_AGENT_MAX 256        /* bytes of User-Agent kept with a session */
#define SESSION_PUBLIC_ID_LEN 16          /* hex of the stored hash that names a session */

/* An argon2id hash (password_hash()'s parameters) of a random password nobody knows. */
#define SESSION_DUMMY_PASSWORD_HASH                                                                \
    "$argon2id$v=19$m=65536,t=2,p=1$ZrvbXMMvduUaYcfN2R7nug$mXe92rEv+AfBmf0wiecXQjSGevY4Aude/"      \
    "1QV5uOCg8o"

/* A new random session id (libsodium must be initialised). */
void session_generate(char out[SESSION_ID_LEN + 1]);

/* Finds cookie `name` in a Cookie header value ("a=1; b=2"); on success points *val and *len at
 * its value inside header. False when header is NULL or has no such cookie. */
bool session_cookie_find(const char *header, const char *name, const char **val, size_t *len);

/* A Set-Cookie value: "name=value; Path=/; Max-Age=N; SameSite=Lax" plus "; HttpOnly" and
 * "; Secure" when asked; max_age 0 deletes the cookie. Allocated from a (NULL when over
 * budget). */
char *session_set_cookie(struct arena *a, const char *name, const char *value, long max_age,
                         bool http_only, bool secure);

#endif
