/* auth_session_list: the signed-in user's browser sessions on the account page — list them
 * (where and when each was used) and revoke one or all the others. Session cookie or API
 * token; a session is named by the first SESSION_PUBLIC_ID_LEN hex of its stored hash, so
 * the list never shows anything that could sign a request in. Every store call is bounded
 * to the caller's own sessions: another user's id is simply not found. */
#include <string.h>

#include "api/accounts.h"
#include "api/handlers.h"
#include "auth/sessions.h"
#include "auth/tokens.h"
#include "core/clock.h"

/* The stored hash of the session making the request, or false when signed in by token. */
static bool session_current_hash(const struct api_principal *p, char hash[TOKEN_HASH_LEN + 1])
{
    if (!p->session_id)
        return false;
    token_hash(p->session_id, strlen(p->session_id), hash);
    return true;
}

/* GET /api/0/auth/sessions/ */
enum handler_result h_session_list(struct http_request *req, void *app)
{
    struct app *ap = app;
    struct api_principal p;
    if (!api_authenticate(req, ap, &p))
        return HANDLER_DONE;
    char cur[TOKEN_HASH_LEN + 1];
    bool by_session = session_current_hash(&p, cur);
    struct store_session_info *rows;
    size_t n;
    enum err e = store_session_list(ap->st, http_arena(req), p.user.id, clock_now(), &rows, &n);
    if (e) {
        api_respond_store_err(req, e);
        return HANDLER_DONE;
    }
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(
            arr, api_json_session(&rows[i], by_session && strcmp(rows[i].id_hash, cur) == 0));
    api_respond_take(req, 200, arr);
    return HANDLER_DONE;
}

/* Whether id can name a session: exactly SESSION_PUBLIC_ID_LEN lowercase hex. */
static bool session_id_valid(const char *id)
{
    if (!id || strlen(id) != SESSION_PUBLIC_ID_LEN)
        return false;
    for (; *id; id++)
        if (!((*id >= '0' && *id <= '9') || (*id >= 'a' && *id <= 'f')))
            return false;
    return true;
}

/* DELETE /api/0/auth/sessions/{session_id}/: 204, or 404 when no live session of the caller
 * has that id. Revoking the session in use signs out (its cookies are cleared). */
enum handler_result h_session_revoke(struct http_request *req, void *app)
{
    struct app *ap = app;
    struct api_principal p;
    if (!api_authenticate(req, ap, &p))
        return HANDLER_DONE;
    const char *id = http_param(req, "session_id");
    if (!session_id_valid(id)) {
        api_respond_not_found(req);
        return HANDLER_DONE;
    }
    char cur[TOKEN_HASH_LEN + 1];
    bool current = session_current_hash(&p, cur) && strncmp(cur, id, SESSION_PUBLIC_ID_LEN) == 0;
    enum err e = store_session_delete_prefix(ap->st, p.user.id, id, clock_now());
    api_respond_deleted(req, e);
    if (!e && current)
        api_session_clear_cookies(req, ap);
    return HANDLER_DONE;
}

/* DELETE /api/0/auth/sessions/: every session of the caller but the one in use (signed in by
 * token: all of them) → 204. */
enum handler_result h_session_revoke_others(struct http_request *req, void *app)
{
    struct app *ap = app;
    struct api_principal p;
    if (!api_authenticate(req, ap, &p))
        return HANDLER_DONE;
    char cur[TOKEN_HASH_LEN + 1];
    bool by_session = session_current_hash(&p, cur);
    api_respond_deleted(req, store_session_delete_user(ap->st, p.user.id, by_session ? cur : NULL));
    return HANDLER_DONE;
}
