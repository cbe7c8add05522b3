/* issues_int: what the issue handler files (issues.c, issue_update.c, issue_facets.c,
 * events.c, notes.c) share — the opening of a handler on one issue with its access check, and
 * the parsed body of an issue update. */
#ifndef SNAG_API_ISSUES_INT_H
#define SNAG_API_ISSUES_INT_H

#include "api/api.h"

/* Authenticates, loads {issue_id} (404 when the caller may not see it) and its project, and
 * checks that the caller's role and token allow scope (403). False when it has answered. */
bool issues_open(struct http_request *req, struct app *app, struct api_principal *p,
                 const char *scope, struct store_issue *issue, struct store_project *proj);
/* issues_open that also gives the caller's role in the issue's organization. */
bool issues_open_role(struct http_request *req, struct app *app, struct api_principal *p,
                      const char *scope, struct store_issue *issue, struct store_project *proj,
                      const char **role);

struct issues_update {
    struct store_issue_update u;
    bool merge; /* {"merge": 1} */
};

/* Reads status (statusDetails accepted), assignedTo, isBookmarked, hasSeen, merge (isPublic
 * and the rest ignored); answers 400 and returns false when a value is unusable. assignedTo
 * must name a member of org_id (user id, "user:<id>" or email) or be "" / null to clear. */
bool issues_parse_update(struct http_request *req, struct app *app, int64_t org_id,
                         const struct api_principal *p, const cJSON *body,
                         struct issues_update *out);
/* Applies u to ids and answers with Sentry's echo of the changed attributes. */
void issues_apply_update(struct http_request *req, struct app *app, const int64_t *ids, size_t n,
                         const struct issues_update *u, const cJSON *body);

#endif
