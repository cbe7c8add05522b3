/* project_stats: Sentry's `stats` of project objects — ?statsPeriod=24h (hours), 14d or 30d
 * (days) gives each project "stats": [[unix_seconds, events], …], oldest first, every bucket
 * present, the last one holding now; counted from the issues' hourly counts that the facets
 * job keeps (store_project_stats, one query for a whole list). */
#ifndef SNAG_API_PROJECT_STATS_H
#define SNAG_API_PROJECT_STATS_H

#include "api/api.h"

struct project_stats_period {
    const char *name; /* the statsPeriod value */
    double step;      /* seconds per bucket */
    int buckets;
};

/* The period ?statsPeriod= asks for: true with *out NULL when there is none (then no stats),
 * false after answering 400 when it is not one of the known ones. */
bool project_stats_period(struct http_request *req, const struct project_stats_period **out);
/* Adds "stats" over period to objs[k], the object of project ids[k], for each k < n; false
 * after answering with the store's error. */
bool project_stats_add(struct http_request *req, struct app *app,
                       const struct project_stats_period *period, const int64_t *ids, size_t n,
                       cJSON *const *objs);

#endif
