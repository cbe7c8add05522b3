/* auth_users: creating accounts and changing passwords. POST /api/0/auth/register/ creates
 * the owner account (a superuser) while no user exists — the first-run step, atomic even
 * with several nodes —, and afterwards a plain user only when ENABLE_USER_REGISTRATION is
 * true (403 otherwise); either way the new user is signed in. PUT /api/0/auth/password/
 * changes the signed-in user's password given the current one, and signs out their other
 * sessions. */
#include <string.h>

#include "api/accounts.h"
#include "api/handlers.h"
#include "auth/passwords.h"
#include "auth/tokens.h"
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

/* POST /api/0/auth/register/: {email, password} → 201 {user, csrfToken} and the cookies. */
enum handler_result h_register(struct http_request *req, void *app)
{
    struct app *ap = app;
    const cJSON *body = api_body_object(req);
    if (!body)
        return HANDLER_DONE;
    const char *email = jsonx_str(body, "email"), *password = jsonx_str(body, "password");
    char hash[PASSWORD_HASH_MAX];
    struct errinfo ei = {{0}};
    if (!email || !register_email_valid(email)) {
        http_respond_detail(req, 400, "email: Enter a valid email address.");
        return HANDLER_DONE;
    }
    if (!password || password_hash(password, hash, &ei) != E_OK) {
        http_respond_detail(req, 400, password ? ei.detail : "password: This field is required.");
        return HANDLER_DONE;
    }
    int64_t id = 0;
    bool refused;
    enum err e = register_create(ap, email, hash, &id, &refused);
    struct store_user u;
    if (!e && !refused)
        e = store_user_by_id(ap->st, http_arena(req), id, &u);
    if (refused)
        http_respond_detail(req, 403, "Registration is disabled.");
    else if (e == E_CONFLICT)
        http_respond_detail(req, 400, "email: A user with this email already exists.");
    else if (e)
        api_respond_store_err(req, e);
    if (refused || e)
        return HANDLER_DONE;
    const char *csrf = api_session_start(req, ap, u.id, false);
    if (csrf)
        api_session_respond(req, 201, &u, csrf);
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
