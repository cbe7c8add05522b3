/* issue_query: what the issue list handlers share — the store search built from a request
 * (Sentry's `query` language through api/search.c, `statsPeriod` or `start`/`end`, `sort`,
 * repeatable `project`, `environment` and `id`, `limit`, `cursor`), the keyset cursors of its
 * pages and their Link header, per-caller issue JSON (assignee, bookmark, seen, comments) and
 * the sparkline `stats`. */
#ifndef SNAG_API_ISSUE_QUERY_H
#define SNAG_API_ISSUE_QUERY_H

#include "api/api.h"

/* Fills q for org (and project, or NULL for the org's list) from the request's parameters.
 * Answers 400 (the detail saying where a query is wrong) and returns false when unusable. */
bool issue_query_build(struct http_request *req, struct app *app, const struct store_org *org,
                       const struct store_project *project, int64_t user_id,
                       struct store_issue_search *q);
/* The id= parameters (at most 100) into an arena array; *n 0 when none. */
int64_t *issue_query_ids(struct http_request *req, size_t *n);
/* The Link header of a keyset page: previous before rows[0], next after rows[n-1]. */
void issue_query_link(struct http_request *req, const struct app *app,
                      const struct store_issue_search *q, const struct store_issue *rows, size_t n,
                      bool more);
/* Sentry's Link header: previous and next page of the request's URL with those cursors. */
void issue_query_link_header(struct http_request *req, const struct app *app, const char *prev,
                             bool has_prev, const char *next, bool has_next);
/* The issue's JSON with the caller's state and, when period is "24h" or "14d", its stats. */
cJSON *issue_query_json(struct http_request *req, struct app *app, const struct store_issue *i,
                        const struct store_project *project, int64_t user_id, const char *period);
/* The stats period the list asks for (groupStatsPeriod, else statsPeriod; "auto" → 24h):
 * "24h", "14d" or NULL. */
const char *issue_query_stats_period(struct http_request *req);
/* [[ts, n], …] of the issue over period ("24h": hours, "14d": days); NULL on error. */
cJSON *issue_query_stats(struct app *app, struct arena *a, int64_t issue_id, const char *period);

#endif
