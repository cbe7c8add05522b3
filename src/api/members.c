/* members: an organization's members and invitations (Sentry's
 * /api/0/organizations/{org}/members/…), joining and leaving teams, and accepting an
 * invitation (GlitchTip's /api/0/accept/{member_id}/{token}/; GET there tells the page the
 * link opens what it invites to, and whether the address needs an account first, which
 * POST /api/0/auth/register/ then creates with the link, auth_users.c).
 *
 * An invitation is a pending member with a random token; only the token's SHA-256 is stored,
 * compared in constant time, and every wrong try counts against the sign-in throttle.
 * The link {GLITCHTIP_DOMAIN}/accept/{member_id}/{token}/ is mailed to the invitee (through
 * the mail queue, core/mailq.h; a failure is only logged) and also returned in the
 * invitation's answer (inviteLink) for whoever invited, so it works without mail — and only
 * then: the token cannot be read back later. Who may do what is
 * auth/roles.h: member:write to invite, change and remove (owners any role, managers up to
 * manager); everyone may leave an org or join and leave its teams themselves. The last owner
 * can be neither demoted nor removed. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/accounts.h"
#include "api/handlers.h"
#include "auth/roles.h"
#include "auth/tokens.h"
#include "core/clock.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/mailq.h"

#define MEMBER_INVITE_DAYS 30 /* Sentry's invitations are valid this long */
#define MEMBER_LAST_OWNER                                                                          \
    "You cannot remove or demote the only remaining owner of the organization."
#define MEMBER_DENIED "You do not have permission to perform this action."
#define MEMBER_INVITE_GONE "This invitation does not exist or has expired."
#define MEMBER_INVITE_KEY_MAX 48 /* "invite:" + a member id (longer ids are no ids) */

/* Loads {member_id} of the org: 404 and false when absent. */
static bool members_load(struct http_request *req, struct app *app, int64_t org_id,
                         struct store_member *m)
{
    const char *s = http_param(req, "member_id");
    char *end = NULL;
    long long id = s ? strtoll(s, &end, 10) : 0;
    enum err e = (!s || end == s || *end || id <= 0)
                     ? E_NOTFOUND
                     : store_member_get(app->st, http_arena(req), org_id, id, m);
    if (e == E_NOTFOUND)
        api_respond_not_found(req);
    else if (e)
        api_respond_store_err(req, e);
    return !e;
}

/* 403 unless the caller may manage a member with role target (and has member:write). */
static bool members_may_manage(struct http_request *req, const struct api_principal *p,
                               const char *role, const char *target)
{
    if (!api_allow(req, p, role, "member:write"))
        return false;
    if (role_may_manage(role_parse(role), role_parse(target)))
        return true;
    http_respond_detail(req, 403, MEMBER_DENIED);
    return false;
}

/* GET /api/0/organizations/{org}/members/ */
enum handler_result h_member_list(struct http_request *req, void *app)
{
    struct api_principal p;
    struct store_org org;
    const char *role;
    if (!api_org_request(req, app, &p, &org, &role) || !api_allow(req, &p, role, "member:read"))
        return HANDLER_DONE;
    struct store_member *rows;
    size_t n;
    enum err e = store_member_list(((struct app *)app)->st, http_arena(req), org.id, &rows, &n);
    if (e) {
        api_respond_store_err(req, e);
        return HANDLER_DONE;
    }
    double now = clock_now();
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(arr, api_json_member(&rows[i], now));
    api_respond_take(req, 200, arr);
    return HANDLER_DONE;
}

/* Reads {email, role?} of an invitation; 400 and false when unusable. */
static bool members_body_invite(struct http_request *req, const cJSON *body, const char **email,
                                const char **role)
{
    *email = jsonx_str(body, "email");
    *role = jsonx_str(body, "role");
    if (!*role)
        *role = jsonx_str(body, "orgRole");
    if (!*role)
        *role = "member";
    if (!*email || !strchr(*email, '@') || strlen(*email) > 254) {
        http_respond_detail(req, 400, "email: Enter a valid email address.");
        return false;
    }
    if (role_parse(*role) == ROLE__MAX) {
        http_respond_detail(req, 400, "role: Invalid role.");
        return false;
    }
    return true;
}

/* Mails the invitation's link to the invitee (best effort: failures are only logged). */
static void members_mail_invite(struct http_request *req, struct app *app,
                                const struct store_org *org, const struct store_member *m,
                                const char *inviter, const char *link)
{
    struct arena *a = http_arena(req);
    char *subject = arena_printf(a, "You are invited to join %s on snag", org->name);
    char *body = arena_printf(a,
                              "%s invited you to join the organization %s on snag (%s).\n\n"
                              "To accept, open this link and sign in or create an account "
                              "with this address:\n\n%s\n\nThe invitation is valid for %d "
                              "days.\n",
                              inviter, org->name, app->cfg->domain, link, MEMBER_INVITE_DAYS);
    struct errinfo ei = {{0}};
    enum err e = subject && body ? mailq_send(app->mail, m->email, subject, body, &ei) : E_TOOBIG;
    if (e)
        log_warn("invitation mail for member %" PRId64 " not queued: %s", m->id,
                 ei.detail[0] ? ei.detail : err_name(e));
}

/* The invitation's answer: the member, and the link that accepts it (also mailed). */
static void members_respond_invite(struct http_request *req, struct app *app,
                                   const struct api_principal *p, const struct store_org *org,
                                   const struct store_member *m, const char *token)
{
    cJSON *o = api_json_member(m, clock_now());
    char *link =
        arena_printf(http_arena(req), "%s/accept/%" PRId64 "/%s/", app->cfg->domain, m->id, token);
    if (link)
        members_mail_invite(req, app, org, m, p->user.email, link);
    cJSON_AddStringToObject(o, "inviteLink", link ? link : "");
    api_respond_take(req, 201, o);
}

/* POST /api/0/organizations/{org}/members/ {email, role?} */
enum handler_result h_member_invite(struct http_request *req, void *app)
{
    struct app *ap = app;
    struct api_principal p;
    struct store_org org;
    const char *role, *email, *new_role;
    if (!api_org_request(req, ap, &p, &org, &role) || !api_allow(req, &p, role, "member:write"))
        return HANDLER_DONE;
    const cJSON *body = api_body_object(req);
    if (!body || !members_body_invite(req, body, &email, &new_role) ||
        !members_may_manage(req, &p, role, new_role))
        return HANDLER_DONE;
    char token[TOKEN_LEN + 1], hash[TOKEN_HASH_LEN + 1];
    token_generate(token);
    token_hash(token, TOKEN_LEN, hash);
    struct store_member m;
    double expires = clock_now() + MEMBER_INVITE_DAYS * 86400.0;
    enum err e = store_member_invite(ap->st, org.id, email, new_role, hash, p.user.id, expires,
                                     http_arena(req), &m);
    if (e == E_CONFLICT)
        http_respond_detail(req, 409, "This address is already a member or invited.");
    else if (e)
        api_respond_store_err(req, e);
    else
        members_respond_invite(req, ap, &p, &org, &m, token);
    return HANDLER_DONE;
}

/* GET /api/0/organizations/{org}/members/{member_id}/ */
enum handler_result h_member_detail(struct http_request *req, void *app)
{
    struct api_principal p;
    struct store_org org;
    struct store_member m;
    const char *role;
    if (!api_org_request(req, app, &p, &org, &role) || !members_load(req, app, org.id, &m) ||
        !api_allow(req, &p, role, "member:read"))
        return HANDLER_DONE;
    api_respond_take(req, 200, api_json_member(&m, clock_now()));
    return HANDLER_DONE;
}

/* The answer to a store error of a role change or removal. */
static void members_respond_change_err(struct http_request *req, enum err e)
{
    if (e == E_CONFLICT)
        http_respond_detail(req, 403, MEMBER_LAST_OWNER);
    else if (e == E_NOTFOUND)
        api_respond_not_found(req);
    else
        api_respond_store_err(req, e);
}

/* PUT /api/0/organizations/{org}/members/{member_id}/ {role} (Sentry also orgRole) */
enum handler_result h_member_update(struct http_request *req, void *app)
{
    struct app *ap = app;
    struct api_principal p;
    struct store_org org;
    struct store_member m;
    const char *role;
    if (!api_org_request(req, ap, &p, &org, &role) || !members_load(req, ap, org.id, &m) ||
        !members_may_manage(req, &p, role, m.role))
        return HANDLER_DONE;
    const cJSON *body = api_body_object(req);
    const char *new_role = body ? jsonx_str(body, "role") : NULL;
    if (body && !new_role)
        new_role = jsonx_str(body, "orgRole");
    if (!body)
        return HANDLER_DONE;
    if (new_role && role_parse(new_role) == ROLE__MAX) {
        http_respond_detail(req, 400, "role: Invalid role.");
        return HANDLER_DONE;
    }
    if (new_role && !members_may_manage(req, &p, role, new_role))
        return HANDLER_DONE;
    enum err e = new_role ? store_member_set_role(ap->st, org.id, m.id, new_role) : E_OK;
    if (e) {
        members_respond_change_err(req, e);
        return HANDLER_DONE;
    }
    m.role = new_role ? new_role : m.role;
    api_respond_take(req, 200, api_json_member(&m, clock_now()));
    return HANDLER_DONE;
}

/* DELETE /api/0/organizations/{org}/members/{member_id}/: a manager or owner, or the member
 * leaving. */
enum handler_result h_member_delete(struct http_request *req, void *app)
{
    struct app *ap = app;
    struct api_principal p;
    struct store_org org;
    struct store_member m;
    const char *role;
    if (!api_org_request(req, ap, &p, &org, &role) || !members_load(req, ap, org.id, &m))
        return HANDLER_DONE;
    bool self = m.user_id == p.user.id;
    if (self ? !api_allow(req, &p, role, "member:read")
             : !members_may_manage(req, &p, role, m.role))
        return HANDLER_DONE;
    enum err e = store_member_delete(ap->st, org.id, m.id);
    if (e)
        members_respond_change_err(req, e);
    else
        http_respond(req, 204, "application/json", "", 0);
    return HANDLER_DONE;
}

/* The throttle key of invitation link id_s. */
static void members_invite_key(char out[MEMBER_INVITE_KEY_MAX], const char *id_s)
{
    snprintf(out, MEMBER_INVITE_KEY_MAX, "invite:%s", id_s ? id_s : "");
}

enum err api_invitation_find(struct http_request *req, struct app *app, const char *id_s,
                             const char *token, const char *email, struct store_invitation *inv)
{
    char key[MEMBER_INVITE_KEY_MAX], hash[TOKEN_HASH_LEN + 1];
    members_invite_key(key, id_s);
    if (api_throttled(req, app, key))
        return E_FORBIDDEN;
    char *end = NULL;
    long long id = id_s ? strtoll(id_s, &end, 10) : 0;
    enum err e = E_NOTFOUND;
    if (id_s && end != id_s && !*end && id > 0 && token && strlen(token) == TOKEN_LEN)
        e = store_invitation_get(app->st, http_arena(req), id, clock_now(), inv);
    if (!e) {
        token_hash(token, TOKEN_LEN, hash);
        if (!token_hash_equal(hash, inv->token_hash) ||
            (email && strcasecmp(email, inv->member.email) != 0))
            e = E_NOTFOUND;
    }
    if (e == E_NOTFOUND)
        api_throttle_fail(req, app, key);
    return e;
}

void api_invitation_used(struct http_request *req, struct app *app, const char *id_s)
{
    char key[MEMBER_INVITE_KEY_MAX];
    members_invite_key(key, id_s);
    api_throttle_success(req, app, key);
}

/* GET /api/0/accept/{member_id}/{token}/ (public: the link is the credential): what the
 * invitation offers, and whether its address still needs an account. */
enum handler_result h_invite_detail(struct http_request *req, void *app)
{
    struct store_invitation inv;
    enum err e = api_invitation_find(req, app, http_param(req, "member_id"),
                                     http_param(req, "token"), NULL, &inv);
    if (e == E_FORBIDDEN)
        return HANDLER_DONE;
    if (e == E_NOTFOUND)
        http_respond_detail(req, 404, MEMBER_INVITE_GONE);
    else if (e)
        api_respond_store_err(req, e);
    if (e)
        return HANDLER_DONE;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "orgSlug", inv.org_slug);
    cJSON_AddStringToObject(o, "orgName", inv.org_name);
    cJSON_AddStringToObject(o, "email", inv.member.email);
    cJSON_AddStringToObject(o, "role", inv.member.role);
    cJSON_AddBoolToObject(o, "needsAccount", !inv.has_account);
    api_respond_take(req, 200, o);
    return HANDLER_DONE;
}

/* POST /api/0/accept/{member_id}/{token}/: the signed-in user becomes the member. */
enum handler_result h_invite_accept(struct http_request *req, void *app)
{
    struct app *ap = app;
    struct api_principal p;
    if (!api_authenticate(req, ap, &p))
        return HANDLER_DONE;
    const char *id_s = http_param(req, "member_id");
    struct store_invitation inv;
    struct store_member m;
    enum err e = api_invitation_find(req, ap, id_s, http_param(req, "token"), NULL, &inv);
    if (e == E_FORBIDDEN)
        return HANDLER_DONE;
    if (!e)
        e = store_member_accept(ap->st, inv.member.id, inv.token_hash, p.user.id, clock_now(),
                                http_arena(req), &m);
    if (e == E_CONFLICT)
        http_respond_detail(req, 409, "You are already a member of this organization.");
    else if (e == E_NOTFOUND)
        http_respond_detail(req, 404, MEMBER_INVITE_GONE);
    else if (e)
        api_respond_store_err(req, e);
    if (e)
        return HANDLER_DONE;
    api_invitation_used(req, ap, id_s);
    api_respond_take(req, 200, api_json_member(&m, clock_now()));
    return HANDLER_DONE;
}

/* The opening of the member-team routes: org, member, team, and the right to change the
 * member's teams (themselves: any member; someone else: team:write, on the team for admins). */
static bool members_team_request(struct http_request *req, struct app *app, struct api_principal *p,
                                 struct store_member *m, struct store_team *team)
{
    struct store_org org;
    const char *role;
    if (!api_team_request(req, app, p, &org, team, &role) || !members_load(req, app, org.id, m))
        return false;
    if (m->user_id == p->user.id && m->user_id != 0)
        return api_allow(req, p, role, "team:read");
    return api_allow_team(req, app, p, role, "team:write", team->id);
}

/* POST /api/0/organizations/{org}/members/{member_id}/teams/{team}/ */
enum handler_result h_member_team_add(struct http_request *req, void *app)
{
    struct api_principal p;
    struct store_member m;
    struct store_team team;
    if (!members_team_request(req, app, &p, &m, &team))
        return HANDLER_DONE;
    enum err e = store_team_member_add(((struct app *)app)->st, team.id, m.id);
    if (e == E_CONFLICT)
        http_respond(req, 204, "application/json", "", 0);
    else if (e == E_NOTFOUND)
        api_respond_not_found(req);
    else if (e)
        api_respond_store_err(req, e);
    else
        api_respond_take(req, 201, api_json_team(&team));
    return HANDLER_DONE;
}

/* DELETE /api/0/organizations/{org}/members/{member_id}/teams/{team}/ */
enum handler_result h_member_team_remove(struct http_request *req, void *app)
{
    struct api_principal p;
    struct store_member m;
    struct store_team team;
    if (!members_team_request(req, app, &p, &m, &team))
        return HANDLER_DONE;
    enum err e = store_team_member_remove(((struct app *)app)->st, team.id, m.id);
    if (e == E_NOTFOUND)
        api_respond_not_found(req);
    else if (e)
        api_respond_store_err(req, e);
    else
        api_respond_take(req, 200, api_json_team(&team));
    return HANDLER_DONE;
}
