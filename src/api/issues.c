/* issues: a project's and an organisation's issue lists (Sentry's search language, keyset
 * pages with a Link header, sparkline stats), bulk update, merge and delete by `id=` on those
 * lists, and one issue's detail, update (status, assignee, bookmark, seen) and deletion. Every
 * handler checks the caller's role and token scopes (auth/roles.h): event:read to read,
 * event:write to change, event:admin to delete. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/handlers.h"
#include "api/issue_query.h"
#include "api/issues_int.h"
#include "core/jsonx.h"

#define ISSUES_BULK_MAX 100

/* ---- openings -------------------------------------------------------------------------- */

bool issues_open(struct http_request *req, struct app *app, struct api_principal *p,
                 const char *scope, struct store_issue *issue, struct store_project *proj)
{
    const char *role;
    return issues_open_role(req, app, p, scope, issue, proj, &role);
}

bool issues_open_role(struct http_request *req, struct app *app, struct api_principal *p,
                      const char *scope, struct store_issue *issue, struct store_project *proj,
                      const char **role_out)
{
    const char *role = NULL;
    struct arena *a = http_arena(req);
    if (!api_authenticate(req, app, p) ||
        !api_load_issue(req, app, p, http_param(req, "issue_id"), issue))
        return false;
    enum err e = store_project_by_id(app->st, a, issue->project_id, proj);
    if (!e)
        e = store_org_member_role(app->st, a, proj->org_id, p->user.id, &role);
    if (e == E_NOTFOUND && p->user.is_superuser) {
        role = "owner";
        e = E_OK;
    }
    if (e) {
        api_respond_store_err(req, e);
        return false;
    }
    *role_out = role;
    return api_allow(req, p, role, scope);
}

/* The list's scope: {org} (and {project} when project is not NULL), with scope allowed. */
static bool issues_open_list(struct http_request *req, struct app *app, struct api_principal *p,
                             const char *scope, struct store_org *org,
                             struct store_project *project)
{
    const char *role = NULL;
    bool ok = project ? api_project_role_request(req, app, p, org, project, &role)
                      : api_org_request(req, app, p, org, &role);
    return ok && api_allow(req, p, role, scope);
}

/* ---- lists --------------------------------------------------------------------------------- */

static void issues_respond_page(struct http_request *req, struct app *app,
                                const struct api_principal *p, struct store_issue_search *q,
                                const struct store_project *project)
{
    struct arena *a = http_arena(req);
    struct store_issue *rows;
    size_t n;
    bool more;
    enum err e = store_issue_search(app->st, a, q, &rows, &n, &more);
    if (e == E_INVALID) {
        http_respond_detail(req, 400, "Invalid query: too many search values");
        return;
    }
    if (e) {
        api_respond_store_err(req, e);
        return;
    }
    const char *period = issue_query_stats_period(req);
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        struct store_project pr;
        if (project)
            pr = *project;
        else if (store_project_by_id(app->st, a, rows[i].project_id, &pr) != E_OK)
            continue;
        cJSON_AddItemToArray(arr, issue_query_json(req, app, &rows[i], &pr, p->user.id, period));
    }
    issue_query_link(req, app, q, rows, n, more);
    api_respond_take(req, 200, arr);
}

static enum handler_result issues_list(struct http_request *req, void *app, bool per_project)
{
    struct api_principal p;
    struct store_org org;
    struct store_project proj;
    struct store_issue_search q;
    struct store_project *pp = per_project ? &proj : NULL;
    if (issues_open_list(req, app, &p, "event:read", &org, pp) &&
        issue_query_build(req, app, &org, pp, p.user.id, &q))
        issues_respond_page(req, app, &p, &q, pp);
    return HANDLER_DONE;
}

enum handler_result h_issue_list_project(struct http_request *req, void *app)
{
    return issues_list(req, app, true);
}

enum handler_result h_issue_list_org(struct http_request *req, void *app)
{
    return issues_list(req, app, false);
}

/* ---- bulk ---------------------------------------------------------------------------------- */

/* The issues of the list's scope the bulk call names (id=, else the list's own filters). */
static bool issues_bulk_targets(struct http_request *req, struct app *app,
                                const struct api_principal *p, const struct store_org *org,
                                const struct store_project *project, int64_t **ids, size_t *n)
{
    struct store_issue_search q;
    if (!issue_query_build(req, app, org, project, p->user.id, &q))
        return false;
    q.limit = ISSUES_BULK_MAX;
    q.cursor = NULL;
    if (q.nids && !http_query(req, "query")) { /* id= alone: no implied is:unresolved */
        q.statuses = 0;
        q.flags = 0;
    }
    struct store_issue *rows;
    bool more;
    enum err e = store_issue_search(app->st, http_arena(req), &q, &rows, n, &more);
    if (e) {
        api_respond_store_err(req, e);
        return false;
    }
    *ids = *n ? arena_calloc(http_arena(req), *n, sizeof **ids) : NULL;
    for (size_t i = 0; *ids && i < *n; i++)
        (*ids)[i] = rows[i].id;
    return true;
}

static void issues_respond_merge(struct http_request *req, struct app *app, const int64_t *ids,
                                 size_t n)
{
    int64_t parent = 0;
    enum err e = n >= 2 ? store_issue_merge(app->st, ids, n, &parent) : E_INVALID;
    if (e == E_INVALID) {
        http_respond_detail(req, 400, "Only issues of one project, at least two, can be merged");
        return;
    }
    if (e) {
        api_respond_store_err(req, e);
        return;
    }
    cJSON *o = cJSON_CreateObject(), *m = cJSON_AddObjectToObject(o, "merge");
    char s[24];
    snprintf(s, sizeof s, "%" PRId64, parent);
    cJSON_AddStringToObject(m, "parent", s);
    cJSON *children = cJSON_AddArrayToObject(m, "children");
    for (size_t i = 0; i < n; i++) {
        snprintf(s, sizeof s, "%" PRId64, ids[i]);
        if (ids[i] != parent)
            cJSON_AddItemToArray(children, cJSON_CreateString(s));
    }
    api_respond_take(req, 200, o);
}

static enum handler_result issues_bulk(struct http_request *req, void *app, bool per_project,
                                       bool del)
{
    struct api_principal p;
    struct store_org org;
    struct store_project proj;
    struct store_project *pp = per_project ? &proj : NULL;
    int64_t *ids = NULL;
    size_t n = 0;
    struct issues_update u;
    if (!issues_open_list(req, app, &p, del ? "event:admin" : "event:write", &org, pp))
        return HANDLER_DONE;
    const cJSON *body = del ? NULL : api_body_object(req);
    if ((!del && !body) || (!del && !issues_parse_update(req, app, org.id, &p, body, &u)) ||
        !issues_bulk_targets(req, app, &p, &org, pp, &ids, &n))
        return HANDLER_DONE;
    if (n == 0) {
        http_respond(req, 204, "application/json", "", 0);
        return HANDLER_DONE;
    }
    if (del) {
        int64_t deleted = 0;
        enum err e = store_issue_delete_many(((struct app *)app)->st, ids, n, &deleted);
        api_respond_deleted(req, e);
    } else if (u.merge) {
        issues_respond_merge(req, app, ids, n);
    } else {
        issues_apply_update(req, app, ids, n, &u, body);
    }
    return HANDLER_DONE;
}

enum handler_result h_issue_bulk_update_project(struct http_request *req, void *app)
{
    return issues_bulk(req, app, true, false);
}

enum handler_result h_issue_bulk_update_org(struct http_request *req, void *app)
{
    return issues_bulk(req, app, false, false);
}

enum handler_result h_issue_bulk_delete_project(struct http_request *req, void *app)
{
    return issues_bulk(req, app, true, true);
}

enum handler_result h_issue_bulk_delete_org(struct http_request *req, void *app)
{
    return issues_bulk(req, app, false, true);
}

/* ---- one issue ------------------------------------------------------------------------------ */

enum handler_result h_issue_detail(struct http_request *req, void *app)
{
    struct api_principal p;
    struct store_issue issue;
    struct store_project proj;
    if (issues_open(req, app, &p, "event:read", &issue, &proj))
        api_respond_take(req, 200, issue_query_json(req, app, &issue, &proj, p.user.id, "24h"));
    return HANDLER_DONE;
}

enum handler_result h_issue_update(struct http_request *req, void *app)
{
    struct app *ap = app;
    struct api_principal p;
    struct store_issue issue;
    struct store_project proj;
    struct issues_update u;
    if (!issues_open(req, app, &p, "event:write", &issue, &proj))
        return HANDLER_DONE;
    const cJSON *body = api_body_object(req);
    if (!body || !issues_parse_update(req, app, proj.org_id, &p, body, &u))
        return HANDLER_DONE;
    int64_t changed = 0;
    enum err e = store_issue_update_many(ap->st, &issue.id, 1, &u.u, &changed);
    if (!e)
        e = store_issue_by_id(ap->st, http_arena(req), issue.id, &issue);
    if (e)
        api_respond_store_err(req, e);
    else
        api_respond_take(req, 200, issue_query_json(req, app, &issue, &proj, p.user.id, NULL));
    return HANDLER_DONE;
}

enum handler_result h_issue_delete(struct http_request *req, void *app)
{
    struct api_principal p;
    struct store_issue issue;
    struct store_project proj;
    if (!issues_open(req, app, &p, "event:admin", &issue, &proj))
        return HANDLER_DONE;
    enum err e = store_issue_delete(((struct app *)app)->st, issue.id);
    if (e)
        api_respond_store_err(req, e);
    else
        http_respond(req, 202, "application/json", "", 0);
    return HANDLER_DONE;
}
