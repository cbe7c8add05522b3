/* organizations: list, create and show organisations (Sentry's /api/0/organizations/). */
#include <string.h>

#include "api/api.h"
#include "api/handlers.h"
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

enum handler_result h_org_detail(struct http_request *req, void *app)
{
    struct api_principal p;
    struct store_org org;
    const char *role;
    if (!api_org_request(req, app, &p, &org, &role))
        return HANDLER_DONE;
    cJSON *o = api_json_org(&org);
    cJSON_AddStringToObject(o, "role", role);
    struct store_project *projects;
    size_t n;
    cJSON *arr = cJSON_AddArrayToObject(o, "projects");
    if (store_project_list(((struct app *)app)->st, http_arena(req), org.id, &projects, &n) == E_OK)
        for (size_t i = 0; i < n; i++)
            cJSON_AddItemToArray(arr, api_json_project(&projects[i]));
    http_respond_json(req, 200, o);
    cJSON_Delete(o);
    return HANDLER_DONE;
}
