/* auth_users: creating accounts and changing passwords. POST /api/0/auth/register/ creates
 * the owner account (a superuser) while no user exists — the first-run step, atomic even
 * with several nodes —, and afterwards a plain user only when ENABLE_USER_REGISTRATION is
 * true (403 otherwise); either way the new user is signed in. With an invitation link's
 * inviteMemberId and inviteToken it creates the invited address's account even when
 * registration is closed, and makes it the member in the same transaction (GlitchTip only
 * lets an invitee sign up while registration is open); a link that is not valid, pending and
 * for this address is refused like registration itself. PUT /api/0/auth/password/ changes
 * the signed-in user's password given the current one, and signs out their other sessions. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "api/accounts.h"
#include "api/handlers.h"
#include "auth/passwords.h"
#include "auth/tokens.h"
#include "core/clock.h"
#include "core/jsonx.h"

#define EMAIL_MAX 254

static bool register_email_valid(const char *email)
{
    size_t n = strlen(email);
    const char *at = strchr(email, '@');
    return n > 2 && n <= EMAIL_MAX && at && at != email && at[1] && !strchr(at + 1, '@') &&
           !strpbrk(email, " \t\r\n");
}

/* Creates the user: the first one as a superuser, later ones if registration is open. */
static enum err register_create(struct app *app, const char *email, const char *hash, int64_t *id,
                                bool *refused)
{
    *refused = false;
    enum err e = store_user_count(app->st) == 0
                     ? store_user_create_first(app->st, email, hash, id, NULL)
                     : E_CONFLICT;
    if (e != E_CONFLICT)
        return e;
    if (!app->cfg->enable_user_registration) {
        *refused = true;
        return E_OK;
    }
    return store_user_create(app->st, email, hash, false, id, NULL);
}

/* Hashes the new account's password into hash: false after answering 400. */
static bool register_password(struct http_request *req, const char *password,
                              char hash[PASSWORD_HASH_MAX])
{
    struct errinfo ei = {{0}};
    if (password && password_hash(password, hash, &ei) == E_OK)
        return true;
    http_respond_detail(req, 400, password ? ei.detail : "password: This field is required.");
    return false;
}

/* Signs the new user id in: 201 {user, csrfToken} and the cookies. */
static void register_sign_in(struct http_request *req, struct app *app, int64_t id)
{
    struct store_user u;
    enum err e = store_user_by_id(app->st, http_arena(req), id, &u);
    if (e) {
        api_respond_store_err(req, e);
        return;
    }
    const char *csrf = api_session_start(req, app, u.id, false);
    if (csrf)
        api_session_respond(req, 201, &u, csrf);
}

/* The invitation's member id as text (a JSON number or string) into out; false when it is
 * neither. */
static bool register_invite_id(const cJSON *v, char out[24])
{
    if (cJSON_IsString(v) && strlen(v->valuestring) < 24) {
        snprintf(out, 24, "%s", v->valuestring);
        return true;
    }
    if (cJSON_IsNumber(v) && v->valuedouble >= 1 && v->valuedouble < 9e15) {
        snprintf(out, 24, "%" PRId64, (int64_t)v->valuedouble);
        return true;
    }
    return false;
}

/* Registration through an invitation link (inviteMemberId, inviteToken). */
static void register_invited(struct http_request *req, struct app *app, const cJSON *body,
                             const char *email, const char *password)
{
    char id_s[24] = "", hash[PASSWORD_HASH_MAX];
    struct store_invitation inv;
    enum err e =
        register_invite_id(cJSON_GetObjectItemCaseSensitive(body, "inviteMemberId"), id_s)
            ? api_invitation_find(req, app, id_s, jsonx_str(body, "inviteToken"), email, &inv)
            : E_NOTFOUND;
    if (e == E_FORBIDDEN)
        return;
    if (!e && inv.has_account)
        e = E_CONFLICT;
    if (!e && !register_password(req, password, hash))
        return;
    int64_t id = 0;
    if (!e)
        e = store_user_create_invited(app->st, email, hash, inv.member.id, inv.token_hash,
                                      clock_now(), &id);
    if (e == E_NOTFOUND && !app->cfg->enable_user_registration)
        http_respond_detail(req, 403, "Registration is disabled.");
    else if (e == E_NOTFOUND)
        http_respond_detail(req, 400,
                            "inviteToken: This invitation does not exist or has expired.");
    else if (e == E_CONFLICT)
        http_respond_detail(req, 400, "email: A user with this email already exists.");
    else if (e)
        api_respond_store_err(req, e);
    if (e)
        return;
    api_invitation_used(req, app, id_s);
    register_sign_in(req, app, id);
}

/* POST /api/0/auth/register/: {email, password, inviteMemberId?, inviteToken?} → 201 {user,
 * csrfToken} and the cookies. */
enum handler_result h_register(struct http_request *req, void *app)
{
    struct app *ap = app;
    const cJSON *body = api_body_object(req);
    if (!body)
        return HANDLER_DONE;
    const char *email = jsonx_str(body, "email"), *password = jsonx_str(body, "password");
    char hash[PASSWORD_HASH_MAX];
    if (!email || !register_email_valid(email)) {
        http_respond_detail(req, 400, "email: Enter a valid email address.");
        return HANDLER_DONE;
    }
    if (cJSON_GetObjectItemCaseSensitive(body, "inviteMemberId") ||
        cJSON_GetObjectItemCaseSensitive(body, "inviteToken")) {
        register_invited(req, ap, body, email, password);
        return HANDLER_DONE;
    }
    if (!register_password(req, password, hash))
        return HANDLER_DONE;
    int64_t id = 0;
    bool refused;
    enum err e = register_create(ap, email, hash, &id, &refused);
    if (refused)
        http_respond_detail(req, 403, "Registration is disabled.");
    else if (e == E_CONFLICT)
        http_respond_detail(req, 400, "email: A user with this email already exists.");
    else if (e)
        api_respond_store_err(req, e);
    else
        register_sign_in(req, ap, id);
    return HANDLER_DONE;
}

/* PUT /api/0/auth/password/: {currentPassword, newPassword} */
enum handler_result h_password_change(struct http_request *req, void *app)
{
    struct app *ap = app;
    struct api_principal p;
    if (!api_authenticate(req, ap, &p))
        return HANDLER_DONE;
    const cJSON *body = api_body_object(req);
    if (!body || api_throttled(req, ap, p.user.email))
        return HANDLER_DONE;
    const char *cur = jsonx_str(body, "currentPassword"), *next = jsonx_str(body, "newPassword");
    char hash[PASSWORD_HASH_MAX], keep[TOKEN_HASH_LEN + 1] = "";
    struct errinfo ei = {{0}};
    if (!cur || !password_verify(cur, p.user.password_hash)) {
        api_throttle_fail(req, ap, p.user.email);
        http_respond_detail(req, 400, "currentPassword: The current password is incorrect.");
        return HANDLER_DONE;
    }
    if (!next || password_hash(next, hash, &ei) != E_OK) {
        http_respond_detail(req, 400, next ? ei.detail : "newPassword: This field is required.");
        return HANDLER_DONE;
    }
    if (p.session_id)
        token_hash(p.session_id, strlen(p.session_id), keep);
    enum err e = store_user_set_password(ap->st, p.user.id, hash);
    if (!e)
        e = store_session_delete_user(ap->st, p.user.id, keep);
    if (e) {
        api_respond_store_err(req, e);
        return HANDLER_DONE;
    }
    http_respond_detail(req, 200, "Password changed.");
    return HANDLER_DONE;
}
