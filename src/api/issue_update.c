/* issue_update: the body of an issue update, single or bulk (Sentry's GroupUpdate fields):
 * status (resolvedInNextRelease counts as resolved; statusDetails accepted and echoed empty),
 * assignedTo, isBookmarked, hasSeen, merge; isPublic, isSubscribed and the rest are ignored. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/issues_int.h"
#include "core/jsonx.h"

static bool iu_status(struct http_request *req, const cJSON *body, struct issues_update *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, "status");
    if (!v || cJSON_IsNull(v))
        return true;
    const char *s = cJSON_IsString(v) ? v->valuestring : "";
    if (strcmp(s, "resolvedInNextRelease") == 0)
        s = "resolved";
    static const char *const ok[] = {"resolved", "unresolved", "ignored"};
    for (size_t i = 0; i < 3; i++)
        if (strcmp(s, ok[i]) == 0)
            out->u.status = ok[i];
    if (!out->u.status)
        http_respond_detail(req, 400, "status: must be resolved, unresolved or ignored");
    return out->u.status != NULL;
}

/* -1 absent, 0/1, or 2 when not a boolean. */
static int iu_bool(const cJSON *body, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, key);
    if (!v)
        return -1;
    if (cJSON_IsBool(v))
        return cJSON_IsTrue(v);
    if (cJSON_IsNumber(v) && (v->valuedouble == 0 || v->valuedouble == 1))
        return (int)v->valuedouble;
    return 2;
}

/* The org member assignedTo names: a user id, "user:<id>" or an email. */
static bool iu_assignee(struct http_request *req, struct app *app, int64_t org_id, const char *who,
                        int64_t *user_id)
{
    struct arena *a = http_arena(req);
    struct store_member m;
    struct store_user u;
    if (strncmp(who, "user:", 5) == 0)
        who += 5;
    char *end = NULL;
    long long id = strtoll(who, &end, 10);
    enum err e = (end != who && !*end && id > 0) ? E_OK : store_user_by_email(app->st, a, who, &u);
    if (!e && !(end != who && !*end))
        id = u.id;
    if (!e)
        e = store_member_by_user(app->st, a, org_id, id, &m);
    if (e && e != E_NOTFOUND) {
        api_respond_store_err(req, e);
        return false;
    }
    if (e)
        http_respond_detail(req, 400, "assignedTo: not a member of this organization");
    *user_id = id;
    return !e;
}

static bool iu_assigned_to(struct http_request *req, struct app *app, int64_t org_id,
                           const cJSON *body, struct issues_update *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, "assignedTo");
    if (!v)
        return true;
    out->u.set_assignee = true;
    if (cJSON_IsNull(v) || (cJSON_IsString(v) && !*v->valuestring))
        return true;
    if (!cJSON_IsString(v) && !cJSON_IsNumber(v)) {
        http_respond_detail(req, 400, "assignedTo: a user id, user:<id> or an email");
        return false;
    }
    char num[32];
    const char *who = v->valuestring;
    if (cJSON_IsNumber(v)) {
        snprintf(num, sizeof num, "%.0f", v->valuedouble);
        who = num;
    }
    return iu_assignee(req, app, org_id, who, &out->u.assignee_id);
}

bool issues_parse_update(struct http_request *req, struct app *app, int64_t org_id,
                         const struct api_principal *p, const cJSON *body,
                         struct issues_update *out)
{
    memset(out, 0, sizeof *out);
    out->u.user_id = p->user.id;
    out->u.bookmarked = iu_bool(body, "isBookmarked");
    out->u.seen = iu_bool(body, "hasSeen");
    int merge = iu_bool(body, "merge");
    if (out->u.bookmarked == 2 || out->u.seen == 2 || merge == 2) {
        http_respond_detail(req, 400, "isBookmarked, hasSeen and merge take true or false");
        return false;
    }
    out->merge = merge == 1;
    return iu_status(req, body, out) && iu_assigned_to(req, app, org_id, body, out);
}

void issues_apply_update(struct http_request *req, struct app *app, const int64_t *ids, size_t n,
                         const struct issues_update *u, const cJSON *body)
{
    int64_t changed = 0;
    enum err e = store_issue_update_many(app->st, ids, n, &u->u, &changed);
    if (e) {
        api_respond_store_err(req, e);
        return;
    }
    if (changed == 0) {
        http_respond(req, 204, "application/json", "", 0);
        return;
    }
    cJSON *o = cJSON_Duplicate(body, 1);
    if (u->u.status) {
        cJSON_DeleteItemFromObjectCaseSensitive(o, "status");
        cJSON_AddStringToObject(o, "status", u->u.status);
        cJSON_DeleteItemFromObjectCaseSensitive(o, "statusDetails");
        cJSON_AddObjectToObject(o, "statusDetails");
    }
    api_respond_take(req, 200, o);
}
