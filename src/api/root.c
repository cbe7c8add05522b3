/* root: GET /api/0/ (who am I, as sentry-cli's `info` reads it), health checks and the
 * Prometheus-style /metrics counters. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/handlers.h"
#include "core/buf.h"
#include "core/clock.h"

enum handler_result h_api_root(struct http_request *req, void *app)
{
    struct api_principal p;
    if (!api_authenticate_optional(req, app, &p))
        return HANDLER_DONE;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "version", "0");
    if (p.user.id) {
        cJSON_AddItemToObject(o, "user", api_json_user(&p.user));
        cJSON *auth = cJSON_AddObjectToObject(o, "auth");
        cJSON *scopes = cJSON_AddArrayToObject(auth, "scopes");
        const char *s = p.scopes ? p.scopes : "";
        while (*s) {
            size_t n = strcspn(s, " ");
            char one[64];
            snprintf(one, sizeof one, "%.*s", (int)n, s);
            if (n)
                cJSON_AddItemToArray(scopes, cJSON_CreateString(one));
            s += n;
            while (*s == ' ')
                s++;
        }
    } else {
        cJSON_AddNullToObject(o, "user");
        cJSON_AddNullToObject(o, "auth");
    }
    http_respond_json(req, 200, o);
    cJSON_Delete(o);
    return HANDLER_DONE;
}

enum handler_result h_health(struct http_request *req, void *app)
{
    struct app *ap = app;
    if (store_ping(ap->st) == E_OK)
        http_respond(req, 200, "text/plain", "ok", 2);
    else
        http_respond(req, 503, "text/plain", "database unavailable", 20);
    return HANDLER_DONE;
}

enum handler_result h_internal_health(struct http_request *req, void *app)
{
    struct app *ap = app;
    bool ok = store_ping(ap->st) == E_OK;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "healthy", ok);
    cJSON *problems = cJSON_AddArrayToObject(o, "problems");
    if (!ok) {
        cJSON *pr = cJSON_CreateObject();
        cJSON_AddStringToObject(pr, "id", "database");
        cJSON_AddStringToObject(pr, "message", "The database does not answer.");
        cJSON_AddStringToObject(pr, "severity", "critical");
        cJSON_AddItemToArray(problems, pr);
    }
    http_respond_json(req, ok ? 200 : 503, o);
    cJSON_Delete(o);
    return HANDLER_DONE;
}

enum handler_result h_metrics(struct http_request *req, void *app)
{
    struct app *ap = app;
    struct buf b;
    buf_init(&b, 64 * 1024);
    int bad = 0;
    bad |= buf_printf(&b, "snag_events_stored_total %llu\n",
                      (unsigned long long)atomic_load(&ap->stats.events_stored)) != E_OK;
    bad |= buf_printf(&b, "snag_events_duplicate_total %llu\n",
                      (unsigned long long)atomic_load(&ap->stats.events_duplicate)) != E_OK;
    bad |= buf_printf(&b, "snag_ingest_rejected_total %llu\n",
                      (unsigned long long)atomic_load(&ap->stats.requests_rejected)) != E_OK;
    for (int k = 0; k < ITEM__MAX; k++)
        bad |= buf_printf(&b, "snag_items_dropped_total{type=\"%s\"} %llu\n",
                          item_kind_name((enum item_kind)k),
                          (unsigned long long)atomic_load(&ap->stats.items_dropped[k])) != E_OK;
    for (int k = 0; k < ITEM__MAX; k++)
        if (atomic_load(&ap->stats.items_stored[k]))
            bad |= buf_printf(&b, "snag_items_stored_total{type=\"%s\"} %llu\n",
                              item_kind_name((enum item_kind)k),
                              (unsigned long long)atomic_load(&ap->stats.items_stored[k])) != E_OK;
    bad |= buf_printf(&b, "snag_uptime_seconds %.0f\n", clock_now() - ap->started) != E_OK;
    if (bad)
        http_respond_detail(req, 500, "metrics too large");
    else
        http_respond(req, 200, "text/plain; version=0.0.4", b.p, b.len);
    buf_free(&b);
    return HANDLER_DONE;
}
