/* auth_2fa: two-factor authentication of the signed-in user (TOTP, RFC 6238) — status,
 * enrolment (a new secret, its otpauth:// URI and the QR code as SVG), confirmation with a
 * first code (which enables it and hands out the ten recovery codes, once), disabling (with a
 * current code), and the second-factor check the sign-in step shares. A code is accepted
 * once: the time step it matched is stored and only later steps pass afterwards (the store
 * refuses a step that is not later, so two nodes cannot both accept one code). */
#include <string.h>

#include "api/accounts.h"
#include "api/handlers.h"
#include "auth/qrcode.h"
#include "auth/recovery.h"
#include "auth/totp.h"
#include "core/clock.h"
#include "core/jsonx.h"

static enum err second_factor_totp(struct app *app, struct arena *a, int64_t user_id,
                                   const char *code)
{
    struct store_totp t;
    enum err e = store_totp_get(app->st, a, user_id, &t);
    if (e)
        return e;
    if (!t.enabled)
        return E_NOTFOUND;
    int64_t step;
    if (totp_verify(t.secret, code, clock_now(), t.last_step, &step, NULL) != E_OK)
        return E_AUTH;
    e = store_totp_use_step(app->st, user_id, step);
    return e == E_CONFLICT ? E_AUTH : e;
}

static enum err second_factor_recovery(struct app *app, int64_t user_id, const char *code)
{
    char hash[RECOVERY_HASH_LEN + 1];
    if (!recovery_hash(code, strlen(code), hash))
        return E_AUTH;
    enum err e = store_recovery_use(app->st, user_id, hash);
    return e == E_NOTFOUND ? E_AUTH : e;
}

enum err api_second_factor(struct app *app, struct arena *a, int64_t user_id, const cJSON *body)
{
    const char *code = jsonx_str(body, "code"), *rec = jsonx_str(body, "recoveryCode");
    if (code && *code)
        return second_factor_totp(app, a, user_id, code);
    if (rec && *rec)
        return second_factor_recovery(app, user_id, rec);
    return E_AUTH;
}

/* GET /api/0/auth/2fa/ */
enum handler_result h_2fa_status(struct http_request *req, void *app)
{
    struct app *ap = app;
    struct api_principal p;
    if (!api_authenticate(req, ap, &p))
        return HANDLER_DONE;
    struct store_totp t;
    enum err e = store_totp_get(ap->st, http_arena(req), p.user.id, &t);
    int64_t left = e ? 0 : store_recovery_count(ap->st, p.user.id);
    if ((e && e != E_NOTFOUND) || left < 0) {
        api_respond_store_err(req, left < 0 ? E_UNAVAILABLE : e);
        return HANDLER_DONE;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "enabled", !e && t.enabled);
    cJSON_AddBoolToObject(o, "enrolmentPending", !e && !t.enabled);
    cJSON_AddNumberToObject(o, "recoveryCodesLeft", (double)(!e && t.enabled ? left : 0));
    api_respond_take(req, 200, o);
    return HANDLER_DONE;
}

/* POST /api/0/auth/2fa/enroll/: {} → {secret, uri, qrCode} */
enum handler_result h_2fa_enroll(struct http_request *req, void *app)
{
    struct app *ap = app;
    struct api_principal p;
    if (!api_authenticate(req, ap, &p))
        return HANDLER_DONE;
    struct arena *a = http_arena(req);
    char secret[TOTP_SECRET_B32_LEN + 1];
    char *uri = NULL, *svg = NULL;
    totp_secret_generate(secret);
    enum err e = store_totp_begin(ap->st, p.user.id, secret);
    if (e == E_CONFLICT) {
        http_respond_detail(req, 409, "Two-factor authentication is already enabled.");
        return HANDLER_DONE;
    }
    if (!e)
        e = totp_uri(a, p.user.email, secret, &uri);
    if (!e)
        e = qrcode_svg(a, uri, &svg, NULL);
    if (e) {
        api_respond_store_err(req, e);
        return HANDLER_DONE;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "secret", secret);
    cJSON_AddStringToObject(o, "uri", uri);
    cJSON_AddStringToObject(o, "qrCode", svg);
    api_respond_take(req, 200, o);
    return HANDLER_DONE;
}

/* Enables 2FA with the step the first code matched and fresh recovery codes. */
static enum err enable_with_codes(struct app *app, int64_t user_id, int64_t step,
                                  char codes[RECOVERY_COUNT][RECOVERY_CODE_LEN + 1])
{
    char hashes[RECOVERY_COUNT][RECOVERY_HASH_LEN + 1];
    const char *ptrs[RECOVERY_COUNT];
    recovery_generate(codes);
    for (size_t i = 0; i < RECOVERY_COUNT; i++) {
        if (!recovery_hash(codes[i], strlen(codes[i]), hashes[i]))
            return E_INVALID;
        ptrs[i] = hashes[i];
    }
    return store_totp_enable(app->st, user_id, step, ptrs, RECOVERY_COUNT);
}

static void confirm_respond(struct http_request *req,
                            char codes[RECOVERY_COUNT][RECOVERY_CODE_LEN + 1])
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "enabled", true);
    cJSON *arr = cJSON_AddArrayToObject(o, "recoveryCodes");
    for (size_t i = 0; i < RECOVERY_COUNT; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(codes[i]));
    api_respond_take(req, 200, o);
}

/* POST /api/0/auth/2fa/confirm/: {code} → {enabled, recoveryCodes} */
enum handler_result h_2fa_confirm(struct http_request *req, void *app)
{
    struct app *ap = app;
    struct api_principal p;
    if (!api_authenticate(req, ap, &p))
        return HANDLER_DONE;
    const cJSON *body = api_body_object(req);
    if (!body)
        return HANDLER_DONE;
    struct store_totp t;
    enum err e = store_totp_get(ap->st, http_arena(req), p.user.id, &t);
    if (e == E_NOTFOUND || (!e && t.enabled)) {
        http_respond_detail(req, 409, "No two-factor enrolment is in progress.");
        return HANDLER_DONE;
    }
    const char *code = jsonx_str(body, "code");
    int64_t step = 0;
    if (!e && (!code || totp_verify(t.secret, code, clock_now(), -1, &step, NULL) != E_OK)) {
        http_respond_detail(req, 400, "Invalid code.");
        return HANDLER_DONE;
    }
    char codes[RECOVERY_COUNT][RECOVERY_CODE_LEN + 1];
    if (!e)
        e = enable_with_codes(ap, p.user.id, step, codes);
    if (e == E_CONFLICT)
        http_respond_detail(req, 409, "No two-factor enrolment is in progress.");
    else if (e)
        api_respond_store_err(req, e);
    else
        confirm_respond(req, codes);
    return HANDLER_DONE;
}

/* POST /api/0/auth/2fa/disable/: {code} or {recoveryCode} */
enum handler_result h_2fa_disable(struct http_request *req, void *app)
{
    struct app *ap = app;
    struct api_principal p;
    if (!api_authenticate(req, ap, &p))
        return HANDLER_DONE;
    const cJSON *body = api_body_object(req);
    if (!body || api_throttled(req, ap, p.user.email))
        return HANDLER_DONE;
    enum err e = api_second_factor(ap, http_arena(req), p.user.id, body);
    if (e == E_NOTFOUND) {
        http_respond_detail(req, 409, "Two-factor authentication is not enabled.");
        return HANDLER_DONE;
    }
    if (e == E_AUTH) {
        api_throttle_fail(req, ap, p.user.email);
        http_respond_detail(req, 400, "Invalid code.");
        return HANDLER_DONE;
    }
    if (!e)
        e = store_totp_disable(ap->st, p.user.id);
    if (e) {
        api_respond_store_err(req, e);
        return HANDLER_DONE;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "enabled", false);
    api_respond_take(req, 200, o);
    return HANDLER_DONE;
}
