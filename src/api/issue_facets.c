/* issue_facets: an issue's tags (keys with totals and top values), one key's values with
 * counts and first/last seen, and its counts per hour (24h) or per day (14d) — what the
 * facets job (worker/facets.c) keeps, so they trail ingest by a few seconds. */
#include <string.h>

#include "api/handlers.h"
#include "api/issue_query.h"
#include "api/issues_int.h"

#define FACETS_TOP 9 /* topValues per key, as Sentry */
#define FACETS_VALUES_MAX 1000

static void if_time(cJSON *o, const char *key, double t)
{
    char iso[32];
    api_iso_time(t, iso);
    cJSON_AddStringToObject(o, key, iso);
}

static cJSON *if_value(const struct store_tag_value *v)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "key", v->key);
    cJSON_AddStringToObject(o, "name", v->value);
    cJSON_AddStringToObject(o, "value", v->value);
    cJSON_AddNumberToObject(o, "count", (double)v->count);
    if_time(o, "firstSeen", v->first_seen);
    if_time(o, "lastSeen", v->last_seen);
    return o;
}

/* {key, name, totalValues, uniqueValues, topValues} of one key; NULL on a store error. */
static cJSON *if_key(struct http_request *req, struct app *app, int64_t issue_id,
                     const struct store_tag_key *k)
{
    struct store_tag_value *v;
    size_t n;
    if (store_issue_tag_values(app->st, http_arena(req), issue_id, k->key, FACETS_TOP, &v, &n))
        return NULL;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "key", k->key);
    cJSON_AddStringToObject(o, "name", k->key);
    cJSON_AddNumberToObject(o, "totalValues", (double)k->total);
    cJSON_AddNumberToObject(o, "uniqueValues", (double)k->unique_values);
    cJSON *top = cJSON_AddArrayToObject(o, "topValues");
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(top, if_value(&v[i]));
    return o;
}

enum handler_result h_issue_tags(struct http_request *req, void *app)
{
    struct api_principal p;
    struct store_issue issue;
    struct store_project proj;
    struct store_tag_key *keys;
    size_t n;
    if (!issues_open(req, app, &p, "event:read", &issue, &proj))
        return HANDLER_DONE;
    enum err e =
        store_issue_tag_keys(((struct app *)app)->st, http_arena(req), issue.id, &keys, &n);
    cJSON *arr = e ? NULL : cJSON_CreateArray();
    for (size_t i = 0; arr && i < n; i++) {
        cJSON *k = if_key(req, app, issue.id, &keys[i]);
        if (k)
            cJSON_AddItemToArray(arr, k);
    }
    if (e)
        api_respond_store_err(req, e);
    else
        api_respond_take(req, 200, arr);
    return HANDLER_DONE;
}

/* The key's totals (zero when the issue has no such tag). */
static enum err if_find_key(struct http_request *req, struct app *app, int64_t issue_id,
                            const char *key, struct store_tag_key *out)
{
    struct store_tag_key *keys;
    size_t n;
    *out = (struct store_tag_key){key, 0, 0};
    enum err e = store_issue_tag_keys(app->st, http_arena(req), issue_id, &keys, &n);
    for (size_t i = 0; !e && i < n; i++)
        if (strcmp(keys[i].key, key) == 0)
            *out = keys[i];
    return e;
}

enum handler_result h_issue_tag_detail(struct http_request *req, void *app)
{
    struct api_principal p;
    struct store_issue issue;
    struct store_project proj;
    struct store_tag_key k;
    if (!issues_open(req, app, &p, "event:read", &issue, &proj))
        return HANDLER_DONE;
    enum err e = if_find_key(req, app, issue.id, http_param(req, "key"), &k);
    cJSON *o = e ? NULL : if_key(req, app, issue.id, &k);
    if (!o)
        api_respond_store_err(req, e ? e : E_DB);
    else
        api_respond_take(req, 200, o);
    return HANDLER_DONE;
}

enum handler_result h_issue_tag_values(struct http_request *req, void *app)
{
    struct api_principal p;
    struct store_issue issue;
    struct store_project proj;
    struct store_tag_value *v;
    size_t n;
    if (!issues_open(req, app, &p, "event:read", &issue, &proj))
        return HANDLER_DONE;
    enum err e = store_issue_tag_values(((struct app *)app)->st, http_arena(req), issue.id,
                                        http_param(req, "key"),
                                        api_limit(req, 100, FACETS_VALUES_MAX), &v, &n);
    if (e) {
        api_respond_store_err(req, e);
        return HANDLER_DONE;
    }
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(arr, if_value(&v[i]));
    api_respond_take(req, 200, arr);
    return HANDLER_DONE;
}

enum handler_result h_issue_stats(struct http_request *req, void *app)
{
    struct api_principal p;
    struct store_issue issue;
    struct store_project proj;
    if (!issues_open(req, app, &p, "event:read", &issue, &proj))
        return HANDLER_DONE;
    const char *period = http_query(req, "statsPeriod");
    if (!period)
        period = "24h";
    if (strcmp(period, "24h") != 0 && strcmp(period, "14d") != 0) {
        http_respond_detail(req, 400, "statsPeriod must be 24h or 14d");
        return HANDLER_DONE;
    }
    cJSON *stats = issue_query_stats(app, http_arena(req), issue.id, period);
    if (!stats) {
        api_respond_store_err(req, E_DB);
        return HANDLER_DONE;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, period, stats);
    api_respond_take(req, 200, o);
    return HANDLER_DONE;
}
