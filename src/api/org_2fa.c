/* org_2fa: organizations that require two-factor authentication of their members — the
 * gate every org-scoped endpoint passes (common.c's api_load_org and api_load_issue), and
 * the "require2FA" field of PUT /api/0/organizations/{org}/ (organizations.c), which an
 * owner may send once they have 2FA themselves (so that turning it on never locks its owner
 * out). */
#include <string.h>

#include "api/accounts.h"
#include "api/handlers.h"
#include "core/jsonx.h"

#define ORG_2FA_DETAIL                                                                             \
    "This organization requires two-factor authentication. Enable it for your account "            \
    "(/api/0/auth/2fa/) to access this organization."

bool api_org_2fa_gate(struct http_request *req, struct app *app, const struct api_principal *p,
                      int64_t org_id)
{
    bool required, enabled;
    enum err e = store_org_2fa_state(app->st, org_id, p->user.id, &required, &enabled);
    if (e) {
        api_respond_store_err(req, e);
        return false;
    }
    if (required && !enabled) {
        http_respond_detail(req, 403, ORG_2FA_DETAIL);
        return false;
    }
    return true;
}

/* Checks that the caller may set the flag to on; answers and returns false otherwise. */
static bool org_2fa_may_set(struct http_request *req, struct app *app,
                            const struct api_principal *p, const char *role, bool on)
{
    if (!role || strcmp(role, "owner") != 0) {
        http_respond_detail(req, 403, "Only an owner can change this setting.");
        return false;
    }
    struct store_totp t;
    enum err e = on ? store_totp_get(app->st, http_arena(req), p->user.id, &t) : E_OK;
    if (e == E_NOTFOUND || (on && !e && !t.enabled)) {
        http_respond_detail(req, 400,
                            "require2FA: Enable two-factor authentication for your own account "
                            "first.");
        return false;
    }
    if (e)
        api_respond_store_err(req, e);
    return !e;
}

bool api_org_check_2fa(struct http_request *req, struct app *app, const struct api_principal *p,
                       const char *role, const cJSON *body)
{
    const cJSON *flag = cJSON_GetObjectItemCaseSensitive(body, "require2FA");
    if (flag && !cJSON_IsBool(flag)) {
        http_respond_detail(req, 400, "require2FA: Must be a boolean.");
        return false;
    }
    return !flag || org_2fa_may_set(req, app, p, role, cJSON_IsTrue(flag));
}

bool api_org_apply_2fa(struct http_request *req, struct app *app, const struct api_principal *p,
                       int64_t org_id, const cJSON *body, bool *required)
{
    const cJSON *flag = cJSON_GetObjectItemCaseSensitive(body, "require2FA");
    bool enabled = false;
    enum err e = flag ? store_org_set_require_2fa(app->st, org_id, cJSON_IsTrue(flag)) : E_OK;
    if (!e)
        e = store_org_2fa_state(app->st, org_id, p->user.id, required, &enabled);
    if (e)
        api_respond_store_err(req, e);
    return !e;
}
