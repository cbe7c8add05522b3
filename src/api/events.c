/* events: an issue's events (keyset pages, latest, oldest, one by id with nextEventID and
 * previousEventID) and a project's (pages, one by id). Lists give a lighter shape unless
 * `full=true`. Reading needs event:read (auth/roles.h). Cursors are "<received>:<id>:0". */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "api/issue_query.h"
#include "api/issues_int.h"
#include "core/ids.h"

/* What the lighter list shape leaves out. */
static void events_lighten(cJSON *o)
{
    static const char *const heavy[] = {"entries", "contexts", "context",     "packages",
                                        "sdk",     "errors",   "fingerprints"};
    for (size_t i = 0; i < sizeof heavy / sizeof *heavy; i++)
        cJSON_DeleteItemFromObjectCaseSensitive(o, heavy[i]);
}

/* The detail shape with the issue's neighbours. */
static void events_respond_one(struct http_request *req, struct app *app,
                               const struct store_event_row *row)
{
    cJSON *o = api_json_event(http_arena(req), app->zdicts, row);
    char next[33], prev[33];
    enum err e = o ? store_event_neighbours(app->st, row->issue_id, row, next, prev) : E_DB;
    if (e) {
        cJSON_Delete(o);
        http_respond_detail(req, 500, "stored event is unreadable");
        return;
    }
    cJSON_AddItemToObject(o, "nextEventID", *next ? cJSON_CreateString(next) : cJSON_CreateNull());
    cJSON_AddItemToObject(o, "previousEventID",
                          *prev ? cJSON_CreateString(prev) : cJSON_CreateNull());
    api_respond_take(req, 200, o);
}

/* The keyset position of the cursor parameter ("<received>:<id>:0"); 0, 0 when none. */
static void events_cursor(struct http_request *req, double *received, int64_t *id)
{
    const char *c = http_query(req, "cursor");
    char *end = NULL;
    *received = c ? strtod(c, &end) : 0;
    long long v = end && *end == ':' ? strtoll(end + 1, NULL, 10) : 0;
    *id = v > 0 ? v : 0;
}

static void events_respond_page(struct http_request *req, struct app *app, bool per_issue,
                                int64_t owner)
{
    struct arena *a = http_arena(req);
    double before;
    int64_t before_id;
    events_cursor(req, &before, &before_id);
    int limit = api_limit(req, 50, 100);
    struct store_event_row *rows;
    size_t n;
    bool more;
    enum err e = per_issue ? store_event_list_issue(app->st, a, owner, before, before_id, limit,
                                                    &rows, &n, &more)
                           : store_event_list_project(app->st, a, owner, before, before_id, limit,
                                                      &rows, &n, &more);
    if (e) {
        api_respond_store_err(req, e);
        return;
    }
    const char *full = http_query(req, "full");
    bool heavy = full && (strcmp(full, "true") == 0 || strcmp(full, "1") == 0);
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        cJSON *o = api_json_event(a, app->zdicts, &rows[i]);
        if (o && !heavy)
            events_lighten(o);
        if (o)
            cJSON_AddItemToArray(arr, o);
    }
    char prev[80], next[80];
    snprintf(prev, sizeof prev, "0:0:1");
    snprintf(next, sizeof next, "%.17g:%" PRId64 ":0", n ? rows[n - 1].received : before,
             n ? rows[n - 1].id : before_id);
    issue_query_link_header(req, app, prev, false, next, more);
    api_respond_take(req, 200, arr);
}

enum handler_result h_issue_events(struct http_request *req, void *app)
{
    struct api_principal p;
    struct store_issue issue;
    struct store_project proj;
    if (issues_open(req, app, &p, "event:read", &issue, &proj))
        events_respond_page(req, app, true, issue.id);
    return HANDLER_DONE;
}

static enum handler_result events_edge(struct http_request *req, void *app, const char *which)
{
    struct api_principal p;
    struct store_issue issue;
    struct store_project proj;
    if (!issues_open(req, app, &p, "event:read", &issue, &proj))
        return HANDLER_DONE;
    struct store_event_row row;
    enum err e =
        store_event_edge_for_issue(((struct app *)app)->st, http_arena(req), issue.id, which, &row);
    if (e == E_NOTFOUND)
        http_respond_detail(req, 404, "No events for this issue");
    else if (e)
        api_respond_store_err(req, e);
    else
        events_respond_one(req, app, &row);
    return HANDLER_DONE;
}

enum handler_result h_issue_event_latest(struct http_request *req, void *app)
{
    return events_edge(req, app, "latest");
}

enum handler_result h_issue_event_oldest(struct http_request *req, void *app)
{
    return events_edge(req, app, "oldest");
}

/* {event_id} of project_id; answers 404 (also when not of issue_id, unless 0). */
static void events_respond_by_id(struct http_request *req, struct app *app, int64_t project_id,
                                 int64_t issue_id)
{
    const char *id = http_param(req, "event_id");
    char norm[33];
    struct store_event_row row;
    enum err e = id && ids_normalize_uuid(id, strlen(id), norm)
                     ? store_event_by_id(app->st, http_arena(req), project_id, norm, &row)
                     : E_NOTFOUND;
    if (!e && issue_id && row.issue_id != issue_id)
        e = E_NOTFOUND;
    if (e == E_NOTFOUND)
        api_respond_not_found(req);
    else if (e)
        api_respond_store_err(req, e);
    else
        events_respond_one(req, app, &row);
}

enum handler_result h_issue_event(struct http_request *req, void *app)
{
    struct api_principal p;
    struct store_issue issue;
    struct store_project proj;
    if (issues_open(req, app, &p, "event:read", &issue, &proj))
        events_respond_by_id(req, app, proj.id, issue.id);
    return HANDLER_DONE;
}

static bool events_open_project(struct http_request *req, struct app *app, struct api_principal *p,
                                struct store_project *proj)
{
    struct store_org org;
    const char *role = NULL;
    return api_project_role_request(req, app, p, &org, proj, &role) &&
           api_allow(req, p, role, "event:read");
}

enum handler_result h_project_event(struct http_request *req, void *app)
{
    struct api_principal p;
    struct store_project proj;
    if (events_open_project(req, app, &p, &proj))
        events_respond_by_id(req, app, proj.id, 0);
    return HANDLER_DONE;
}

enum handler_result h_project_events(struct http_request *req, void *app)
{
    struct api_principal p;
    struct store_project proj;
    if (events_open_project(req, app, &p, &proj))
        events_respond_page(req, app, false, proj.id);
    return HANDLER_DONE;
}
