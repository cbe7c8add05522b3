/* issues: list a project's or an organisation's issues (with a small query language:
 * is:<status>, level:, environment:, release:, free text), show, update status, delete. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/handlers.h"
#include "core/jsonx.h"

/* Splits q into tokens (quotes group words) and fills the store query; the rest of the
 * words become free text. Returns false (and answers 400) on a bad value. */
static bool issues_parse_query(struct http_request *req, const char *q,
                               struct store_issue_query *out)
{
    struct arena *a = http_arena(req);
    char *text = arena_strdup(a, "");
    const char *s = q;
    while (text && *s) {
        while (isspace((unsigned char)*s))
            s++;
        if (!*s)
            break;
        const char *start = s;
        bool quoted = false;
        while (*s && (quoted || !isspace((unsigned char)*s))) {
            if (*s == '"')
                quoted = !quoted;
            s++;
        }
        char *tok = arena_strndup(a, start, (size_t)(s - start));
        if (!tok)
            break;
        /* strip quotes */
        char *w = tok;
        for (char *r = tok; *r; r++)
            if (*r != '"')
                *w++ = *r;
        *w = '\0';
        char *colon = strchr(tok, ':');
        const char *val = colon ? colon + 1 : NULL;
        if (colon)
            *colon = '\0';
        if (val && strcmp(tok, "is") == 0) {
            if (strcmp(val, "unresolved") && strcmp(val, "resolved") && strcmp(val, "ignored")) {
                http_respond_detail(req, 400,
                                    "Invalid query: is: takes unresolved, resolved or "
                                    "ignored");
                return false;
            }
            out->status = val;
        } else if (val && strcmp(tok, "level") == 0) {
            out->level = val;
        } else if (val && strcmp(tok, "environment") == 0) {
            out->environment = val;
        } else if (val && strcmp(tok, "release") == 0) {
            out->release = val;
        } else {
            if (colon)
                *colon = ':';
            text = arena_printf(a, "%s%s%s", text, *text ? " " : "", tok);
        }
    }
    out->text = text && *text ? text : NULL;
    return true;
}

static bool issues_build_query(struct http_request *req, struct store_issue_query *q)
{
    memset(q, 0, sizeof *q);
    const char *query = http_query(req, "query");
    if (!query)
        query = "is:unresolved"; /* Sentry's implied default */
    if (!issues_parse_query(req, query, q))
        return false;
    const char *env = http_query(req, "environment");
    if (env && *env)
        q->environment = env;
    const char *sort = http_query(req, "sort");
    if (sort && strcmp(sort, "date") && strcmp(sort, "new") && strcmp(sort, "freq") &&
        strcmp(sort, "user")) {
        http_respond_detail(req, 400, "sort must be one of date, new, freq, user");
        return false;
    }
    q->sort = sort ? sort : "date";
    q->limit = api_limit(req, 25, 100);
    q->offset = api_cursor_offset(req);
    return true;
}

/* Answers with the page of issues; projects may be NULL to look each one up. */
static void issues_respond_page(struct http_request *req, struct app *ap,
                                struct store_issue_query *q, const struct store_project *project)
{
    struct arena *a = http_arena(req);
    struct store_issue *rows;
    size_t n;
    int limit = q->limit;
    q->limit = limit + 1; /* one more tells whether there is a next page */
    enum err e = store_issue_list(ap->st, a, q, &rows, &n);
    if (e) {
        api_respond_store_err(req, e);
        return;
    }
    bool has_next = n > (size_t)limit;
    if (has_next)
        n = (size_t)limit;
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        struct store_project p;
        if (project)
            p = *project;
        else if (store_project_by_id(ap->st, a, rows[i].project_id, &p) != E_OK)
            continue;
        cJSON_AddItemToArray(arr, api_json_issue(ap, &rows[i], &p));
    }
    api_link_header(req, ap, q->offset, limit, has_next);
    http_respond_json(req, 200, arr);
    cJSON_Delete(arr);
}

enum handler_result h_issue_list_project(struct http_request *req, void *app)
{
    struct api_principal p;
    struct store_org org;
    struct store_project proj;
    struct store_issue_query q;
    if (!api_project_request(req, app, &p, &org, &proj) || !issues_build_query(req, &q))
        return HANDLER_DONE;
    q.project_id = proj.id;
    q.org_id = org.id;
    issues_respond_page(req, app, &q, &proj);
    return HANDLER_DONE;
}

enum handler_result h_issue_list_org(struct http_request *req, void *app)
{
    struct api_principal p;
    struct store_org org;
    struct store_issue_query q;
    if (!api_org_request(req, app, &p, &org, NULL) || !issues_build_query(req, &q))
        return HANDLER_DONE;
    q.org_id = org.id;
    const char *project = http_query(req, "project");
    if (project && *project && strcmp(project, "-1") != 0) {
        char *end;
        long long pid = strtoll(project, &end, 10);
        struct store_project pr;
        if (*end || store_project_by_id(((struct app *)app)->st, http_arena(req), pid, &pr) ||
            pr.org_id != org.id) {
            http_respond_detail(req, 400, "Invalid project");
            return HANDLER_DONE;
        }
        q.project_id = pid;
    }
    issues_respond_page(req, app, &q, NULL);
    return HANDLER_DONE;
}

static void issues_respond_one(struct http_request *req, struct app *ap,
                               const struct store_issue *issue)
{
    struct store_project proj;
    enum err e = store_project_by_id(ap->st, http_arena(req), issue->project_id, &proj);
    if (e) {
        api_respond_store_err(req, e);
        return;
    }
    api_respond_take(req, 200, api_json_issue(ap, issue, &proj));
}

enum handler_result h_issue_detail(struct http_request *req, void *app)
{
    struct api_principal p;
    struct store_issue issue;
    if (api_issue_request(req, app, &p, &issue))
        issues_respond_one(req, app, &issue);
    return HANDLER_DONE;
}

enum handler_result h_issue_update(struct http_request *req, void *app)
{
    struct app *ap = app;
    struct api_principal p;
    struct store_issue issue;
    if (!api_authenticate(req, app, &p) || !api_require_scope(req, &p, "event:write") ||
        !api_load_issue(req, app, &p, http_param(req, "issue_id"), &issue))
        return HANDLER_DONE;
    const cJSON *body = api_body_object(req);
    if (!body)
        return HANDLER_DONE;
    const char *status = jsonx_str(body, "status");
    if (status) {
        if (strcmp(status, "resolvedInNextRelease") == 0)
            status = "resolved";
        if (strcmp(status, "resolved") && strcmp(status, "unresolved") &&
            strcmp(status, "ignored")) {
            http_respond_detail(req, 400, "status: must be resolved, unresolved or ignored");
            return HANDLER_DONE;
        }
        enum err e = store_issue_set_status(ap->st, issue.id, status);
        if (e == E_OK)
            e = store_issue_by_id(ap->st, http_arena(req), issue.id, &issue);
        if (e) {
            api_respond_store_err(req, e);
            return HANDLER_DONE;
        }
    }
    issues_respond_one(req, ap, &issue);
    return HANDLER_DONE;
}

enum handler_result h_issue_delete(struct http_request *req, void *app)
{
    struct api_principal p;
    struct store_issue issue;
    if (!api_authenticate(req, app, &p) || !api_require_scope(req, &p, "event:admin") ||
        !api_load_issue(req, app, &p, http_param(req, "issue_id"), &issue))
        return HANDLER_DONE;
    enum err e = store_issue_delete(((struct app *)app)->st, issue.id);
    if (e)
        api_respond_store_err(req, e);
    else
        http_respond(req, 202, "application/json", "", 0);
    return HANDLER_DONE;
}
