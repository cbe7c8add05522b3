/* project_admin: a project's detail form, its update (name, slug, platform and settings such
 * as allowedDomains and scrubIPAddresses, stored for the features that will use them),
 * deletion, and the teams that have access to it (Sentry's /api/0/projects/{org}/{project}/
 * and …/teams/{team}/). Writes need project:write (project:admin to delete); an admin must
 * be on one of the project's teams (auth/roles.h). */
#include <string.h>

#include "api/api.h"
#include "api/keycache.h"
#include "api/zdicts.h"
#include "api/handlers.h"
#include "api/project_stats.h"
#include "core/jsonx.h"

/* The settings a project keeps, with the JSON type each must have. */
static const struct {
    const char *name;
    int type;     /* cJSON_True stands for either boolean */
    bool strings; /* an array: of strings only */
} project_settings[] = {
    {"allowedDomains", cJSON_Array, true},
    {"scrubIPAddresses", cJSON_True, false},
    {"scrubData", cJSON_True, false},
    {"dataScrubber", cJSON_True, false},
    {"dataScrubberDefaults", cJSON_True, false},
    {"sensitiveFields", cJSON_Array, true},
    {"safeFields", cJSON_Array, true},
    {"resolveAge", cJSON_Number, false},
    {"subjectPrefix", cJSON_String, false},
    {"verifySSL", cJSON_True, false},
};

#define PROJECT_SETTINGS_N (sizeof project_settings / sizeof *project_settings)

void api_respond_project_detail(struct http_request *req, struct app *app,
                                const struct store_project *proj, int status,
                                const struct project_stats_period *stats_period)
{
    struct arena *a = http_arena(req);
    struct store_team *teams;
    size_t n;
    const char *settings = NULL;
    enum err e = store_project_teams(app->st, a, proj->id, &teams, &n);
    if (!e)
        e = store_project_settings(app->st, a, proj->id, &settings);
    if (e) {
        api_respond_store_err(req, e);
        return;
    }
    cJSON *o = api_json_project(proj);
    cJSON *arr = cJSON_AddArrayToObject(o, "teams");
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(arr, api_json_team(&teams[i]));
    cJSON *s = settings ? cJSON_Parse(settings) : NULL;
    for (size_t i = 0; i < PROJECT_SETTINGS_N; i++) {
        const char *k = project_settings[i].name;
        cJSON *v = cJSON_DetachItemFromObjectCaseSensitive(s, k);
        if (!v)
            v = project_settings[i].type == cJSON_Array ? cJSON_CreateArray() : cJSON_CreateNull();
        cJSON_AddItemToObject(o, k, v);
    }
    cJSON_Delete(s);
    if (stats_period && !project_stats_add(req, app, stats_period, &proj->id, 1, &o)) {
        cJSON_Delete(o);
        return;
    }
    api_respond_take(req, status, o);
}

/* Whether v has the type the setting at index i needs. */
static bool project_setting_ok(size_t i, const cJSON *v)
{
    if (project_settings[i].type == cJSON_True)
        return cJSON_IsBool(v);
    if (!(v->type & project_settings[i].type))
        return false;
    const cJSON *item;
    bool ok = true;
    cJSON_ArrayForEach(item, v) ok = ok && (!project_settings[i].strings || cJSON_IsString(item));
    return ok;
}

/* The stored settings with the body's settings applied, as JSON text in the arena; NULL
 * when the body has none. Answers 400 (and sets *bad) for a value of the wrong type. */
static const char *project_settings_merge(struct http_request *req, const char *stored,
                                          const cJSON *body, bool *bad)
{
    cJSON *s = stored ? cJSON_Parse(stored) : NULL;
    if (!cJSON_IsObject(s)) {
        cJSON_Delete(s);
        s = cJSON_CreateObject();
    }
    bool any = false;
    *bad = false;
    for (size_t i = 0; i < PROJECT_SETTINGS_N && !*bad; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, project_settings[i].name);
        if (!v)
            continue;
        *bad = !project_setting_ok(i, v);
        any = true;
        cJSON_DeleteItemFromObjectCaseSensitive(s, project_settings[i].name);
        cJSON_AddItemToObject(s, project_settings[i].name, cJSON_Duplicate(v, true));
    }
    char *text = any && !*bad ? cJSON_PrintUnformatted(s) : NULL;
    const char *out = text ? arena_strdup(http_arena(req), text) : NULL;
    cJSON_free(text);
    cJSON_Delete(s);
    if (*bad)
        http_respond_detail(req, 400, "A project setting has a value of the wrong type.");
    return out;
}

/* The update the body asks for; answers 400 and returns false when unusable. */
static bool project_body_update(struct http_request *req, struct app *app,
                                const struct store_project *proj, const cJSON *body,
                                struct store_project_update *u)
{
    const cJSON *platform = cJSON_GetObjectItemCaseSensitive(body, "platform");
    *u = (struct store_project_update){.name = jsonx_str(body, "name"),
                                       .slug = jsonx_str(body, "slug"),
                                       .set_platform = platform != NULL,
                                       .platform = cJSON_GetStringValue(platform)};
    if ((u->name && (!*u->name || strlen(u->name) > 200)) ||
        (u->slug && !api_slug_valid(u->slug)) ||
        (platform && !cJSON_IsString(platform) && !cJSON_IsNull(platform))) {
        http_respond_detail(req, 400,
                            "Enter a name of 1 to 200 characters, a valid slug and a "
                            "platform that is a string.");
        return false;
    }
    const char *stored = NULL;
    enum err e = store_project_settings(app->st, http_arena(req), proj->id, &stored);
    if (e) {
        api_respond_store_err(req, e);
        return false;
    }
    bool bad;
    u->settings_json = project_settings_merge(req, stored, body, &bad);
    return !bad;
}

/* PUT /api/0/projects/{org}/{project}/ */
enum handler_result h_project_update(struct http_request *req, void *app)
{
    struct app *ap = app;
    struct api_principal p;
    struct store_org org;
    struct store_project proj;
    const char *role;
    struct store_project_update u;
    if (!api_project_role_request(req, ap, &p, &org, &proj, &role) ||
        !api_allow_project(req, ap, &p, role, "project:write", proj.id))
        return HANDLER_DONE;
    const cJSON *body = api_body_object(req);
    if (!body || !project_body_update(req, ap, &proj, body, &u))
        return HANDLER_DONE;
    enum err e = store_project_update(ap->st, proj.id, &u);
    if (e == E_CONFLICT)
        http_respond_detail(req, 409, "A project with this slug already exists.");
    else if (e)
        api_respond_store_err(req, e);
    if (e)
        return HANDLER_DONE;
    proj.name = u.name ? u.name : proj.name;
    proj.slug = u.slug ? u.slug : proj.slug;
    proj.platform = u.set_platform ? u.platform : proj.platform;
    api_respond_project_detail(req, ap, &proj, 200, NULL);
    return HANDLER_DONE;
}

/* DELETE /api/0/projects/{org}/{project}/: the project, its keys, issues and events. */
enum handler_result h_project_delete(struct http_request *req, void *app)
{
    struct app *ap = app;
    struct api_principal p;
    struct store_org org;
    struct store_project proj;
    const char *role;
    if (!api_project_role_request(req, ap, &p, &org, &proj, &role) ||
        !api_allow_project(req, ap, &p, role, "project:admin", proj.id))
        return HANDLER_DONE;
    enum err e = store_project_delete(ap->st, proj.id);
    keycache_clear(ap->keys);
    zdicts_clear(ap->zdicts);
    api_respond_deleted(req, e);
    return HANDLER_DONE;
}

/* GET /api/0/projects/{org}/{project}/teams/ */
enum handler_result h_project_teams(struct http_request *req, void *app)
{
    struct api_principal p;
    struct store_org org;
    struct store_project proj;
    const char *role;
    if (!api_project_role_request(req, app, &p, &org, &proj, &role) ||
        !api_allow(req, &p, role, "project:read"))
        return HANDLER_DONE;
    struct store_team *rows;
    size_t n;
    enum err e = store_project_teams(((struct app *)app)->st, http_arena(req), proj.id, &rows, &n);
    if (e) {
        api_respond_store_err(req, e);
        return HANDLER_DONE;
    }
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(arr, api_json_team(&rows[i]));
    api_respond_take(req, 200, arr);
    return HANDLER_DONE;
}

/* The opening of …/teams/{team}/: project, team of the same org, project:write. */
static bool project_team_request(struct http_request *req, struct app *app,
                                 struct store_project *proj, struct store_team *team)
{
    struct api_principal p;
    struct store_org org;
    const char *role;
    if (!api_project_role_request(req, app, &p, &org, proj, &role))
        return false;
    const char *slug = http_param(req, "team");
    enum err e =
        slug ? store_team_by_slug(app->st, http_arena(req), org.id, slug, team) : E_NOTFOUND;
    if (e == E_NOTFOUND)
        api_respond_not_found(req);
    else if (e)
        api_respond_store_err(req, e);
    return !e && api_allow_project(req, app, &p, role, "project:write", proj->id);
}

/* POST /api/0/projects/{org}/{project}/teams/{team}/ → 201 project detail */
enum handler_result h_project_team_add(struct http_request *req, void *app)
{
    struct store_project proj;
    struct store_team team;
    if (!project_team_request(req, app, &proj, &team))
        return HANDLER_DONE;
    enum err e = store_project_team_add(((struct app *)app)->st, proj.id, team.id);
    if (e && e != E_CONFLICT)
        api_respond_store_err(req, e);
    else
        api_respond_project_detail(req, app, &proj, 201, NULL);
    return HANDLER_DONE;
}

/* DELETE /api/0/projects/{org}/{project}/teams/{team}/ → 200 project detail */
enum handler_result h_project_team_remove(struct http_request *req, void *app)
{
    struct store_project proj;
    struct store_team team;
    if (!project_team_request(req, app, &proj, &team))
        return HANDLER_DONE;
    enum err e = store_project_team_remove(((struct app *)app)->st, proj.id, team.id);
    if (e == E_NOTFOUND)
        api_respond_not_found(req);
    else if (e)
        api_respond_store_err(req, e);
    else
        api_respond_project_detail(req, app, &proj, 200, NULL);
    return HANDLER_DONE;
}
