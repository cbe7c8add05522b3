/* session_auth: the mechanics of browser sessions shared by the account handlers and
 * common.c (accounts.h) — authenticating by the snag_session cookie, the CSRF check on
 * cookie-authenticated writes, starting and ending a session with its two cookies, and the
 * sign-in throttle's client key.
 *
 * DESIGN
 * - The cookie holds 32 random bytes (hex); the sessions table holds only their SHA-256, so
 *   a database leak yields no usable session. The CSRF token is an HMAC of the session id
 *   under SECRET_KEY (auth/csrf.h): nothing more to store, and it dies with the session.
 * - A session waiting for its second factor (pending_2fa) authenticates nothing but the
 *   second step (auth_sessions.c), and lives SESSION_PENDING_TTL_SECS.
 * - Bearer tokens take precedence over the cookie and need no CSRF token: a browser never
 *   attaches them by itself.
 * - A session keeps the User-Agent and peer address it signed in from (there is no trusted
 *   proxy setting, so no X-Forwarded-For) and when it was last used; that stamp is written
 *   at most every SESSION_TOUCH_SECS, not on every request. */
#include <stdio.h>
#include <string.h>

#include "api/accounts.h"
#include "auth/csrf.h"
#include "auth/sessions.h"
#include "auth/throttle.h"
#include "auth/tokens.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/utf8.h"

static bool session_is_write(const struct http_request *req)
{
    enum http_method m = http_method(req);
    return m == HTTP_POST || m == HTTP_PUT || m == HTTP_PATCH || m == HTTP_DELETE;
}

bool api_session_from_cookie(struct http_request *req, struct app *app, const char **sid,
                             struct store_session *s, struct store_user *u, enum err *e)
{
    const char *v;
    size_t len;
    *e = E_NOTFOUND;
    if (!session_cookie_find(http_header(req, "Cookie"), SESSION_COOKIE, &v, &len) ||
        len != SESSION_ID_LEN)
        return false;
    struct arena *a = http_arena(req);
    char hash[TOKEN_HASH_LEN + 1];
    token_hash(v, len, hash);
    *e = store_session_lookup(app->st, a, hash, clock_now(), s, u);
    if (*e)
        return false;
    *sid = arena_strndup(a, v, len);
    if (!*sid)
        *e = E_TOOBIG;
    return *sid != NULL;
}

bool api_csrf_check(struct http_request *req, struct app *app, const char *sid)
{
    const char *tok = http_header(req, SESSION_CSRF_HEADER);
    if (tok && csrf_verify(app->cfg->secret_key, sid, tok, strlen(tok)))
        return true;
    http_respond_detail(req, 403, "CSRF Failed: CSRF token missing or incorrect.");
    return false;
}

/* Refreshes the session's last_seen when it is older than SESSION_TOUCH_SECS; best effort
 * (a busy database only loses the stamp). */
static void session_touch(struct app *app, const char *sid, const struct store_session *s)
{
    double now = clock_now();
    if (now - s->last_seen < SESSION_TOUCH_SECS)
        return;
    char hash[TOKEN_HASH_LEN + 1];
    token_hash(sid, strlen(sid), hash);
    if (store_session_touch(app->st, hash, now) != E_OK)
        log_debug("session last_seen not updated");
}

enum api_auth_outcome api_auth_session(struct http_request *req, struct app *app,
                                       struct api_principal *p)
{
    struct store_session s;
    const char *sid = NULL;
    enum err e;
    if (!api_session_from_cookie(req, app, &sid, &s, &p->user, &e)) {
        memset(p, 0, sizeof *p);
        if (e == E_NOTFOUND)
            return AUTH_NONE;
        api_respond_store_err(req, e);
        return AUTH_ANSWERED;
    }
    if (s.pending_2fa) {
        memset(p, 0, sizeof *p);
        return AUTH_NONE;
    }
    if (session_is_write(req) && !api_csrf_check(req, app, sid))
        return AUTH_ANSWERED;
    p->scopes = TOKEN_ALL_SCOPES;
    p->session_id = sid;
    session_touch(app, sid, &s);
    return AUTH_OK;
}

static bool session_secure(const struct app *app)
{
    return strncmp(app->cfg->domain, "https://", 8) == 0;
}

/* Sets both cookies; false when the arena is over budget. */
static bool session_set_cookies(struct http_request *req, struct app *app, const char *sid,
                                const char *csrf, long max_age)
{
    struct arena *a = http_arena(req);
    bool secure = session_secure(app);
    char *c1 = session_set_cookie(a, SESSION_COOKIE, sid, max_age, true, secure);
    char *c2 = session_set_cookie(a, SESSION_CSRF_COOKIE, csrf, max_age, false, secure);
    if (!c1 || !c2)
        return false;
    http_add_header(req, "Set-Cookie", c1);
    http_add_header(req, "Set-Cookie", c2);
    return true;
}

/* The User-Agent header as valid UTF-8 cut at a character boundary to at most
 * SESSION_USER_AGENT_MAX bytes (arena); NULL when there is none. */
static const char *session_user_agent(struct http_request *req)
{
    const char *ua = http_header(req, "User-Agent");
    char *s = ua && *ua ? utf8_sanitize(http_arena(req), ua, strlen(ua)) : NULL;
    size_t n = s ? strlen(s) : 0;
    if (n > SESSION_USER_AGENT_MAX) {
        n = SESSION_USER_AGENT_MAX;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) /* inside a character */
            n--;
        s[n] = '\0';
    }
    return s;
}

const char *api_session_start(struct http_request *req, struct app *app, int64_t user_id,
                              bool pending_2fa)
{
    char sid[SESSION_ID_LEN + 1], hash[TOKEN_HASH_LEN + 1];
    session_generate(sid);
    token_hash(sid, SESSION_ID_LEN, hash);
    double ttl = pending_2fa ? SESSION_PENDING_TTL_SECS : SESSION_TTL_SECS;
    const char *ip = http_client_ip(req);
    enum err e = store_session_create(app->st, hash, user_id, pending_2fa, clock_now() + ttl,
                                      session_user_agent(req), *ip ? ip : NULL);
    char csrf[CSRF_TOKEN_LEN + 1];
    if (!e)
        e = csrf_token(app->cfg->secret_key, sid, csrf);
    char *out = e ? NULL : arena_strdup(http_arena(req), csrf);
    if (!e && (!out || !session_set_cookies(req, app, sid, csrf, (long)ttl)))
        e = E_TOOBIG;
    if (e) {
        api_respond_store_err(req, e);
        return NULL;
    }
    return out;
}

void api_session_clear_cookies(struct http_request *req, struct app *app)
{
    if (!session_set_cookies(req, app, "", "", 0))
        http_respond_detail(req, 500, "out of memory");
}

void api_session_respond(struct http_request *req, int status, const struct store_user *u,
                         const char *csrf)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "user", api_json_user(u));
    cJSON_AddStringToObject(o, "csrfToken", csrf);
    cJSON_AddBoolToObject(o, "twoFactorRequired", false);
    api_respond_take(req, status, o);
}

/* ---- throttling ------------------------------------------------------------------------- */

bool api_throttled(struct http_request *req, struct app *app, const char *email)
{
    if (!app->throttle)
        return false;
    unsigned wait = throttle_check(app->throttle, http_client_ip(req), email, clock_now());
    if (!wait)
        return false;
    char secs[16];
    snprintf(secs, sizeof secs, "%u", wait);
    http_respond_detail(req, 429, "Too many failed attempts. Try again later.");
    http_add_header(req, "Retry-After", secs);
    return true;
}

void api_throttle_fail(struct http_request *req, struct app *app, const char *email)
{
    if (app->throttle)
        (void)throttle_fail(app->throttle, http_client_ip(req), email, clock_now());
}

void api_throttle_success(struct http_request *req, struct app *app, const char *email)
{
    if (app->throttle)
        throttle_success(app->throttle, http_client_ip(req), email, clock_now());
}
