/* api_tokens: the signed-in user's API tokens (GlitchTip's /api/0/api-tokens/): list,
 * create — a label and scopes from Sentry's list; the token itself is in the create answer
 * only, as the store keeps just its SHA-256 — and revoke. A token may only grant scopes its
 * creator holds, so a narrow token cannot mint a broader one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/accounts.h"
#include "api/handlers.h"
#include "auth/tokens.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/jsonx.h"

#define TOKEN_SCOPES_KNOWN TOKEN_ALL_SCOPES " alerts:read alerts:write"
#define TOKEN_LABEL_MAX 200

/* Whether scope is one word of the space-separated list. */
static bool scope_listed(const char *list, const char *scope)
{
    size_t n = strlen(scope);
    for (const char *s = list; s && *s;) {
        size_t w = strcspn(s, " ");
        if (w == n && strncmp(s, scope, n) == 0)
            return true;
        s += w;
        while (*s == ' ')
            s++;
    }
    return false;
}

static cJSON *token_scopes_json(const char *scopes)
{
    cJSON *arr = cJSON_CreateArray();
    for (const char *s = scopes ? scopes : ""; *s;) {
        size_t w = strcspn(s, " ");
        char one[64];
        snprintf(one, sizeof one, "%.*s", (int)w, s);
        if (w)
            cJSON_AddItemToArray(arr, cJSON_CreateString(one));
        s += w;
        while (*s == ' ')
            s++;
    }
    return arr;
}

static cJSON *token_json(int64_t id, const char *label, const char *scopes, double created,
                         double last_used)
{
    char idbuf[24], when[32];
    cJSON *o = cJSON_CreateObject();
    snprintf(idbuf, sizeof idbuf, "%lld", (long long)id);
    cJSON_AddStringToObject(o, "id", idbuf);
    cJSON_AddStringToObject(o, "label", label ? label : "");
    cJSON_AddItemToObject(o, "scopes", token_scopes_json(scopes));
    api_iso_time(created, when);
    cJSON_AddStringToObject(o, "dateCreated", when);
    if (last_used > 0) {
        api_iso_time(last_used, when);
        cJSON_AddStringToObject(o, "lastUsed", when);
    } else {
        cJSON_AddNullToObject(o, "lastUsed");
    }
    return o;
}

/* GET /api/0/api-tokens/ */
enum handler_result h_token_list(struct http_request *req, void *app)
{
    struct app *ap = app;
    struct api_principal p;
    if (!api_authenticate(req, ap, &p))
        return HANDLER_DONE;
    struct store_token *rows;
    size_t n;
    enum err e = store_token_list(ap->st, http_arena(req), p.user.id, &rows, &n);
    if (e) {
        api_respond_store_err(req, e);
        return HANDLER_DONE;
    }
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(arr, token_json(rows[i].id, rows[i].label, rows[i].scopes,
                                             rows[i].created, rows[i].last_used));
    api_respond_take(req, 200, arr);
    return HANDLER_DONE;
}

/* The body's "scopes" array as a space-separated list in b; answers 400 on a bad one. */
static bool token_body_scopes(struct http_request *req, const struct api_principal *p,
                              const cJSON *body, struct buf *b)
{
    const cJSON *arr = jsonx_arr(body, "scopes"), *it;
    if (!arr || cJSON_GetArraySize(arr) == 0) {
        http_respond_detail(req, 400, "scopes: Choose at least one scope.");
        return false;
    }
    cJSON_ArrayForEach(it, arr)
    {
        const char *s = cJSON_GetStringValue(it);
        if (!s || !scope_listed(TOKEN_SCOPES_KNOWN, s)) {
            http_respond_detail(req, 400, "scopes: Unknown scope.");
            return false;
        }
        if (!p->session_id && !scope_listed(p->scopes, s)) {
            http_respond_detail(req, 403, "You cannot grant a scope you do not have.");
            return false;
        }
        if (!scope_listed(b->p, s) && buf_printf(b, "%s%s", b->len ? " " : "", s) != E_OK) {
            http_respond_detail(req, 413, "request too large");
            return false;
        }
    }
    return true;
}

/* POST /api/0/api-tokens/: {label, scopes: [...]} → 201 with the token, shown this once. */
enum handler_result h_token_create(struct http_request *req, void *app)
{
    struct app *ap = app;
    struct api_principal p;
    if (!api_authenticate(req, ap, &p))
        return HANDLER_DONE;
    const cJSON *body = api_body_object(req);
    if (!body)
        return HANDLER_DONE;
    const char *label = jsonx_str(body, "label");
    if (label && strlen(label) > TOKEN_LABEL_MAX) {
        http_respond_detail(req, 400, "label: Ensure this field has no more than 200 characters.");
        return HANDLER_DONE;
    }
    struct buf scopes;
    buf_init(&scopes, 4096);
    char tok[TOKEN_LEN + 1], hash[TOKEN_HASH_LEN + 1];
    int64_t id = 0;
    if (!token_body_scopes(req, &p, body, &scopes))
        goto out;
    token_generate(tok);
    token_hash(tok, TOKEN_LEN, hash);
    enum err e = store_token_create(ap->st, p.user.id, hash, label, scopes.p, &id);
    if (e) {
        api_respond_store_err(req, e);
        goto out;
    }
    cJSON *o = token_json(id, label, scopes.p, clock_now(), 0);
    cJSON_AddStringToObject(o, "token", tok);
    api_respond_take(req, 201, o);
out:
    buf_free(&scopes);
    return HANDLER_DONE;
}

/* DELETE /api/0/api-tokens/{token_id}/ */
enum handler_result h_token_delete(struct http_request *req, void *app)
{
    struct app *ap = app;
    struct api_principal p;
    if (!api_authenticate(req, ap, &p))
        return HANDLER_DONE;
    const char *s = http_param(req, "token_id");
    char *end = NULL;
    long long id = s ? strtoll(s, &end, 10) : 0;
    enum err e = (!s || end == s || *end || id <= 0) ? E_NOTFOUND
                                                     : store_token_delete(ap->st, p.user.id, id);
    if (e == E_NOTFOUND)
        http_respond_detail(req, 404, "The requested resource does not exist");
    else if (e)
        api_respond_store_err(req, e);
    else
        http_respond(req, 204, "application/json", "", 0);
    return HANDLER_DONE;
}
