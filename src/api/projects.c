/* projects: create (under a team), list and show projects. Their settings, teams and
 * deletion are in project_admin.c, their client keys (DSNs) in keys.c. */
#include <string.h>

#include "api/api.h"
#include "api/handlers.h"
#include "core/ids.h"
#include "core/jsonx.h"

static void projects_respond_list(struct http_request *req, struct store_project *rows, size_t n)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(arr, api_json_project(&rows[i]));
    http_respond_json(req, 200, arr);
    cJSON_Delete(arr);
}

/* Creates a key for the project with a fresh random public key. */
static enum err projects_new_key(struct app *ap, struct arena *a, int64_t project_id,
                                 const char *label, struct store_key *out)
{
    char pk[33];
    ids_uuid4_hex(pk);
    return store_key_create(ap->st, project_id, pk, label, a, out);
}

enum handler_result h_project_create(struct http_request *req, void *app)
{
    struct app *ap = app;
    struct api_principal p;
    struct store_org org;
    struct store_team team;
    const char *role;
    if (!api_team_request(req, ap, &p, &org, &team, &role) ||
        !api_allow_team(req, ap, &p, role, "project:write", team.id))
        return HANDLER_DONE;
    struct arena *a = http_arena(req);
    enum err e;
    const cJSON *body = api_body_object(req);
    const char *name, *slug;
    if (!body || !api_body_name_slug(req, body, &name, &slug))
        return HANDLER_DONE;
    const char *platform = jsonx_str(body, "platform");
    struct store_project proj;
    struct store_key key;
    e = store_project_create(ap->st, org.id, team.id, slug, name, platform, a, &proj);
    if (e == E_OK)
        e = projects_new_key(ap, a, proj.id, "Default", &key);
    if (e == E_CONFLICT) {
        http_respond_detail(req, 409, "A project with this slug already exists.");
        return HANDLER_DONE;
    }
    if (e) {
        api_respond_store_err(req, e);
        return HANDLER_DONE;
    }
    proj.org_slug = org.slug;
    cJSON *o = api_json_project(&proj);
    cJSON *teams = cJSON_AddArrayToObject(o, "teams");
    cJSON_AddItemToArray(teams, api_json_team(&team));
    http_respond_json(req, 201, o);
    cJSON_Delete(o);
    return HANDLER_DONE;
}

enum handler_result h_project_list_org(struct http_request *req, void *app)
{
    struct api_principal p;
    struct store_org org;
    const char *role;
    if (!api_org_request(req, app, &p, &org, &role) || !api_allow(req, &p, role, "project:read"))
        return HANDLER_DONE;
    struct store_project *rows;
    size_t n;
    enum err e = store_project_list(((struct app *)app)->st, http_arena(req), org.id, &rows, &n);
    if (e)
        api_respond_store_err(req, e);
    else
        projects_respond_list(req, rows, n);
    return HANDLER_DONE;
}

/* GET /api/0/projects/: every project of every organisation the caller belongs to. */
enum handler_result h_project_list_all(struct http_request *req, void *app)
{
    struct app *ap = app;
    struct api_principal p;
    if (!api_authenticate(req, app, &p))
        return HANDLER_DONE;
    struct arena *a = http_arena(req);
    struct store_org *orgs;
    size_t norgs;
    enum err e = store_org_list_for_user(ap->st, a, p.user.id, p.user.is_superuser, &orgs, &norgs);
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; e == E_OK && i < norgs; i++) {
        struct store_project *rows;
        size_t n;
        e = store_project_list(ap->st, a, orgs[i].id, &rows, &n);
        for (size_t k = 0; e == E_OK && k < n; k++)
            cJSON_AddItemToArray(arr, api_json_project(&rows[k]));
    }
    if (e)
        api_respond_store_err(req, e);
    else
        http_respond_json(req, 200, arr);
    cJSON_Delete(arr);
    return HANDLER_DONE;
}

enum handler_result h_project_detail(struct http_request *req, void *app)
{
    struct api_principal p;
    struct store_org org;
    struct store_project proj;
    const char *role;
    if (api_project_role_request(req, app, &p, &org, &proj, &role) &&
        api_allow(req, &p, role, "project:read"))
        api_respond_project_detail(req, app, &proj, 200);
    return HANDLER_DONE;
}
