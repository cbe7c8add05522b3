/* auth_sessions: signing in and out of the web UI (snag's own paths, see routes.c).
 * POST /api/0/auth/session/ checks email and password — the same answer, and the same
 * argon2id work, whether or not the email exists — and either starts the session or, when
 * the user has two-factor authentication, a short pending session that only
 * POST /api/0/auth/session/2fa/ can complete. GET answers who is signed in (with the CSRF
 * token the page needs), DELETE signs out. Failures feed the throttle (auth/throttle.h). */
#include <string.h>

#include "api/accounts.h"
#include "api/handlers.h"
#include "auth/csrf.h"
#include "auth/passwords.h"
#include "auth/sessions.h"
#include "auth/tokens.h"
#include "core/jsonx.h"

#define SIGNIN_FAILED "Unable to sign in with the provided email and password."

/* Verifies the password of the user named by email; on a wrong password or an unknown email
 * (checked against a dummy hash, the same work) answers 400 and counts the failure. */
static bool signin_check_password(struct http_request *req, struct app *app, const char *email,
                                  const char *password, struct store_user *u)
{
    enum err e = store_user_by_email(app->st, http_arena(req), email, u);
    if (e && e != E_NOTFOUND) {
        api_respond_store_err(req, e);
        return false;
    }
    bool ok = password_verify(password, e ? SESSION_DUMMY_PASSWORD_HASH : u->password_hash);
    if (ok && !e)
        return true;
    api_throttle_fail(req, app, email);
    http_respond_detail(req, 400, SIGNIN_FAILED);
    return false;
}

/* Whether the user must pass a second factor; false after answering on a store error. */
static bool signin_needs_2fa(struct http_request *req, struct app *app, int64_t user_id,
                             bool *needs)
{
    struct store_totp t;
    enum err e = store_totp_get(app->st, http_arena(req), user_id, &t);
    if (e && e != E_NOTFOUND) {
        api_respond_store_err(req, e);
        return false;
    }
    *needs = !e && t.enabled;
    return true;
}

enum handler_result h_session_create(struct http_request *req, void *app)
{
    struct app *ap = app;
    const cJSON *body = api_body_object(req);
    if (!body)
        return HANDLER_DONE;
    const char *email = jsonx_str(body, "email"), *password = jsonx_str(body, "password");
    if (!email || !*email || !password) {
        http_respond_detail(req, 400, "email and password are required");
        return HANDLER_DONE;
    }
    struct store_user u;
    bool needs_2fa = false;
    if (api_throttled(req, ap, email) || !signin_check_password(req, ap, email, password, &u) ||
        !signin_needs_2fa(req, ap, u.id, &needs_2fa))
        return HANDLER_DONE;
    const char *csrf = api_session_start(req, ap, u.id, needs_2fa);
    if (!csrf)
        return HANDLER_DONE;
    if (!needs_2fa) {
        api_throttle_success(req, ap, email);
        api_session_respond(req, 200, &u, csrf);
        return HANDLER_DONE;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "twoFactorRequired", true);
    cJSON_AddStringToObject(o, "csrfToken", csrf);
    cJSON_AddStringToObject(o, "detail",
                            "Enter a code from your authenticator app or a "
                            "recovery code.");
    api_respond_take(req, 200, o);
    return HANDLER_DONE;
}

/* Deletes the session sid names (best effort: it may be gone already). */
static enum err session_end(struct app *app, const char *sid)
{
    char hash[TOKEN_HASH_LEN + 1];
    token_hash(sid, strlen(sid), hash);
    enum err e = store_session_delete(app->st, hash);
    return e == E_NOTFOUND ? E_OK : e;
}

/* The second sign-in step: the pending session's cookie, its CSRF token and a code. */
enum handler_result h_session_2fa(struct http_request *req, void *app)
{
    struct app *ap = app;
    struct store_session s;
    struct store_user u;
    const char *sid = NULL;
    enum err e;
    if (!api_session_from_cookie(req, ap, &sid, &s, &u, &e) || !s.pending_2fa) {
        if (e && e != E_NOTFOUND)
            api_respond_store_err(req, e);
        else
            http_respond_detail(req, 401, "Sign in with your email and password first.");
        return HANDLER_DONE;
    }
    const cJSON *body = api_body_object(req);
    if (!body || !api_csrf_check(req, ap, sid) || api_throttled(req, ap, u.email))
        return HANDLER_DONE;
    e = api_second_factor(ap, http_arena(req), u.id, body);
    if (e == E_AUTH || e == E_NOTFOUND) {
        api_throttle_fail(req, ap, u.email);
        http_respond_detail(req, 400, "Invalid code.");
        return HANDLER_DONE;
    }
    if (!e)
        e = session_end(ap, sid); /* a new id for the signed-in session */
    if (e) {
        api_respond_store_err(req, e);
        return HANDLER_DONE;
    }
    const char *csrf = api_session_start(req, ap, u.id, false);
    if (csrf) {
        api_throttle_success(req, ap, u.email);
        api_session_respond(req, 200, &u, csrf);
    }
    return HANDLER_DONE;
}

enum handler_result h_session_get(struct http_request *req, void *app)
{
    struct app *ap = app;
    struct api_principal p;
    if (!api_authenticate(req, ap, &p))
        return HANDLER_DONE;
    struct store_totp t;
    enum err e = store_totp_get(ap->st, http_arena(req), p.user.id, &t);
    if (e && e != E_NOTFOUND) {
        api_respond_store_err(req, e);
        return HANDLER_DONE;
    }
    char csrf[CSRF_TOKEN_LEN + 1];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "user", api_json_user(&p.user));
    if (p.session_id && csrf_token(ap->cfg->secret_key, p.session_id, csrf) == E_OK)
        cJSON_AddStringToObject(o, "csrfToken", csrf);
    else
        cJSON_AddNullToObject(o, "csrfToken");
    cJSON_AddBoolToObject(o, "twoFactorEnabled", !e && t.enabled);
    api_respond_take(req, 200, o);
    return HANDLER_DONE;
}

enum handler_result h_session_delete(struct http_request *req, void *app)
{
    struct app *ap = app;
    struct api_principal p;
    if (!api_authenticate(req, ap, &p))
        return HANDLER_DONE;
    if (!p.session_id) {
        http_respond_detail(req, 400, "Not signed in with a session.");
        return HANDLER_DONE;
    }
    enum err e = session_end(ap, p.session_id);
    if (e) {
        api_respond_store_err(req, e);
        return HANDLER_DONE;
    }
    http_respond(req, 204, "application/json", "", 0);
    api_session_clear_cookies(req, ap);
    return HANDLER_DONE;
}
