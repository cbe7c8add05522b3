/* routes: the route table — every URL snag answers, in one place. */
#include <string.h>

#include "api/app.h"
#include "api/handlers.h"
#include "api/ingest.h"
#include "api/live.h"
#include "core/limits.h"

static const struct route app_route_table[] = {
    /* ingest (Sentry protocol) */
    {HTTP_POST, "/api/{project_id}/store/", ingest_store, LIMIT_INGEST_BODY_COMPRESSED,
     ROUTE_INGEST},
    {HTTP_POST, "/api/{project_id}/envelope/", ingest_envelope, LIMIT_INGEST_BODY_COMPRESSED,
     ROUTE_INGEST},
    /* health */
    {HTTP_GET, "/_health/", h_health, 0, 0},
    {HTTP_GET, "/api/0/internal/health/", h_internal_health, 0, 0},
    {HTTP_GET, "/metrics", h_metrics, 0, 0},
    /* API */
    {HTTP_GET, "/api/0/", h_api_root, 0, 0},
    {HTTP_GET, "/api/0/live/", h_live, 0, 0},
    {HTTP_GET, "/api/0/organizations/", h_org_list, 0, 0},
    {HTTP_POST, "/api/0/organizations/", h_org_create, LIMIT_API_BODY, 0},
    {HTTP_GET, "/api/0/organizations/{org}/", h_org_detail, 0, 0},
    {HTTP_GET, "/api/0/organizations/{org}/teams/", h_team_list, 0, 0},
    {HTTP_POST, "/api/0/organizations/{org}/teams/", h_team_create, LIMIT_API_BODY, 0},
    {HTTP_GET, "/api/0/organizations/{org}/projects/", h_project_list_org, 0, 0},
    {HTTP_GET, "/api/0/organizations/{org}/issues/", h_issue_list_org, 0, 0},
    {HTTP_POST, "/api/0/teams/{org}/{team}/projects/", h_project_create, LIMIT_API_BODY, 0},
    {HTTP_GET, "/api/0/projects/", h_project_list_all, 0, 0},
    {HTTP_GET, "/api/0/projects/{org}/{project}/", h_project_detail, 0, 0},
    {HTTP_GET, "/api/0/projects/{org}/{project}/keys/", h_key_list, 0, 0},
    {HTTP_POST, "/api/0/projects/{org}/{project}/keys/", h_key_create, LIMIT_API_BODY, 0},
    {HTTP_GET, "/api/0/projects/{org}/{project}/issues/", h_issue_list_project, 0, 0},
    {HTTP_GET, "/api/0/projects/{org}/{project}/events/{event_id}/", h_project_event, 0, 0},
    {HTTP_GET, "/api/0/issues/{issue_id}/", h_issue_detail, 0, 0},
    {HTTP_PUT, "/api/0/issues/{issue_id}/", h_issue_update, LIMIT_API_BODY, 0},
    {HTTP_DELETE, "/api/0/issues/{issue_id}/", h_issue_delete, 0, 0},
    {HTTP_GET, "/api/0/issues/{issue_id}/events/", h_issue_events, 0, 0},
    {HTTP_GET, "/api/0/issues/{issue_id}/events/latest/", h_issue_event_latest, 0, 0},
    {HTTP_GET, "/api/0/issues/{issue_id}/events/oldest/", h_issue_event_oldest, 0, 0},
    /* issues: search, bulk actions, facets, comments (notes), user reports, events */
    {HTTP_PUT, "/api/0/projects/{org}/{project}/issues/", h_issue_bulk_update_project,
     LIMIT_API_BODY, 0},
    {HTTP_DELETE, "/api/0/projects/{org}/{project}/issues/", h_issue_bulk_delete_project, 0, 0},
    {HTTP_PUT, "/api/0/organizations/{org}/issues/", h_issue_bulk_update_org, LIMIT_API_BODY, 0},
    {HTTP_DELETE, "/api/0/organizations/{org}/issues/", h_issue_bulk_delete_org, 0, 0},
    {HTTP_GET, "/api/0/issues/{issue_id}/events/{event_id}/", h_issue_event, 0, 0},
    {HTTP_GET, "/api/0/projects/{org}/{project}/events/", h_project_events, 0, 0},
    {HTTP_GET, "/api/0/issues/{issue_id}/tags/", h_issue_tags, 0, 0},
    {HTTP_GET, "/api/0/issues/{issue_id}/tags/{key}/", h_issue_tag_detail, 0, 0},
    {HTTP_GET, "/api/0/issues/{issue_id}/tags/{key}/values/", h_issue_tag_values, 0, 0},
    {HTTP_GET, "/api/0/issues/{issue_id}/stats/", h_issue_stats, 0, 0},
    {HTTP_GET, "/api/0/issues/{issue_id}/comments/", h_note_list, 0, 0},
    {HTTP_POST, "/api/0/issues/{issue_id}/comments/", h_note_create, LIMIT_API_BODY, 0},
    {HTTP_PUT, "/api/0/issues/{issue_id}/comments/{note_id}/", h_note_update, LIMIT_API_BODY, 0},
    {HTTP_DELETE, "/api/0/issues/{issue_id}/comments/{note_id}/", h_note_delete, 0, 0},
    {HTTP_GET, "/api/0/issues/{issue_id}/notes/", h_note_list, 0, 0},
    {HTTP_POST, "/api/0/issues/{issue_id}/notes/", h_note_create, LIMIT_API_BODY, 0},
    {HTTP_PUT, "/api/0/issues/{issue_id}/notes/{note_id}/", h_note_update, LIMIT_API_BODY, 0},
    {HTTP_DELETE, "/api/0/issues/{issue_id}/notes/{note_id}/", h_note_delete, 0, 0},
    {HTTP_GET, "/api/0/issues/{issue_id}/user-reports/", h_issue_user_reports, 0, 0},
    {HTTP_GET, "/api/0/projects/{org}/{project}/user-feedback/", h_user_report_list, 0, 0},
    {HTTP_POST, "/api/0/projects/{org}/{project}/user-feedback/", h_user_report_create,
     LIMIT_API_BODY, 0},
    {HTTP_GET, "/api/0/projects/{org}/{project}/user-reports/", h_user_report_list, 0, 0},
    {HTTP_POST, "/api/0/projects/{org}/{project}/user-reports/", h_user_report_create,
     LIMIT_API_BODY, 0},
    /* Accounts. GlitchTip's web UI signs in through django-allauth's headless API
     * (/_allauth/browser/v1/auth/login, …/auth/2fa/authenticate, …); snag has its own small
     * set instead. Cookie-authenticated writes need the X-CSRFToken header (accounts.h).
     *   POST   /api/0/auth/register/      {email, password}: first run (owner) or
     *                                     ENABLE_USER_REGISTRATION → 201 {user, csrfToken};
     *                                     with {inviteMemberId, inviteToken} of a pending
     *                                     invitation of email also when closed, and joins
     *   GET    /api/0/accept/{member_id}/{token}/  (public) → {orgSlug, orgName, email, role,
     *                                     needsAccount}; 404 when not pending
     *   POST   /api/0/auth/session/       {email, password} → {user, csrfToken} or
     *                                     {twoFactorRequired: true, csrfToken}; 429 throttled
     *   POST   /api/0/auth/session/2fa/   {code} | {recoveryCode} → {user, csrfToken}
     *   GET    /api/0/auth/session/       → {user, csrfToken, twoFactorEnabled}
     *   DELETE /api/0/auth/session/       sign out → 204
     *   GET    /api/0/auth/sessions/      the user's live sessions, most recently used first:
     *                                     [{id, created, lastSeen, expires, userAgent,
     *                                     ipAddress, current}]
     *   DELETE /api/0/auth/sessions/{session_id}/  revoke one (the current one: sign out)
     *   DELETE /api/0/auth/sessions/      revoke all but the current one → 204
     *   PUT    /api/0/auth/password/      {currentPassword, newPassword}
     *   POST   /api/0/auth/password/reset/           {email} → 200 {detail}, whether or not
     *                                     the address has an account; mails a link to
     *                                     {GLITCHTIP_DOMAIN}/reset-password/{uid}/{token}/
     *   POST   /api/0/auth/password/reset/confirm/   {uid, token, new_password1,
     *                                     new_password2?} (dj-rest-auth's names; also
     *                                     newPassword) → 200 {detail}; 400 bad or used link
     *   GET    /api/0/auth/2fa/           → {enabled, enrolmentPending, recoveryCodesLeft}
     *   POST   /api/0/auth/2fa/enroll/    → {secret, uri, qrCode (SVG)}
     *   POST   /api/0/auth/2fa/confirm/   {code} → {enabled, recoveryCodes (shown once)}
     *   POST   /api/0/auth/2fa/disable/   {code} | {recoveryCode}
     *   GET/POST /api/0/api-tokens/, DELETE /api/0/api-tokens/{token_id}/ (GlitchTip's)
     *   PUT    /api/0/organizations/{org}/ {require2FA} */
    {HTTP_POST, "/api/0/auth/register/", h_register, LIMIT_API_BODY, 0},
    {HTTP_POST, "/api/0/auth/session/", h_session_create, LIMIT_API_BODY, 0},
    {HTTP_GET, "/api/0/auth/session/", h_session_get, 0, 0},
    {HTTP_DELETE, "/api/0/auth/session/", h_session_delete, 0, 0},
    {HTTP_POST, "/api/0/auth/session/2fa/", h_session_2fa, LIMIT_API_BODY, 0},
    {HTTP_GET, "/api/0/auth/sessions/", h_session_list, 0, 0},
    {HTTP_DELETE, "/api/0/auth/sessions/", h_session_revoke_others, 0, 0},
    {HTTP_DELETE, "/api/0/auth/sessions/{session_id}/", h_session_revoke, 0, 0},
    {HTTP_PUT, "/api/0/auth/password/", h_password_change, LIMIT_API_BODY, 0},
    {HTTP_POST, "/api/0/auth/password/reset/", h_password_reset, LIMIT_API_BODY, 0},
    {HTTP_POST, "/api/0/auth/password/reset/confirm/", h_password_reset_confirm, LIMIT_API_BODY, 0},
    {HTTP_GET, "/api/0/auth/2fa/", h_2fa_status, 0, 0},
    {HTTP_POST, "/api/0/auth/2fa/enroll/", h_2fa_enroll, LIMIT_API_BODY, 0},
    {HTTP_POST, "/api/0/auth/2fa/confirm/", h_2fa_confirm, LIMIT_API_BODY, 0},
    {HTTP_POST, "/api/0/auth/2fa/disable/", h_2fa_disable, LIMIT_API_BODY, 0},
    {HTTP_GET, "/api/0/api-tokens/", h_token_list, 0, 0},
    {HTTP_POST, "/api/0/api-tokens/", h_token_create, LIMIT_API_BODY, 0},
    {HTTP_DELETE, "/api/0/api-tokens/{token_id}/", h_token_delete, 0, 0},
    {HTTP_PUT, "/api/0/organizations/{org}/", h_org_update, LIMIT_API_BODY, 0},
    /* Organization resources (Sentry's paths; who may do what: auth/roles.h) */
    {HTTP_DELETE, "/api/0/organizations/{org}/", h_org_delete, 0, 0},
    {HTTP_GET, "/api/0/organizations/{org}/members/", h_member_list, 0, 0},
    {HTTP_POST, "/api/0/organizations/{org}/members/", h_member_invite, LIMIT_API_BODY, 0},
    {HTTP_GET, "/api/0/organizations/{org}/members/{member_id}/", h_member_detail, 0, 0},
    {HTTP_PUT, "/api/0/organizations/{org}/members/{member_id}/", h_member_update, LIMIT_API_BODY,
     0},
    {HTTP_DELETE, "/api/0/organizations/{org}/members/{member_id}/", h_member_delete, 0, 0},
    {HTTP_POST, "/api/0/organizations/{org}/members/{member_id}/teams/{team}/", h_member_team_add,
     0, 0},
    {HTTP_DELETE, "/api/0/organizations/{org}/members/{member_id}/teams/{team}/",
     h_member_team_remove, 0, 0},
    {HTTP_GET, "/api/0/accept/{member_id}/{token}/", h_invite_detail, 0, 0},
    {HTTP_POST, "/api/0/accept/{member_id}/{token}/", h_invite_accept, LIMIT_API_BODY, 0},
    {HTTP_GET, "/api/0/teams/{org}/{team}/", h_team_detail, 0, 0},
    {HTTP_PUT, "/api/0/teams/{org}/{team}/", h_team_update, LIMIT_API_BODY, 0},
    {HTTP_DELETE, "/api/0/teams/{org}/{team}/", h_team_delete, 0, 0},
    {HTTP_GET, "/api/0/teams/{org}/{team}/members/", h_team_members, 0, 0},
    {HTTP_GET, "/api/0/teams/{org}/{team}/projects/", h_team_projects, 0, 0},
    {HTTP_PUT, "/api/0/projects/{org}/{project}/", h_project_update, LIMIT_API_BODY, 0},
    {HTTP_DELETE, "/api/0/projects/{org}/{project}/", h_project_delete, 0, 0},
    {HTTP_GET, "/api/0/projects/{org}/{project}/teams/", h_project_teams, 0, 0},
    {HTTP_POST, "/api/0/projects/{org}/{project}/teams/{team}/", h_project_team_add, 0, 0},
    {HTTP_DELETE, "/api/0/projects/{org}/{project}/teams/{team}/", h_project_team_remove, 0, 0},
    {HTTP_GET, "/api/0/projects/{org}/{project}/keys/{key_id}/", h_key_detail, 0, 0},
    {HTTP_PUT, "/api/0/projects/{org}/{project}/keys/{key_id}/", h_key_update, LIMIT_API_BODY, 0},
    {HTTP_DELETE, "/api/0/projects/{org}/{project}/keys/{key_id}/", h_key_delete, 0, 0},
    {HTTP_POST, "/api/0/projects/{org}/{project}/keys/{key_id}/rotate/", h_key_rotate, 0, 0},
    {HTTP_GET, "/api/0/openapi.json", h_openapi, 0, 0},
    /* the web UI: embedded files, else index.html (keep last: it matches every GET) */
    {HTTP_GET, "/{*path}", h_web, 0, 0},
};

const struct route *app_routes(size_t *n)
{
    *n = sizeof app_route_table / sizeof *app_route_table;
    return app_route_table;
}

bool app_route_public(const struct route *r)
{
    static const struct {
        enum http_method m;
        const char *pattern;
    } pub[] = {
        {HTTP_GET, "/api/0/"},
        {HTTP_GET, "/api/0/internal/health/"},
        {HTTP_GET, "/api/0/openapi.json"},
        {HTTP_POST, "/api/0/auth/register/"},
        {HTTP_POST, "/api/0/auth/session/"},
        {HTTP_GET, "/api/0/auth/session/"},
        {HTTP_DELETE, "/api/0/auth/session/"},
        {HTTP_POST, "/api/0/auth/session/2fa/"},
        {HTTP_POST, "/api/0/auth/password/reset/"},
        {HTTP_POST, "/api/0/auth/password/reset/confirm/"},
        {HTTP_GET, "/api/0/accept/{member_id}/{token}/"},
    };
    for (size_t i = 0; i < sizeof pub / sizeof *pub; i++)
        if (r->method == pub[i].m && strcmp(r->pattern, pub[i].pattern) == 0)
            return true;
    return false;
}

const char *item_kind_name(enum item_kind k)
{
    static const char *names[ITEM__MAX] = {
        [ITEM_EVENT] = "event",
        [ITEM_TRANSACTION] = "transaction",
        [ITEM_ATTACHMENT] = "attachment",
        [ITEM_SESSION] = "session",
        [ITEM_SESSIONS] = "sessions",
        [ITEM_CLIENT_REPORT] = "client_report",
        [ITEM_CHECK_IN] = "check_in",
        [ITEM_USER_REPORT] = "user_report",
        [ITEM_FEEDBACK] = "feedback",
        [ITEM_LOG] = "log",
        [ITEM_SPAN] = "span",
        [ITEM_PROFILE] = "profile",
        [ITEM_REPLAY] = "replay",
        [ITEM_OTHER] = "other",
    };
    return (unsigned)k < ITEM__MAX ? names[k] : "other";
}
