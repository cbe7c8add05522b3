/* keys: a project's client keys (DSNs) — list, create, show, update (name, isActive,
 * rateLimit), delete and rotate (Sentry's /api/0/projects/{org}/{project}/keys/{key_id}/,
 * where key_id is the public key). A disabled key makes ingest answer 403; the rate limit
 * {window, count} is stored and returned, enforced on the ingest path (api/ratelimit.h).
 * Rotating creates a new key with the old one's name and limit and disables the old one,
 * in one transaction (what Sentry's UI does in two steps). */
#include <string.h>

#include "api/api.h"
#include "api/keycache.h"
#include "api/handlers.h"
#include "core/ids.h"
#include "core/jsonx.h"

#define KEY_RATE_WINDOW_MAX 86400 /* Sentry allows windows of up to a day */

/* Reads "rateLimit": null (no limit) or {window, count}; sets u->set_rate when present.
 * Answers 400 and returns false when malformed. */
static bool keys_body_rate(struct http_request *req, const cJSON *body, struct store_key_update *u)
{
    const cJSON *rl = cJSON_GetObjectItemCaseSensitive(body, "rateLimit");
    if (!rl)
        return true;
    u->set_rate = true;
    if (cJSON_IsNull(rl))
        return true;
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(rl, "window");
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(rl, "count");
    bool none = (cJSON_IsNull(w) || !w) && (cJSON_IsNull(c) || !c);
    if (none)
        return true;
    if (!cJSON_IsNumber(w) || !cJSON_IsNumber(c) || w->valuedouble < 1 ||
        w->valuedouble > KEY_RATE_WINDOW_MAX || c->valuedouble < 0 || c->valuedouble > 1e9) {
        http_respond_detail(req, 400,
                            "rateLimit: Expected {\"window\": 1..86400, \"count\": 0..1e9}.");
        return false;
    }
    u->rate_window = (int64_t)w->valuedouble;
    u->rate_count = (int64_t)c->valuedouble;
    if (u->rate_count == 0)
        u->rate_window = 0;
    return true;
}

/* Reads "name" and "isActive" too; 400 and false when malformed. */
static bool keys_body_update(struct http_request *req, const cJSON *body,
                             struct store_key_update *u)
{
    *u = (struct store_key_update){.label = jsonx_str(body, "name"), .active = -1};
    const cJSON *active = cJSON_GetObjectItemCaseSensitive(body, "isActive");
    if ((u->label && strlen(u->label) > 200) || (active && !cJSON_IsBool(active))) {
        http_respond_detail(req, 400,
                            "Expected a name of up to 200 characters and a boolean "
                            "isActive.");
        return false;
    }
    if (active)
        u->active = cJSON_IsTrue(active) ? 1 : 0;
    return keys_body_rate(req, body, u);
}

/* The opening of the key routes: the project, the access needed, and for …/{key_id}/ the key
 * (which must be the project's: 404 otherwise). */
static bool keys_request(struct http_request *req, struct app *app, const char *scope,
                         struct store_project *proj, struct store_key *key)
{
    struct api_principal p;
    struct store_org org;
    const char *role;
    if (!api_project_role_request(req, app, &p, &org, proj, &role))
        return false;
    const char *pk = http_param(req, "key_id");
    if (key) {
        enum err e = pk ? store_key_by_public(app->st, http_arena(req), pk, key) : E_NOTFOUND;
        if (!e && key->project_id != proj->id)
            e = E_NOTFOUND;
        if (e == E_NOTFOUND)
            api_respond_not_found(req);
        else if (e)
            api_respond_store_err(req, e);
        if (e)
            return false;
    }
    return strcmp(scope, "project:read") == 0
               ? api_allow(req, &p, role, scope)
               : api_allow_project(req, app, &p, role, scope, proj->id);
}

enum handler_result h_key_list(struct http_request *req, void *app)
{
    struct store_project proj;
    if (!keys_request(req, app, "project:read", &proj, NULL))
        return HANDLER_DONE;
    struct store_key *rows;
    size_t n;
    enum err e = store_key_list(((struct app *)app)->st, http_arena(req), proj.id, &rows, &n);
    if (e) {
        api_respond_store_err(req, e);
        return HANDLER_DONE;
    }
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(arr, api_json_key(app, &rows[i]));
    api_respond_take(req, 200, arr);
    return HANDLER_DONE;
}

/* POST …/keys/ {name?, rateLimit?} → 201 */
enum handler_result h_key_create(struct http_request *req, void *app)
{
    struct app *ap = app;
    struct store_project proj;
    struct store_key_update u;
    if (!keys_request(req, ap, "project:write", &proj, NULL))
        return HANDLER_DONE;
    const cJSON *body = api_body_object(req);
    if (!body || !keys_body_update(req, body, &u))
        return HANDLER_DONE;
    char pk[33];
    ids_uuid4_hex(pk);
    struct store_key key;
    struct arena *a = http_arena(req);
    enum err e = store_key_create(ap->st, proj.id, pk, u.label ? u.label : "Default", a, &key);
    if (!e && (u.set_rate || u.active == 0))
        e = store_key_update(ap->st, key.id, &u);
    if (!e && (u.set_rate || u.active == 0))
        e = store_key_by_public(ap->st, a, pk, &key);
    if (e)
        api_respond_store_err(req, e);
    else
        api_respond_take(req, 201, api_json_key(ap, &key));
    return HANDLER_DONE;
}

/* GET …/keys/{key_id}/ */
enum handler_result h_key_detail(struct http_request *req, void *app)
{
    struct store_project proj;
    struct store_key key;
    if (keys_request(req, app, "project:read", &proj, &key))
        api_respond_take(req, 200, api_json_key(app, &key));
    return HANDLER_DONE;
}

/* PUT …/keys/{key_id}/ {name?, isActive?, rateLimit?} */
enum handler_result h_key_update(struct http_request *req, void *app)
{
    struct app *ap = app;
    struct store_project proj;
    struct store_key key;
    struct store_key_update u;
    if (!keys_request(req, ap, "project:write", &proj, &key))
        return HANDLER_DONE;
    const cJSON *body = api_body_object(req);
    if (!body || !keys_body_update(req, body, &u))
        return HANDLER_DONE;
    struct arena *a = http_arena(req);
    const char *pk = key.public_key;
    enum err e = store_key_update(ap->st, key.id, &u);
    keycache_forget(ap->keys, pk);
    if (!e)
        e = store_key_by_public(ap->st, a, pk, &key);
    if (e == E_NOTFOUND)
        api_respond_not_found(req);
    else if (e)
        api_respond_store_err(req, e);
    else
        api_respond_take(req, 200, api_json_key(ap, &key));
    return HANDLER_DONE;
}

/* DELETE …/keys/{key_id}/ → 204 */
enum handler_result h_key_delete(struct http_request *req, void *app)
{
    struct store_project proj;
    struct store_key key;
    if (!keys_request(req, app, "project:admin", &proj, &key))
        return HANDLER_DONE;
    enum err e = store_key_delete(((struct app *)app)->st, key.id);
    keycache_forget(((struct app *)app)->keys, key.public_key);
    api_respond_deleted(req, e);
    return HANDLER_DONE;
}

/* POST …/keys/{key_id}/rotate/ → 201 the new key (the old one is now inactive) */
enum handler_result h_key_rotate(struct http_request *req, void *app)
{
    struct store_project proj;
    struct store_key key, fresh;
    if (!keys_request(req, app, "project:write", &proj, &key))
        return HANDLER_DONE;
    char pk[33];
    ids_uuid4_hex(pk);
    enum err e = store_key_rotate(((struct app *)app)->st, key.id, pk, http_arena(req), &fresh);
    keycache_forget(((struct app *)app)->keys, key.public_key);
    if (e == E_NOTFOUND)
        api_respond_not_found(req);
    else if (e)
        api_respond_store_err(req, e);
    else
        api_respond_take(req, 201, api_json_key(app, &fresh));
    return HANDLER_DONE;
}
