/* organizations: list, create, show, update and delete organisations (Sentry's
 * /api/0/organizations/ and /api/0/organizations/{org}/). */
#include <string.h>

#include "api/accounts.h"
#include "api/api.h"
#include "api/keycache.h"
#include "api/zdicts.h"
#include "api/handlers.h"
#include "auth/roles.h"
#include "core/jsonx.h"

enum handler_result h_org_list(struct http_request *req, void *app)
{
    struct api_principal p;
    if (!api_authenticate(req, app, &p))
        return HANDLER_DONE;
    struct store_org *rows;
    size_t n;
    enum err e = store_org_list_for_user(((struct app *)app)->st, http_arena(req), p.user.id,
                                         p.user.is_superuser, &rows, &n);
    if (e) {
        api_respond_store_err(req, e);
        return HANDLER_DONE;
    }
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(arr, api_json_org(&rows[i]));
    http_respond_json(req, 200, arr);
    cJSON_Delete(arr);
    return HANDLER_DONE;
}

enum handler_result h_org_create(struct http_request *req, void *app)
{
    struct app *ap = app;
    struct api_principal p;
    if (!api_authenticate(req, app, &p) || !api_require_scope(req, &p, "org:write"))
        return HANDLER_DONE;
    if (!p.user.is_superuser && !ap->cfg->enable_organization_creation) {
        http_respond_detail(req, 403, "Organization creation is disabled.");
        return HANDLER_DONE;
    }
    const cJSON *body = api_body_object(req);
    const char *name, *slug;
    if (!body || !api_body_name_slug(req, body, &name, &slug))
        return HANDLER_DONE;
    struct store_org org;
    enum err e = store_org_create(ap->st, p.user.id, slug, name, http_arena(req), &org);
    if (e == E_CONFLICT) {
        http_respond_detail(req, 409, "An organization with this slug already exists.");
        return HANDLER_DONE;
    }
    if (e) {
        api_respond_store_err(req, e);
        return HANDLER_DONE;
    }
    api_respond_take(req, 201, api_json_org(&org));
    return HANDLER_DONE;
}

/* The detail form: the org with the caller's role and scopes ("access"), its projects and
 * teams. NULL after answering a store error. */
static cJSON *orgs_detail_json(struct http_request *req, struct app *app,
                               const struct store_org *org, const char *role, bool required)
{
    struct arena *a = http_arena(req);
    struct store_project *projects;
    struct store_team *teams;
    size_t np, nt;
    enum err e = store_project_list(app->st, a, org->id, &projects, &np);
    if (!e)
        e = store_team_list(app->st, a, org->id, &teams, &nt);
    if (e) {
        api_respond_store_err(req, e);
        return NULL;
    }
    cJSON *o = api_json_org(org);
    cJSON_AddBoolToObject(o, "require2FA", required);
    cJSON_AddStringToObject(o, "role", role);
    cJSON *access = cJSON_AddArrayToObject(o, "access");
    const char *s = role_scopes(role_parse(role));
    while (*s) {
        size_t n = strcspn(s, " ");
        cJSON_AddItemToArray(access, cJSON_CreateString(arena_strndup(a, s, n)));
        s += n + strspn(s + n, " ");
    }
    cJSON *arr = cJSON_AddArrayToObject(o, "projects");
    for (size_t i = 0; i < np; i++)
        cJSON_AddItemToArray(arr, api_json_project(&projects[i]));
    arr = cJSON_AddArrayToObject(o, "teams");
    for (size_t i = 0; i < nt; i++)
        cJSON_AddItemToArray(arr, api_json_team(&teams[i]));
    return o;
}

enum handler_result h_org_detail(struct http_request *req, void *app)
{
    struct api_principal p;
    struct store_org org;
    const char *role;
    bool required = false, enabled = false;
    if (!api_org_request(req, app, &p, &org, &role) || !api_allow(req, &p, role, "org:read"))
        return HANDLER_DONE;
    enum err e =
        store_org_2fa_state(((struct app *)app)->st, org.id, p.user.id, &required, &enabled);
    if (e) {
        api_respond_store_err(req, e);
        return HANDLER_DONE;
    }
    cJSON *o = orgs_detail_json(req, app, &org, role, required);
    if (o)
        api_respond_take(req, 200, o);
    return HANDLER_DONE;
}

/* Reads the optional "name" and "slug" of an update; answers 400 and returns false when
 * unusable. */
static bool orgs_body_rename(struct http_request *req, const cJSON *body, const char **name,
                             const char **slug)
{
    *name = jsonx_str(body, "name");
    *slug = jsonx_str(body, "slug");
    if (*name && (!**name || strlen(*name) > 200)) {
        http_respond_detail(req, 400, "name: Enter a name of 1 to 200 characters.");
        return false;
    }
    if (*slug && !api_slug_valid(*slug)) {
        http_respond_detail(req, 400,
                            "slug: Enter a valid slug of lowercase letters, numbers, "
                            "underscores or hyphens.");
        return false;
    }
    return true;
}

/* PUT /api/0/organizations/{org}/ {name?, slug?, require2FA?} */
enum handler_result h_org_update(struct http_request *req, void *app)
{
    struct app *ap = app;
    struct api_principal p;
    struct store_org org;
    const char *role = NULL, *name, *slug;
    if (!api_org_request(req, ap, &p, &org, &role) || !api_require_scope(req, &p, "org:write"))
        return HANDLER_DONE;
    const cJSON *body = api_body_object(req);
    if (!body || !orgs_body_rename(req, body, &name, &slug))
        return HANDLER_DONE;
    if ((name || slug) && !api_allow(req, &p, role, "org:write"))
        return HANDLER_DONE;
    if (!api_org_check_2fa(req, ap, &p, role, body))
        return HANDLER_DONE;
    enum err e = name || slug ? store_org_update(ap->st, org.id, name, slug) : E_OK;
    if (e == E_CONFLICT) {
        http_respond_detail(req, 409, "An organization with this slug already exists.");
        return HANDLER_DONE;
    }
    bool required = false;
    if (e) {
        api_respond_store_err(req, e);
        return HANDLER_DONE;
    }
    if (!api_org_apply_2fa(req, ap, &p, org.id, body, &required))
        return HANDLER_DONE;
    org.name = name ? name : org.name;
    org.slug = slug ? slug : org.slug;
    cJSON *o = orgs_detail_json(req, ap, &org, role, required);
    if (o)
        api_respond_take(req, 200, o);
    return HANDLER_DONE;
}

/* DELETE /api/0/organizations/{org}/: owners only (org:admin); everything in it goes. */
enum handler_result h_org_delete(struct http_request *req, void *app)
{
    struct app *ap = app;
    struct api_principal p;
    struct store_org org;
    const char *role = NULL;
    if (!api_org_request(req, ap, &p, &org, &role) || !api_allow(req, &p, role, "org:admin"))
        return HANDLER_DONE;
    enum err e = store_org_delete(ap->st, org.id);
    keycache_clear(ap->keys);
    zdicts_clear(ap->zdicts);
    api_respond_deleted(req, e);
    return HANDLER_DONE;
}
