/* projects: create (under a team), list and show projects — lists and details with Sentry's
 * ?statsPeriod= event counts (project_stats.h). Their settings, teams and deletion are in
 * project_admin.c, their client keys (DSNs) in keys.c. */
#include <string.h>

#include "api/api.h"
#include "api/handlers.h"
#include "api/project_stats.h"
#include "core/ids.h"
#include "core/jsonx.h"

/* Answers with the projects, each with its stats over period when it is set. */
static void projects_respond_list(struct http_request *req, struct app *app,
                                  const struct project_stats_period *period,
                                  const struct store_project *rows, size_t n)
{
    struct arena *a = http_arena(req);
    cJSON **objs = arena_calloc(a, n ? n : 1, sizeof *objs);
    int64_t *ids = arena_calloc(a, n ? n : 1, sizeof *ids);
    if (!objs || !ids) {
        api_respond_store_err(req, E_TOOBIG);
        return;
    }
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        objs[i] = api_json_project(&rows[i]);
        ids[i] = rows[i].id;
        cJSON_AddItemToArray(arr, objs[i]);
    }
    if (!period || project_stats_add(req, app, period, ids, n, objs))
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
    const struct project_stats_period *period;
    if (!api_org_request(req, app, &p, &org, &role) || !api_allow(req, &p, role, "project:read") ||
        !project_stats_period(req, &period))
        return HANDLER_DONE;
    struct store_project *rows;
    size_t n;
    enum err e = store_project_list(((struct app *)app)->st, http_arena(req), org.id, &rows, &n);
    if (e)
        api_respond_store_err(req, e);
    else
        projects_respond_list(req, app, period, rows, n);
    return HANDLER_DONE;
}

/* The projects of every org in orgs, one after the other, into one arena array. */
static enum err projects_of_orgs(struct app *app, struct arena *a, const struct store_org *orgs,
                                 size_t norgs, struct store_project **rows, size_t *n)
{
    struct store_project **each = arena_calloc(a, norgs ? norgs : 1, sizeof *each);
    size_t *counts = arena_calloc(a, norgs ? norgs : 1, sizeof *counts), total = 0;
    enum err e = each && counts ? E_OK : E_TOOBIG;
    for (size_t i = 0; !e && i < norgs; i++) {
        e = store_project_list(app->st, a, orgs[i].id, &each[i], &counts[i]);
        total += e ? 0 : counts[i];
    }
    *rows = e ? NULL : arena_calloc(a, total ? total : 1, sizeof **rows);
    if (!e && !*rows)
        e = E_TOOBIG;
    *n = 0;
    for (size_t i = 0; !e && i < norgs; i++)
        for (size_t k = 0; k < counts[i]; k++)
            (*rows)[(*n)++] = each[i][k];
    return e;
}

/* GET /api/0/projects/: every project of every organisation the caller belongs to. */
enum handler_result h_project_list_all(struct http_request *req, void *app)
{
    struct app *ap = app;
    struct api_principal p;
    const struct project_stats_period *period;
    if (!api_authenticate(req, app, &p) || !project_stats_period(req, &period))
        return HANDLER_DONE;
    struct arena *a = http_arena(req);
    struct store_org *orgs;
    struct store_project *rows = NULL;
    size_t norgs, n = 0;
    enum err e = store_org_list_for_user(ap->st, a, p.user.id, p.user.is_superuser, &orgs, &norgs);
    if (!e)
        e = projects_of_orgs(ap, a, orgs, norgs, &rows, &n);
    if (e)
        api_respond_store_err(req, e);
    else
        projects_respond_list(req, ap, period, rows, n);
    return HANDLER_DONE;
}

enum handler_result h_project_detail(struct http_request *req, void *app)
{
    struct api_principal p;
    struct store_org org;
    struct store_project proj;
    const char *role;
    const struct project_stats_period *period;
    if (api_project_role_request(req, app, &p, &org, &proj, &role) &&
        api_allow(req, &p, role, "project:read") && project_stats_period(req, &period))
        api_respond_project_detail(req, app, &proj, 200, period);
    return HANDLER_DONE;
}
