/* teams: list and create teams of an organisation. */
#include "api/api.h"
#include "api/handlers.h"

enum handler_result h_team_list(struct http_request *req, void *app)
{
    struct api_principal p;
    struct store_org org;
    if (!api_org_request(req, app, &p, &org, NULL))
        return HANDLER_DONE;
    struct store_team *rows;
    size_t n;
    enum err e = store_team_list(((struct app *)app)->st, http_arena(req), org.id, &rows, &n);
    if (e) {
        api_respond_store_err(req, e);
        return HANDLER_DONE;
    }
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(arr, api_json_team(&rows[i]));
    http_respond_json(req, 200, arr);
    cJSON_Delete(arr);
    return HANDLER_DONE;
}

enum handler_result h_team_create(struct http_request *req, void *app)
{
    struct api_principal p;
    struct store_org org;
    if (!api_authenticate(req, app, &p) || !api_require_scope(req, &p, "team:write") ||
        !api_load_org(req, app, &p, http_param(req, "org"), &org, NULL))
        return HANDLER_DONE;
    const cJSON *body = api_body_object(req);
    const char *name, *slug;
    if (!body || !api_body_name_slug(req, body, &name, &slug))
        return HANDLER_DONE;
    struct store_team team;
    enum err e =
        store_team_create(((struct app *)app)->st, org.id, slug, name, http_arena(req), &team);
    if (e == E_CONFLICT) {
        http_respond_detail(req, 409, "A team with this slug already exists.");
        return HANDLER_DONE;
    }
    if (e) {
        api_respond_store_err(req, e);
        return HANDLER_DONE;
    }
    api_respond_take(req, 201, api_json_team(&team));
    return HANDLER_DONE;
}
