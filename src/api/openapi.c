/* openapi: GET /api/0/openapi.json — an OpenAPI 3 document generated from the route table
 * itself (api/routes.c), so that it cannot fall behind it: every route is one operation,
 * every {name} segment a path parameter, every /api/0/ route (but the public ones) needs a
 * bearer token or the session cookie. */
#include <ctype.h>
#include <string.h>

#include "api/api.h"
#include "api/handlers.h"

static const char *openapi_method(enum http_method m)
{
    static const char *names[HTTP__MAX] = {
        [HTTP_GET] = "get",         [HTTP_HEAD] = "head",   [HTTP_POST] = "post",
        [HTTP_PUT] = "put",         [HTTP_PATCH] = "patch", [HTTP_DELETE] = "delete",
        [HTTP_OPTIONS] = "options",
    };
    return (unsigned)m < HTTP__MAX ? names[m] : NULL;
}

/* "get /api/0/teams/{org}/{team}/" → "get_api_0_teams_org_team", in the arena. */
static char *openapi_operation_id(struct arena *a, const char *method, const char *pattern)
{
    char *id = arena_printf(a, "%s%s", method, pattern);
    size_t o = 0;
    for (size_t i = 0; id && id[i]; i++) {
        unsigned char c = (unsigned char)id[i];
        if (isalnum(c))
            id[o++] = (char)c;
        else if (o > 0 && id[o - 1] != '_')
            id[o++] = '_';
    }
    while (id && o > 0 && id[o - 1] == '_')
        o--;
    if (id)
        id[o] = '\0';
    return id;
}

static void openapi_add_params(cJSON *op, const char *pattern)
{
    cJSON *params = cJSON_AddArrayToObject(op, "parameters");
    for (const char *p = strchr(pattern, '{'); p; p = strchr(p + 1, '{')) {
        size_t n = strcspn(p + 1, "}");
        char name[64];
        if (n == 0 || n >= sizeof name)
            continue;
        memcpy(name, p + 1, n);
        name[n] = '\0';
        cJSON *prm = cJSON_CreateObject();
        cJSON_AddStringToObject(prm, "name", name);
        cJSON_AddStringToObject(prm, "in", "path");
        cJSON_AddBoolToObject(prm, "required", true);
        cJSON_AddStringToObject(cJSON_AddObjectToObject(prm, "schema"), "type", "string");
        cJSON_AddItemToArray(params, prm);
    }
}

static void openapi_add_responses(cJSON *op, const struct route *r, bool secured)
{
    cJSON *res = cJSON_AddObjectToObject(op, "responses");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(res, "2XX"), "description", "Success");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(res, "400"), "description", "Bad request");
    if (secured) {
        cJSON_AddStringToObject(cJSON_AddObjectToObject(res, "401"), "description",
                                "No or invalid credentials");
        cJSON_AddStringToObject(cJSON_AddObjectToObject(res, "403"), "description",
                                "Missing role or token scope");
    }
    if (strchr(r->pattern, '{'))
        cJSON_AddStringToObject(cJSON_AddObjectToObject(res, "404"), "description",
                                "No such object, or another organization's");
}

static cJSON *openapi_operation(struct arena *a, const struct route *r, const char *method)
{
    bool secured = strncmp(r->pattern, "/api/0/", 7) == 0 && !app_route_public(r);
    cJSON *op = cJSON_CreateObject();
    cJSON_AddStringToObject(op, "operationId", openapi_operation_id(a, method, r->pattern));
    const char *tag = strncmp(r->pattern, "/api/0/", 7) == 0 ? "api" : "ingest";
    cJSON_AddItemToArray(cJSON_AddArrayToObject(op, "tags"), cJSON_CreateString(tag));
    openapi_add_params(op, r->pattern);
    if (r->body_limit > 0) {
        cJSON *body = cJSON_AddObjectToObject(op, "requestBody");
        cJSON *content = cJSON_AddObjectToObject(body, "content");
        cJSON_AddObjectToObject(cJSON_AddObjectToObject(content, "application/json"), "schema");
    }
    openapi_add_responses(op, r, secured);
    if (!secured)
        cJSON_AddArrayToObject(op, "security");
    return op;
}

static void openapi_add_components(cJSON *doc)
{
    cJSON *schemes =
        cJSON_AddObjectToObject(cJSON_AddObjectToObject(doc, "components"), "securitySchemes");
    cJSON *bearer = cJSON_AddObjectToObject(schemes, "bearer");
    cJSON_AddStringToObject(bearer, "type", "http");
    cJSON_AddStringToObject(bearer, "scheme", "bearer");
    cJSON *cookie = cJSON_AddObjectToObject(schemes, "session");
    cJSON_AddStringToObject(cookie, "type", "apiKey");
    cJSON_AddStringToObject(cookie, "in", "cookie");
    cJSON_AddStringToObject(cookie, "name", "snag_session");
    cJSON *sec = cJSON_AddArrayToObject(doc, "security");
    cJSON_AddItemToArray(sec, cJSON_CreateObject());
    cJSON_AddArrayToObject(cJSON_GetArrayItem(sec, 0), "bearer");
    cJSON_AddItemToArray(sec, cJSON_CreateObject());
    cJSON_AddArrayToObject(cJSON_GetArrayItem(sec, 1), "session");
}

cJSON *api_openapi_document(struct arena *a, const char *server_url)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "openapi", "3.0.3");
    cJSON *info = cJSON_AddObjectToObject(doc, "info");
    cJSON_AddStringToObject(info, "title", "snag API (Sentry-compatible)");
    cJSON_AddStringToObject(info, "version", SNAG_VERSION);
    cJSON *server = cJSON_CreateObject();
    cJSON_AddStringToObject(server, "url", server_url ? server_url : "/");
    cJSON_AddItemToArray(cJSON_AddArrayToObject(doc, "servers"), server);
    openapi_add_components(doc);
    cJSON *paths = cJSON_AddObjectToObject(doc, "paths");
    size_t n;
    const struct route *routes = app_routes(&n);
    for (size_t i = 0; i < n; i++) {
        const char *method = openapi_method(routes[i].method);
        if (!method || strstr(routes[i].pattern, "{*")) /* the UI's catch-all is no API */
            continue;
        cJSON *item = cJSON_GetObjectItemCaseSensitive(paths, routes[i].pattern);
        if (!item)
            item = cJSON_AddObjectToObject(paths, routes[i].pattern);
        cJSON_AddItemToObject(item, method, openapi_operation(a, &routes[i], method));
    }
    return doc;
}

enum handler_result h_openapi(struct http_request *req, void *app)
{
    const struct app *ap = app;
    api_respond_take(req, 200, api_openapi_document(http_arena(req), ap->cfg->domain));
    return HANDLER_DONE;
}
