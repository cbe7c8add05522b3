/* project_stats: the statsPeriod of project lists and details (project_stats.h). */
#include "api/project_stats.h"

#include <string.h>

#include "core/clock.h"

static const struct project_stats_period project_periods[] = {
    {"24h", 3600.0, 24},
    {"14d", 86400.0, 14},
    {"30d", 86400.0, 30},
};

bool project_stats_period(struct http_request *req, const struct project_stats_period **out)
{
    const char *s = http_query(req, "statsPeriod");
    *out = NULL;
    if (!s || !*s)
        return true;
    for (size_t i = 0; i < sizeof project_periods / sizeof *project_periods; i++)
        if (strcmp(s, project_periods[i].name) == 0) {
            *out = &project_periods[i];
            return true;
        }
    http_respond_detail(req, 400, "statsPeriod must be 24h, 14d or 30d");
    return false;
}

static cJSON *project_stats_json(const struct store_stat_bucket *b, size_t nb)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < nb; i++) {
        cJSON *pair = cJSON_CreateArray();
        cJSON_AddItemToArray(pair, cJSON_CreateNumber(b[i].start));
        cJSON_AddItemToArray(pair, cJSON_CreateNumber((double)b[i].count));
        cJSON_AddItemToArray(arr, pair);
    }
    return arr;
}

bool project_stats_add(struct http_request *req, struct app *app,
                       const struct project_stats_period *period, const int64_t *ids, size_t n,
                       cJSON *const *objs)
{
    double now = clock_now();
    struct store_stat_bucket *b;
    size_t nb;
    enum err e =
        store_project_stats(app->st, http_arena(req), ids, n,
                            now - (period->buckets - 1) * period->step, now, period->step, &b, &nb);
    if (e) {
        api_respond_store_err(req, e);
        return false;
    }
    for (size_t k = 0; k < n; k++)
        cJSON_AddItemToObject(objs[k], "stats", project_stats_json(b + k * nb, nb));
    return true;
}
