/* common: authentication, access checks, body parsing and paging shared by API handlers. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/accounts.h"
#include "api/api.h"
#include "auth/tokens.h"
#include "core/jsonx.h"
#include "core/limits.h"

static enum api_auth_outcome api_auth_token(struct http_request *req, struct app *app,
                                            struct api_principal *p)
{
    const char *tok;
    size_t len;
    memset(p, 0, sizeof *p);
    if (!token_from_header(http_header(req, "Authorization"), &tok, &len))
        return api_auth_session(req, app, p);
    char hash[TOKEN_HASH_LEN + 1];
    token_hash(tok, len, hash);
    enum err e = store_token_lookup(app->st, http_arena(req), hash, &p->user, &p->scopes);
    if (e == E_NOTFOUND)
        return AUTH_BAD;
    if (e) {
        api_respond_store_err(req, e);
        return AUTH_ANSWERED;
    }
    return AUTH_OK;
}

bool api_authenticate(struct http_request *req, struct app *app, struct api_principal *p)
{
    switch (api_auth_token(req, app, p)) {
    case AUTH_OK:
        return true;
    case AUTH_NONE:
        http_respond_detail(req, 401, "Authentication credentials were not provided.");
        return false;
    case AUTH_BAD:
        http_respond_detail(req, 401, "Invalid token");
        return false;
    case AUTH_ANSWERED:
    default:
        return false;
    }
}

bool api_authenticate_optional(struct http_request *req, struct app *app, struct api_principal *p)
{
    enum api_auth_outcome o = api_auth_token(req, app, p);
    if (o == AUTH_NONE)
        memset(p, 0, sizeof *p);
    if (o == AUTH_BAD)
        http_respond_detail(req, 401, "Invalid token");
    return o == AUTH_OK || o == AUTH_NONE;
}

bool api_require_scope(struct http_request *req, const struct api_principal *p, const char *scope)
{
    /* "org:read" is satisfied by org:read, org:write or org:admin. */
    const char *colon = strchr(scope, ':');
    size_t res_len = colon ? (size_t)(colon - scope) : strlen(scope);
    static const char *levels[] = {"read", "write", "admin"};
    int need = 0;
    for (int i = 0; i < 3; i++)
        if (colon && strcmp(colon + 1, levels[i]) == 0)
            need = i;
    const char *s = p->scopes ? p->scopes : "";
    while (*s) {
        size_t n = strcspn(s, " ");
        for (int i = need; i < 3; i++) {
            size_t ln = strlen(levels[i]);
            if (n == res_len + 1 + ln && strncmp(s, scope, res_len) == 0 && s[res_len] == ':' &&
                strncmp(s + res_len + 1, levels[i], ln) == 0)
                return true;
        }
        s += n;
        while (*s == ' ')
            s++;
    }
    http_respond_detail(req, 403, "You do not have permission to perform this action.");
    return false;
}

void api_respond_store_err(struct http_request *req, enum err e)
{
    if (e == E_UNAVAILABLE) {
        http_respond_detail(req, 503, "database unavailable, retry later");
        http_add_header(req, "Retry-After", "5");
    } else {
        http_respond_detail(req, err_http_status(e) >= 500 ? 500 : err_http_status(e), err_name(e));
    }
}

bool api_load_org(struct http_request *req, struct app *app, const struct api_principal *p,
                  const char *slug, struct store_org *org, const char **role)
{
    struct arena *a = http_arena(req);
    const char *r = NULL;
    enum err e = slug ? store_org_by_slug(app->st, a, slug, org) : E_NOTFOUND;
    if (e == E_OK)
        e = store_org_member_role(app->st, a, org->id, p->user.id, &r);
    if (e == E_NOTFOUND && p->user.is_superuser && org->id) {
        r = "owner";
        e = E_OK;
    }
    if (e == E_NOTFOUND) {
        http_respond_detail(req, 404, "The requested resource does not exist");
        return false;
    }
    if (e) {
        api_respond_store_err(req, e);
        return false;
    }
    if (!api_org_2fa_gate(req, app, p, org->id))
        return false;
    if (role)
        *role = r;
    return true;
}

bool api_load_project(struct http_request *req, struct app *app, const struct api_principal *p,
                      const char *org_slug, const char *project_slug, struct store_org *org,
                      struct store_project *project)
{
    memset(org, 0, sizeof *org);
    if (!api_load_org(req, app, p, org_slug, org, NULL))
        return false;
    enum err e = project_slug ? store_project_by_slug(app->st, http_arena(req), org->id,
                                                      project_slug, project)
                              : E_NOTFOUND;
    if (e == E_NOTFOUND) {
        http_respond_detail(req, 404, "The requested resource does not exist");
        return false;
    }
    if (e) {
        api_respond_store_err(req, e);
        return false;
    }
    return true;
}

bool api_load_issue(struct http_request *req, struct app *app, const struct api_principal *p,
                    const char *issue_id, struct store_issue *issue)
{
    struct arena *a = http_arena(req);
    char *end = NULL;
    long long id = issue_id ? strtoll(issue_id, &end, 10) : 0;
    enum err e = (!issue_id || end == issue_id || *end || id <= 0)
                     ? E_NOTFOUND
                     : store_issue_by_id(app->st, a, id, issue);
    struct store_project proj;
    if (e == E_OK)
        e = store_project_by_id(app->st, a, issue->project_id, &proj);
    const char *role;
    if (e == E_OK) {
        e = store_org_member_role(app->st, a, proj.org_id, p->user.id, &role);
        if (e == E_NOTFOUND && p->user.is_superuser)
            e = E_OK;
    }
    if (e == E_NOTFOUND) {
        http_respond_detail(req, 404, "The requested resource does not exist");
        return false;
    }
    if (e) {
        api_respond_store_err(req, e);
        return false;
    }
    return api_org_2fa_gate(req, app, p, proj.org_id);
}

cJSON *api_body_object(struct http_request *req)
{
    struct slice b = http_body(req);
    struct errinfo ei = {{0}};
    cJSON *o = NULL;
    if (b.len == 0) {
        o = cJSON_CreateObject();
        if (jsonx_own(http_arena(req), o) != 0) {
            http_respond_detail(req, 413, "request too large");
            return NULL;
        }
        return o;
    }
    enum err e = jsonx_parse(http_arena(req), b.p, b.len, &o, &ei);
    if (e) {
        http_respond_err(req, e, &ei);
        return NULL;
    }
    if (!cJSON_IsObject(o)) {
        http_respond_detail(req, 400, "request body must be a JSON object");
        return NULL;
    }
    return o;
}

/* Reads "name" and optional "slug" from body; answers 400 and returns false if unusable. */
bool api_body_name_slug(struct http_request *req, const cJSON *body, const char **name,
                        const char **slug)
{
    *name = jsonx_str(body, "name");
    *slug = jsonx_str(body, "slug");
    if (!*name || !**name) {
        http_respond_detail(req, 400, "name: This field is required.");
        return false;
    }
    if (strlen(*name) > 200) {
        http_respond_detail(req, 400, "name: Ensure this field has no more than 200 characters.");
        return false;
    }
    if (!*slug || !**slug)
        *slug = api_slugify(http_arena(req), *name);
    if (!*slug || !api_slug_valid(*slug)) {
        http_respond_detail(req, 400,
                            "slug: Enter a valid slug of lowercase letters, numbers, "
                            "underscores or hyphens.");
        return false;
    }
    return true;
}

char *api_slugify(struct arena *a, const char *name)
{
    size_t n = strlen(name), o = 0;
    char *s = arena_alloc(a, n + 1);
    if (!s)
        return NULL;
    bool dash = false;
    for (size_t i = 0; i < n && o < 50; i++) {
        unsigned char c = (unsigned char)name[i];
        if (isalnum(c)) {
            if (dash && o > 0)
                s[o++] = '-';
            dash = false;
            if (o < 50)
                s[o++] = (char)tolower(c);
        } else {
            dash = true;
        }
    }
    s[o] = '\0';
    return s;
}

bool api_slug_valid(const char *slug)
{
    size_t n = strlen(slug);
    if (n == 0 || n > 50 || slug[0] == '-')
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)slug[i];
        if (!(islower(c) || isdigit(c) || c == '-' || c == '_'))
            return false;
    }
    return true;
}

int64_t api_cursor_offset(struct http_request *req)
{
    const char *c = http_query(req, "cursor");
    if (!c)
        return 0;
    /* "<value>:<offset>:<is_prev>" */
    const char *p = strchr(c, ':');
    if (!p)
        return 0;
    long long off = strtoll(p + 1, NULL, 10);
    return off > 0 ? off : 0;
}

int api_limit(struct http_request *req, int def, int max)
{
    const char *l = http_query(req, "limit");
    if (!l)
        l = http_query(req, "per_page");
    long n = l ? strtol(l, NULL, 10) : def;
    if (n <= 0)
        n = def;
    return (int)(n > max ? max : n);
}

static char *api_url_escape(struct arena *a, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s), o = 0;
    char *out = arena_alloc(a, 3 * n + 1);
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == ':') {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
    return out;
}

struct link_query {
    struct arena *a;
    char *qs;
};

static void api_link_collect(void *ctx, const char *k, const char *v)
{
    struct link_query *q = ctx;
    if (strcmp(k, "cursor") == 0 || !q->qs)
        return;
    char *ek = api_url_escape(q->a, k), *ev = api_url_escape(q->a, v);
    q->qs = ek && ev ? arena_printf(q->a, "%s%s=%s&", q->qs, ek, ev) : NULL;
}

void api_link_header(struct http_request *req, const struct app *app, int64_t offset, int limit,
                     bool has_next)
{
    struct arena *a = http_arena(req);
    const char *base = arena_printf(a, "%s%s", app->cfg->domain, http_path(req));
    struct link_query q = {a, arena_strdup(a, "")};
    http_query_each(req, api_link_collect, &q);
    if (!q.qs || !base)
        return;
    int64_t prev = offset - limit < 0 ? 0 : offset - limit;
    char *link = arena_printf(a,
                              "<%s?%scursor=0:%" PRId64
                              ":1>; rel=\"previous\"; results=\"%s\"; cursor=\"0:%" PRId64
                              ":1\", <%s?%scursor=0:%" PRId64
                              ":0>; rel=\"next\"; results=\"%s\"; cursor=\"0:%" PRId64 ":0\"",
                              base, q.qs, prev, offset > 0 ? "true" : "false", prev, base, q.qs,
                              offset + limit, has_next ? "true" : "false", offset + limit);
    if (link)
        http_add_header(req, "Link", link);
}

bool api_org_request(struct http_request *req, struct app *app, struct api_principal *p,
                     struct store_org *org, const char **role)
{
    return api_authenticate(req, app, p) &&
           api_load_org(req, app, p, http_param(req, "org"), org, role);
}

bool api_project_request(struct http_request *req, struct app *app, struct api_principal *p,
                         struct store_org *org, struct store_project *project)
{
    return api_authenticate(req, app, p) &&
           api_load_project(req, app, p, http_param(req, "org"), http_param(req, "project"), org,
                            project);
}

bool api_issue_request(struct http_request *req, struct app *app, struct api_principal *p,
                       struct store_issue *issue)
{
    return api_authenticate(req, app, p) &&
           api_load_issue(req, app, p, http_param(req, "issue_id"), issue);
}

void api_respond_take(struct http_request *req, int status, cJSON *o)
{
    http_respond_json(req, status, o);
    cJSON_Delete(o);
}
