/* password_reset: "forgot password" by mail (GlitchTip's dj-rest-auth flow).
 * POST /api/0/auth/password/reset/ {email} mails a link
 * {GLITCHTIP_DOMAIN}/reset-password/{uid}/{token}/ when the address has an account, and
 * answers the same either way, so nobody learns which addresses exist.
 * POST /api/0/auth/password/reset/confirm/ {uid, token, new_password1, new_password2?} sets
 * the new password (the same rules as registration), signs the user out everywhere and uses
 * the link up.
 *
 * DESIGN
 * - The token is 64 random hex digits; only its SHA-256 is stored, one live link per user
 *   (a newer request replaces the older link), valid RESET_TTL_SECS. The store checks and
 *   deletes it in the transaction that sets the password, so it works once.
 * - Both steps go through the sign-in throttle (auth/throttle.h) under keys of their own
 *   ("reset:" + email, "reset-uid:" + uid): every request counts as a failure, so one
 *   address cannot be flooded with mail, and wrong tokens cannot be tried in bulk; the
 *   per-address count is shared with sign-in.
 * - The mail goes through the queue (core/mailq.h); a failure to queue is logged, never
 *   shown (it would tell that the account exists). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/accounts.h"
#include "api/handlers.h"
#include "auth/passwords.h"
#include "auth/tokens.h"
#include "core/clock.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/mailq.h"

#define RESET_TTL_SECS 3600.0
#define RESET_SENT "Password reset e-mail has been sent."
#define RESET_DONE "Password has been reset with the new password."
#define RESET_BAD "token: This password reset link is invalid or has expired."
#define RESET_KEY_MAX 300

/* The throttle key of a step: prefix + value, cut to RESET_KEY_MAX. */
static void reset_key(char out[RESET_KEY_MAX], const char *prefix, const char *v)
{
    snprintf(out, RESET_KEY_MAX, "%s%s", prefix, v);
}

/* Mails the link to u (best effort: failures are only logged). */
static void reset_mail(struct http_request *req, struct app *app, const struct store_user *u,
                       const char *token)
{
    struct arena *a = http_arena(req);
    const char *d = app->cfg->domain;
    char *link = arena_printf(a, "%s/reset-password/%" PRId64 "/%s/", d, u->id, token);
    char *body = link ? arena_printf(a,
                                     "Someone asked to reset the password of your account %s "
                                     "at %s.\n\nTo choose a new password, open this link "
                                     "within an hour:\n\n%s\n\nIf it was not you, ignore this "
                                     "mail: your password stays as it is.\n",
                                     u->email, d, link)
                      : NULL;
    struct errinfo ei = {{0}};
    enum err e =
        body ? mailq_send(app->mail, u->email, "Reset your snag password", body, &ei) : E_TOOBIG;
    if (e)
        log_warn("password reset mail for user %" PRId64 " not queued: %s", u->id,
                 ei.detail[0] ? ei.detail : err_name(e));
}

/* Stores a new link for u and mails it. */
static enum err reset_issue(struct http_request *req, struct app *app, const struct store_user *u)
{
    char token[TOKEN_LEN + 1], hash[TOKEN_HASH_LEN + 1];
    token_generate(token);
    token_hash(token, TOKEN_LEN, hash);
    double now = clock_now();
    enum err e = store_password_reset_create(app->st, u->id, hash, now, now + RESET_TTL_SECS);
    if (!e)
        reset_mail(req, app, u, token);
    return e;
}

/* POST /api/0/auth/password/reset/ {email} → 200 {detail} */
enum handler_result h_password_reset(struct http_request *req, void *app)
{
    struct app *ap = app;
    const cJSON *body = api_body_object(req);
    if (!body)
        return HANDLER_DONE;
    const char *email = jsonx_str(body, "email");
    if (!email || !strchr(email, '@') || strlen(email) > 254) {
        http_respond_detail(req, 400, "email: Enter a valid email address.");
        return HANDLER_DONE;
    }
    char key[RESET_KEY_MAX];
    reset_key(key, "reset:", email);
    if (api_throttled(req, ap, key))
        return HANDLER_DONE;
    api_throttle_fail(req, ap, key);
    struct store_user u;
    enum err e = store_user_by_email(ap->st, http_arena(req), email, &u);
    if (!e)
        e = reset_issue(req, ap, &u);
    if (e && e != E_NOTFOUND) {
        api_respond_store_err(req, e);
        return HANDLER_DONE;
    }
    http_respond_detail(req, 200, RESET_SENT);
    return HANDLER_DONE;
}

/* The new password of a confirm body, hashed into hash; false after answering 400. */
static bool reset_new_password(struct http_request *req, const cJSON *body,
                               char hash[PASSWORD_HASH_MAX])
{
    const char *p1 = jsonx_str(body, "new_password1"), *p2 = jsonx_str(body, "new_password2");
    if (!p1)
        p1 = jsonx_str(body, "newPassword");
    struct errinfo ei = {{0}};
    if (!p1) {
        http_respond_detail(req, 400, "new_password1: This field is required.");
        return false;
    }
    if (p2 && strcmp(p1, p2) != 0) {
        http_respond_detail(req, 400, "new_password2: The two password fields didn't match.");
        return false;
    }
    if (password_hash(p1, hash, &ei) != E_OK) {
        http_respond_detail(req, 400, ei.detail);
        return false;
    }
    return true;
}

/* uid as a user id (0 when it is none) and whether token looks like one of ours. */
static int64_t reset_parse(const char *uid, const char *token)
{
    char *end = NULL;
    long long id = uid ? strtoll(uid, &end, 10) : 0;
    if (!uid || end == uid || *end || id <= 0 || !token || strlen(token) != TOKEN_LEN)
        return 0;
    return (int64_t)id;
}

/* POST /api/0/auth/password/reset/confirm/ {uid, token, new_password1, new_password2?} */
enum handler_result h_password_reset_confirm(struct http_request *req, void *app)
{
    struct app *ap = app;
    const cJSON *body = api_body_object(req);
    if (!body)
        return HANDLER_DONE;
    const char *uid = jsonx_str(body, "uid"), *token = jsonx_str(body, "token");
    char key[RESET_KEY_MAX], hash[PASSWORD_HASH_MAX], th[TOKEN_HASH_LEN + 1];
    reset_key(key, "reset-uid:", uid ? uid : "");
    if (api_throttled(req, ap, key))
        return HANDLER_DONE;
    int64_t id = reset_parse(uid, token);
    if (!id) {
        api_throttle_fail(req, ap, key);
        http_respond_detail(req, 400, RESET_BAD);
        return HANDLER_DONE;
    }
    if (!reset_new_password(req, body, hash))
        return HANDLER_DONE;
    token_hash(token, TOKEN_LEN, th);
    enum err e = store_password_reset_use(ap->st, id, th, clock_now(), hash);
    if (e == E_NOTFOUND) {
        api_throttle_fail(req, ap, key);
        http_respond_detail(req, 400, RESET_BAD);
    } else if (e) {
        api_respond_store_err(req, e);
    } else {
        api_throttle_success(req, ap, key);
        http_respond_detail(req, 200, RESET_DONE);
    }
    return HANDLER_DONE;
}
