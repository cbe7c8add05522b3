/* api: what the /api/0/ resource handlers share — who is calling (Bearer token or session
 * cookie), access checks that answer 404 rather than leak another organisation's
 * objects, request-body parsing, pagination links, and the Sentry-shaped JSON of each
 * resource (camelCase field names, ISO 8601 times, ids as strings). */
#ifndef SNAG_API_API_H
#define SNAG_API_API_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "api/app.h"
#include "http/http.h"
#include "store/store.h"

struct api_principal {
    struct store_user user;
    const char *scopes;     /* space-separated */
    const char *session_id; /* set when signed in by the session cookie (arena); else NULL */
};

/* Resolves the caller. On failure it has already answered (401) and returns false. */
bool api_authenticate(struct http_request *req, struct app *app, struct api_principal *p);
/* Like api_authenticate but a missing credential is fine (p->user.id = 0). */
bool api_authenticate_optional(struct http_request *req, struct app *app, struct api_principal *p);
/* 403 unless the token has scope (or a broader one of the same resource). */
bool api_require_scope(struct http_request *req, const struct api_principal *p, const char *scope);

/* Loads the organisation named by {org} (or `slug`) if the caller is a member (or a
 * superuser); otherwise answers 404 and returns false. role may be NULL. */
bool api_load_org(struct http_request *req, struct app *app, const struct api_principal *p,
                  const char *slug, struct store_org *org, const char **role);
bool api_load_project(struct http_request *req, struct app *app, const struct api_principal *p,
                      const char *org_slug, const char *project_slug, struct store_org *org,
                      struct store_project *project);
bool api_load_issue(struct http_request *req, struct app *app, const struct api_principal *p,
                    const char *issue_id, struct store_issue *issue);

/* The common openings of a handler: authenticate, then load the {org}, {org}/{project} or
 * {issue_id} of the path the caller may see. Each answers (401/404/…) and returns false when
 * the handler should stop. */
bool api_org_request(struct http_request *req, struct app *app, struct api_principal *p,
                     struct store_org *org, const char **role);
bool api_project_request(struct http_request *req, struct app *app, struct api_principal *p,
                         struct store_org *org, struct store_project *project);
bool api_issue_request(struct http_request *req, struct app *app, struct api_principal *p,
                       struct store_issue *issue);
/* ---- access (access.c; what each role may do is auth/roles.h) ------------------------- */

/* 404 {"detail": …}: what every "not there or not yours" answer looks like. */
void api_respond_not_found(struct http_request *req);
/* The answer to a DELETE whose store call returned e: 204, 404 or the store error. */
void api_respond_deleted(struct http_request *req, enum err e);
/* 403 unless both the caller's role in the org and the token's scopes include scope. */
bool api_allow(struct http_request *req, const struct api_principal *p, const char *role,
               const char *scope);
/* api_allow, and a team-bound role (admin) must also be on the team, or on one of the
 * project's teams. */
bool api_allow_team(struct http_request *req, struct app *app, const struct api_principal *p,
                    const char *role, const char *scope, int64_t team_id);
bool api_allow_project(struct http_request *req, struct app *app, const struct api_principal *p,
                       const char *role, const char *scope, int64_t project_id);
/* The openings of team- and project-scoped handlers: authenticate, load {org} (with the
 * caller's role) and {team} or {project} of the path; 401/404 and false otherwise. */
bool api_team_request(struct http_request *req, struct app *app, struct api_principal *p,
                      struct store_org *org, struct store_team *team, const char **role);
bool api_project_role_request(struct http_request *req, struct app *app, struct api_principal *p,
                              struct store_org *org, struct store_project *project,
                              const char **role);

/* Answers with o and deletes it. */
void api_respond_take(struct http_request *req, int status, cJSON *o);

/* Parses the JSON body as an object (400 with detail otherwise); tree owned by the arena. */
cJSON *api_body_object(struct http_request *req);
/* Answers with a database error (503 when unavailable, 500 otherwise). */
void api_respond_store_err(struct http_request *req, enum err e);

/* Reads "name" and optional "slug" (derived from the name when absent); answers 400 and
 * returns false when unusable. */
bool api_body_name_slug(struct http_request *req, const cJSON *body, const char **name,
                        const char **slug);
/* Slug from a name (lowercase, [a-z0-9-], ≤50), in the arena. */
char *api_slugify(struct arena *a, const char *name);
bool api_slug_valid(const char *slug);

/* Offset cursors in Sentry's form "0:<offset>:0", with a Link header. */
int64_t api_cursor_offset(struct http_request *req);
int api_limit(struct http_request *req, int def, int max);
void api_link_header(struct http_request *req, const struct app *app, int64_t offset, int limit,
                     bool has_next);

/* ---- serialisers (objects are heap cJSON; caller attaches or deletes) ----------------- */

void api_iso_time(double t, char out[32]);
cJSON *api_json_user(const struct store_user *u);
/* A sign-in session as the account page lists it; id is the first SESSION_PUBLIC_ID_LEN hex
 * of its hash (never the cookie's secret). */
cJSON *api_json_session(const struct store_session_info *s, bool current);
cJSON *api_json_org(const struct store_org *o);
cJSON *api_json_team(const struct store_team *t);
cJSON *api_json_project(const struct store_project *p);
cJSON *api_json_key(const struct app *app, const struct store_key *k);
/* Answers with the project's detail form (teams, settings) and, when stats_period is set
 * (a struct project_stats_period of project_stats.h), its stats — project_admin.c. */
struct project_stats_period;
void api_respond_project_detail(struct http_request *req, struct app *app,
                                const struct store_project *proj, int status,
                                const struct project_stats_period *stats_period);
/* A member or pending invitation (Sentry's OrganizationMemberSerializer); now decides
 * "expired". */
cJSON *api_json_member(const struct store_member *m, double now);
cJSON *api_json_issue(const struct app *app, const struct store_issue *i,
                      const struct store_project *project);
/* Short id: SLUG-<base32 of short_num>, in the arena. */
char *api_short_id(struct arena *a, const char *project_slug, int64_t num);
/* The Sentry event shape (entries, tags as {key, value}, …) from a stored row, its body
 * decompressed through zd (api/zdicts.h; NULL: bodies without a dictionary only). NULL when
 * the stored body cannot be read. */
cJSON *api_json_event(struct arena *a, struct zdicts *zd, const struct store_event_row *row);

#endif
