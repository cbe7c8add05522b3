/* events: an issue's events (list, latest, oldest) and a project's event by id. */
#include <string.h>

#include "api/api.h"
#include "api/handlers.h"
#include "core/ids.h"

static void events_respond_one(struct http_request *req, const struct store_event_row *row)
{
    cJSON *o = api_json_event(http_arena(req), row);
    if (!o) {
        http_respond_detail(req, 500, "stored event is unreadable");
        return;
    }
    http_respond_json(req, 200, o);
    cJSON_Delete(o);
}

enum handler_result h_issue_events(struct http_request *req, void *app)
{
    struct app *ap = app;
    struct api_principal p;
    struct store_issue issue;
    if (!api_issue_request(req, app, &p, &issue))
        return HANDLER_DONE;
    int limit = api_limit(req, 50, 100);
    int64_t offset = api_cursor_offset(req);
    struct store_event_row *rows;
    size_t n;
    struct arena *a = http_arena(req);
    enum err e = store_event_list_for_issue(ap->st, a, issue.id, limit + 1, offset, &rows, &n);
    if (e) {
        api_respond_store_err(req, e);
        return HANDLER_DONE;
    }
    bool has_next = n > (size_t)limit;
    if (has_next)
        n = (size_t)limit;
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        cJSON *o = api_json_event(a, &rows[i]);
        if (o)
            cJSON_AddItemToArray(arr, o);
    }
    api_link_header(req, ap, offset, limit, has_next);
    http_respond_json(req, 200, arr);
    cJSON_Delete(arr);
    return HANDLER_DONE;
}

static enum handler_result events_edge(struct http_request *req, void *app, const char *which)
{
    struct api_principal p;
    struct store_issue issue;
    if (!api_issue_request(req, app, &p, &issue))
        return HANDLER_DONE;
    struct store_event_row row;
    enum err e =
        store_event_edge_for_issue(((struct app *)app)->st, http_arena(req), issue.id, which, &row);
    if (e == E_NOTFOUND)
        http_respond_detail(req, 404, "No events for this issue");
    else if (e)
        api_respond_store_err(req, e);
    else
        events_respond_one(req, &row);
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

enum handler_result h_project_event(struct http_request *req, void *app)
{
    struct api_principal p;
    struct store_org org;
    struct store_project proj;
    if (!api_project_request(req, app, &p, &org, &proj))
        return HANDLER_DONE;
    const char *id = http_param(req, "event_id");
    char norm[33];
    struct store_event_row row;
    enum err e =
        id && ids_normalize_uuid(id, strlen(id), norm)
            ? store_event_by_id(((struct app *)app)->st, http_arena(req), proj.id, norm, &row)
            : E_NOTFOUND;
    if (e == E_NOTFOUND)
        http_respond_detail(req, 404, "The requested resource does not exist");
    else if (e)
        api_respond_store_err(req, e);
    else
        events_respond_one(req, &row);
    return HANDLER_DONE;
}
