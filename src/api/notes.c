/* notes: comments on an issue (GlitchTip's comments, Sentry's notes: both paths) — any member
 * may read and write them, only the author or an admin (and above) may change or delete one —
 * and user reports (the legacy user-feedback API: a project's reports, posting one for an
 * event, an issue's reports). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "api/issues_int.h"
#include "auth/roles.h"
#include "core/ids.h"
#include "core/jsonx.h"

#define NOTE_TEXT_MAX 10000

static void nt_time(cJSON *o, const char *key, double t)
{
    char iso[32];
    api_iso_time(t, iso);
    cJSON_AddStringToObject(o, key, iso);
}

static void nt_id(cJSON *o, const char *key, int64_t id)
{
    char s[24];
    snprintf(s, sizeof s, "%" PRId64, id);
    cJSON_AddStringToObject(o, key, s);
}

static cJSON *nt_json(const struct store_comment *c)
{
    cJSON *o = cJSON_CreateObject();
    nt_id(o, "id", c->id);
    cJSON_AddStringToObject(o, "type", "note");
    cJSON_AddStringToObject(o, "text", c->text);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "data"), "text", c->text);
    nt_time(o, "dateCreated", c->created);
    nt_time(o, "dateUpdated", c->updated);
    if (!c->user_id) {
        cJSON_AddNullToObject(o, "user");
        return o;
    }
    cJSON *u = cJSON_AddObjectToObject(o, "user");
    nt_id(u, "id", c->user_id);
    cJSON_AddStringToObject(u, "email", c->user_email ? c->user_email : "");
    cJSON_AddStringToObject(u, "name", c->user_email ? c->user_email : "");
    return o;
}

enum handler_result h_note_list(struct http_request *req, void *app)
{
    struct api_principal p;
    struct store_issue issue;
    struct store_project proj;
    struct store_comment *rows;
    size_t n;
    if (!issues_open(req, app, &p, "event:read", &issue, &proj))
        return HANDLER_DONE;
    enum err e = store_comment_list(((struct app *)app)->st, http_arena(req), issue.id, &rows, &n);
    if (e) {
        api_respond_store_err(req, e);
        return HANDLER_DONE;
    }
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(arr, nt_json(&rows[i]));
    api_respond_take(req, 200, arr);
    return HANDLER_DONE;
}

/* "text" (or Sentry's data.text) of the body; 400 when missing or too long. */
static const char *nt_text(struct http_request *req)
{
    const cJSON *body = api_body_object(req);
    if (!body)
        return NULL;
    const char *t = jsonx_str(body, "text");
    if (!t)
        t = jsonx_str(jsonx_obj(body, "data"), "text");
    if (!t || !*t || strlen(t) > NOTE_TEXT_MAX) {
        http_respond_detail(req, 400, "text: This field is required (at most 10000 characters).");
        return NULL;
    }
    return t;
}

enum handler_result h_note_create(struct http_request *req, void *app)
{
    struct api_principal p;
    struct store_issue issue;
    struct store_project proj;
    struct store_comment c;
    if (!issues_open(req, app, &p, "event:write", &issue, &proj))
        return HANDLER_DONE;
    const char *text = nt_text(req);
    if (!text)
        return HANDLER_DONE;
    enum err e = store_comment_create(((struct app *)app)->st, issue.id, p.user.id, text,
                                      http_arena(req), &c);
    if (e)
        api_respond_store_err(req, e);
    else
        api_respond_take(req, 201, nt_json(&c));
    return HANDLER_DONE;
}

/* Loads {note_id} of the issue; 403 unless the caller wrote it or is an admin or above. */
static bool nt_open_own(struct http_request *req, struct app *app, struct api_principal *p,
                        struct store_issue *issue, struct store_comment *c)
{
    struct store_project proj;
    const char *role = NULL;
    if (!issues_open_role(req, app, p, "event:write", issue, &proj, &role))
        return false;
    const char *id = http_param(req, "note_id");
    char *end = NULL;
    long long nid = id ? strtoll(id, &end, 10) : 0;
    enum err e = nid > 0 && !*end ? store_comment_get(app->st, http_arena(req), issue->id, nid, c)
                                  : E_NOTFOUND;
    if (e == E_NOTFOUND)
        api_respond_not_found(req);
    else if (e)
        api_respond_store_err(req, e);
    if (e)
        return false;
    enum org_role r = role_parse(role);
    if (c->user_id == p->user.id || (r != ROLE__MAX && r >= ROLE_ADMIN))
        return true;
    http_respond_detail(req, 403, "You do not have permission to perform this action.");
    return false;
}

enum handler_result h_note_update(struct http_request *req, void *app)
{
    struct app *ap = app;
    struct api_principal p;
    struct store_issue issue;
    struct store_comment c;
    if (!nt_open_own(req, app, &p, &issue, &c))
        return HANDLER_DONE;
    const char *text = nt_text(req);
    if (!text)
        return HANDLER_DONE;
    enum err e = store_comment_update(ap->st, issue.id, c.id, text);
    if (!e)
        e = store_comment_get(ap->st, http_arena(req), issue.id, c.id, &c);
    if (e)
        api_respond_store_err(req, e);
    else
        api_respond_take(req, 200, nt_json(&c));
    return HANDLER_DONE;
}

enum handler_result h_note_delete(struct http_request *req, void *app)
{
    struct api_principal p;
    struct store_issue issue;
    struct store_comment c;
    if (nt_open_own(req, app, &p, &issue, &c))
        api_respond_deleted(req, store_comment_delete(((struct app *)app)->st, issue.id, c.id));
    return HANDLER_DONE;
}

/* ---- user reports ------------------------------------------------------------------------- */

static cJSON *ur_json(const struct store_user_report *r)
{
    cJSON *o = cJSON_CreateObject();
    nt_id(o, "id", r->id);
    cJSON_AddStringToObject(o, "eventID", r->event_id);
    cJSON_AddStringToObject(o, "event_id", r->event_id);
    cJSON_AddStringToObject(o, "name", r->name);
    cJSON_AddStringToObject(o, "email", r->email);
    cJSON_AddStringToObject(o, "comments", r->comments);
    nt_time(o, "dateCreated", r->created);
    if (r->issue_id) {
        nt_id(o, "groupID", r->issue_id);
        nt_id(cJSON_AddObjectToObject(o, "issue"), "id", r->issue_id);
    } else {
        cJSON_AddNullToObject(o, "issue");
    }
    cJSON_AddNullToObject(o, "user");
    return o;
}

static void ur_respond_list(struct http_request *req, struct app *app, int64_t project_id,
                            int64_t issue_id)
{
    struct store_user_report *rows;
    size_t n;
    enum err e = store_user_report_list(app->st, http_arena(req), project_id, issue_id, &rows, &n);
    if (e) {
        api_respond_store_err(req, e);
        return;
    }
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(arr, ur_json(&rows[i]));
    api_respond_take(req, 200, arr);
}

enum handler_result h_issue_user_reports(struct http_request *req, void *app)
{
    struct api_principal p;
    struct store_issue issue;
    struct store_project proj;
    if (issues_open(req, app, &p, "event:read", &issue, &proj))
        ur_respond_list(req, app, 0, issue.id);
    return HANDLER_DONE;
}

static bool ur_open(struct http_request *req, struct app *app, struct api_principal *p,
                    const char *scope, struct store_project *proj)
{
    struct store_org org;
    const char *role = NULL;
    return api_project_role_request(req, app, p, &org, proj, &role) &&
           api_allow(req, p, role, scope);
}

enum handler_result h_user_report_list(struct http_request *req, void *app)
{
    struct api_principal p;
    struct store_project proj;
    if (ur_open(req, app, &p, "event:read", &proj))
        ur_respond_list(req, app, proj.id, 0);
    return HANDLER_DONE;
}

enum handler_result h_user_report_create(struct http_request *req, void *app)
{
    struct api_principal p;
    struct store_project proj;
    struct store_user_report r;
    char eid[33];
    if (!ur_open(req, app, &p, "event:write", &proj))
        return HANDLER_DONE;
    const cJSON *body = api_body_object(req);
    const char *id = body ? jsonx_str(body, "event_id") : NULL;
    if (!body)
        return HANDLER_DONE;
    if (!id || !ids_normalize_uuid(id, strlen(id), eid)) {
        http_respond_detail(req, 400, "event_id: a 32-character hexadecimal event id is required");
        return HANDLER_DONE;
    }
    enum err e = store_user_report_save(((struct app *)app)->st, proj.id, eid,
                                        jsonx_str(body, "name"), jsonx_str(body, "email"),
                                        jsonx_str(body, "comments"), http_arena(req), &r);
    if (e)
        api_respond_store_err(req, e);
    else
        api_respond_take(req, 201, ur_json(&r));
    return HANDLER_DONE;
}
