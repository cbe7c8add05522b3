/* teams: an organisation's teams — list, create, show, rename, delete — their members and
 * their projects (Sentry's /api/0/organizations/{org}/teams/ and /api/0/teams/{org}/{team}/).
 * Creating a team puts its creator on it, so that an admin can manage what they create. */
#include <string.h>

#include "api/api.h"
#include "api/handlers.h"
#include "core/clock.h"
#include "core/jsonx.h"

static void teams_respond_list(struct http_request *req, int status, struct store_team *rows,
                               size_t n)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(arr, api_json_team(&rows[i]));
    api_respond_take(req, status, arr);
}

enum handler_result h_team_list(struct http_request *req, void *app)
{
    struct api_principal p;
    struct store_org org;
    const char *role;
    if (!api_org_request(req, app, &p, &org, &role) || !api_allow(req, &p, role, "team:read"))
        return HANDLER_DONE;
    struct store_team *rows;
    size_t n;
    enum err e = store_team_list(((struct app *)app)->st, http_arena(req), org.id, &rows, &n);
    if (e)
        api_respond_store_err(req, e);
    else
        teams_respond_list(req, 200, rows, n);
    return HANDLER_DONE;
}

/* Puts the creator on the new team when they are a member (a superuser may not be). */
static enum err teams_join_creator(struct app *app, struct arena *a, const struct store_team *t,
                                   int64_t user_id)
{
    struct store_member m;
    enum err e = store_member_by_user(app->st, a, t->org_id, user_id, &m);
    if (e == E_NOTFOUND)
        return E_OK;
    return e ? e : store_team_member_add(app->st, t->id, m.id);
}

enum handler_result h_team_create(struct http_request *req, void *app)
{
    struct api_principal p;
    struct store_org org;
    const char *role;
    if (!api_org_request(req, app, &p, &org, &role) || !api_allow(req, &p, role, "team:write"))
        return HANDLER_DONE;
    const cJSON *body = api_body_object(req);
    const char *name, *slug;
    if (!body || !api_body_name_slug(req, body, &name, &slug))
        return HANDLER_DONE;
    struct store_team team;
    struct arena *a = http_arena(req);
    enum err e = store_team_create(((struct app *)app)->st, org.id, slug, name, a, &team);
    if (!e)
        e = teams_join_creator(app, a, &team, p.user.id);
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

/* The detail form: the team with memberCount. */
static void teams_respond_detail(struct http_request *req, struct app *app,
                                 const struct store_team *t)
{
    struct store_member *rows;
    size_t n;
    enum err e = store_team_members(app->st, http_arena(req), t->id, &rows, &n);
    if (e) {
        api_respond_store_err(req, e);
        return;
    }
    cJSON *o = api_json_team(t);
    cJSON_AddNumberToObject(o, "memberCount", (double)n);
    api_respond_take(req, 200, o);
}

/* GET /api/0/teams/{org}/{team}/ */
enum handler_result h_team_detail(struct http_request *req, void *app)
{
    struct api_principal p;
    struct store_org org;
    struct store_team team;
    const char *role;
    if (api_team_request(req, app, &p, &org, &team, &role) && api_allow(req, &p, role, "team:read"))
        teams_respond_detail(req, app, &team);
    return HANDLER_DONE;
}

/* PUT /api/0/teams/{org}/{team}/ {name?, slug?} */
enum handler_result h_team_update(struct http_request *req, void *app)
{
    struct app *ap = app;
    struct api_principal p;
    struct store_org org;
    struct store_team team;
    const char *role;
    if (!api_team_request(req, ap, &p, &org, &team, &role) ||
        !api_allow_team(req, ap, &p, role, "team:write", team.id))
        return HANDLER_DONE;
    const cJSON *body = api_body_object(req);
    if (!body)
        return HANDLER_DONE;
    const char *name = jsonx_str(body, "name"), *slug = jsonx_str(body, "slug");
    if ((name && (!*name || strlen(name) > 200)) || (slug && !api_slug_valid(slug))) {
        http_respond_detail(req, 400, "Enter a name of 1 to 200 characters and a valid slug.");
        return HANDLER_DONE;
    }
    enum err e = name || slug ? store_team_update(ap->st, team.id, name, slug) : E_OK;
    if (e == E_CONFLICT)
        http_respond_detail(req, 409, "A team with this slug already exists.");
    else if (e)
        api_respond_store_err(req, e);
    if (e)
        return HANDLER_DONE;
    team.name = name ? name : team.name;
    team.slug = slug ? slug : team.slug;
    teams_respond_detail(req, ap, &team);
    return HANDLER_DONE;
}

/* DELETE /api/0/teams/{org}/{team}/: its projects stay. */
enum handler_result h_team_delete(struct http_request *req, void *app)
{
    struct app *ap = app;
    struct api_principal p;
    struct store_org org;
    struct store_team team;
    const char *role;
    if (!api_team_request(req, ap, &p, &org, &team, &role) ||
        !api_allow_team(req, ap, &p, role, "team:admin", team.id))
        return HANDLER_DONE;
    enum err e = store_team_delete(ap->st, team.id);
    api_respond_deleted(req, e);
    return HANDLER_DONE;
}

/* GET /api/0/teams/{org}/{team}/members/ */
enum handler_result h_team_members(struct http_request *req, void *app)
{
    struct api_principal p;
    struct store_org org;
    struct store_team team;
    const char *role;
    if (!api_team_request(req, app, &p, &org, &team, &role) ||
        !api_allow(req, &p, role, "team:read"))
        return HANDLER_DONE;
    struct store_member *rows;
    size_t n;
    enum err e = store_team_members(((struct app *)app)->st, http_arena(req), team.id, &rows, &n);
    if (e) {
        api_respond_store_err(req, e);
        return HANDLER_DONE;
    }
    double now = clock_now();
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(arr, api_json_member(&rows[i], now));
    api_respond_take(req, 200, arr);
    return HANDLER_DONE;
}

/* GET /api/0/teams/{org}/{team}/projects/ */
enum handler_result h_team_projects(struct http_request *req, void *app)
{
    struct api_principal p;
    struct store_org org;
    struct store_team team;
    const char *role;
    if (!api_team_request(req, app, &p, &org, &team, &role) ||
        !api_allow(req, &p, role, "project:read"))
        return HANDLER_DONE;
    struct store_project *rows;
    size_t n;
    enum err e = store_team_projects(((struct app *)app)->st, http_arena(req), team.id, &rows, &n);
    if (e) {
        api_respond_store_err(req, e);
        return HANDLER_DONE;
    }
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(arr, api_json_project(&rows[i]));
    api_respond_take(req, 200, arr);
    return HANDLER_DONE;
}
