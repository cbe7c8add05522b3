/* access: the access checks of organization-scoped handlers — role and token scope together
 * (auth/roles.h holds what each role may do), team-bound roles, and the openings of team-
 * and project-scoped handlers. Another organization's objects always answer 404, never 403,
 * so that their existence does not leak: the loaders answer 404 before any role check. */
#include "api/api.h"
#include "auth/roles.h"

#define ACCESS_DENIED "You do not have permission to perform this action."

void api_respond_not_found(struct http_request *req)
{
    http_respond_detail(req, 404, "The requested resource does not exist");
}

void api_respond_deleted(struct http_request *req, enum err e)
{
    if (e == E_NOTFOUND)
        api_respond_not_found(req);
    else if (e)
        api_respond_store_err(req, e);
    else
        http_respond(req, 204, "application/json", "", 0);
}

bool api_allow(struct http_request *req, const struct api_principal *p, const char *role,
               const char *scope)
{
    if (!api_require_scope(req, p, scope))
        return false;
    if (role_has_scope(role_parse(role), scope))
        return true;
    http_respond_detail(req, 403, ACCESS_DENIED);
    return false;
}

/* Shared tail of the team-bound checks: yes from the store query, or its error. */
static bool access_bound(struct http_request *req, enum err e, bool yes)
{
    if (e) {
        api_respond_store_err(req, e);
        return false;
    }
    if (!yes)
        http_respond_detail(req, 403, ACCESS_DENIED);
    return yes;
}

bool api_allow_team(struct http_request *req, struct app *app, const struct api_principal *p,
                    const char *role, const char *scope, int64_t team_id)
{
    if (!api_allow(req, p, role, scope))
        return false;
    if (!role_team_bound(role_parse(role)))
        return true;
    bool yes = false;
    enum err e = store_user_on_team(app->st, team_id, p->user.id, &yes);
    return access_bound(req, e, yes);
}

bool api_allow_project(struct http_request *req, struct app *app, const struct api_principal *p,
                       const char *role, const char *scope, int64_t project_id)
{
    if (!api_allow(req, p, role, scope))
        return false;
    if (!role_team_bound(role_parse(role)))
        return true;
    bool yes = false;
    enum err e = store_user_on_project(app->st, project_id, p->user.id, &yes);
    return access_bound(req, e, yes);
}

bool api_team_request(struct http_request *req, struct app *app, struct api_principal *p,
                      struct store_org *org, struct store_team *team, const char **role)
{
    if (!api_org_request(req, app, p, org, role))
        return false;
    const char *slug = http_param(req, "team");
    enum err e =
        slug ? store_team_by_slug(app->st, http_arena(req), org->id, slug, team) : E_NOTFOUND;
    if (e == E_NOTFOUND)
        api_respond_not_found(req);
    else if (e)
        api_respond_store_err(req, e);
    return !e;
}

bool api_project_role_request(struct http_request *req, struct app *app, struct api_principal *p,
                              struct store_org *org, struct store_project *project,
                              const char **role)
{
    if (!api_org_request(req, app, p, org, role))
        return false;
    const char *slug = http_param(req, "project");
    enum err e =
        slug ? store_project_by_slug(app->st, http_arena(req), org->id, slug, project) : E_NOTFOUND;
    if (e == E_NOTFOUND)
        api_respond_not_found(req);
    else if (e)
        api_respond_store_err(req, e);
    if (!e)
        project->org_slug = org->slug;
    return !e;
}
