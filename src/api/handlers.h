/* handlers: every /api/0/ and health endpoint, one group per resource file. */
#ifndef SNAG_API_HANDLERS_H
#define SNAG_API_HANDLERS_H

#include "http/http.h"

/* root.c */
enum handler_result h_api_root(struct http_request *req, void *app);
enum handler_result h_health(struct http_request *req, void *app);
enum handler_result h_internal_health(struct http_request *req, void *app);
enum handler_result h_metrics(struct http_request *req, void *app);
/* organizations.c */
enum handler_result h_org_list(struct http_request *req, void *app);
enum handler_result h_org_create(struct http_request *req, void *app);
enum handler_result h_org_detail(struct http_request *req, void *app);
/* teams.c */
enum handler_result h_team_list(struct http_request *req, void *app);
enum handler_result h_team_create(struct http_request *req, void *app);
/* projects.c */
enum handler_result h_project_create(struct http_request *req, void *app);
enum handler_result h_project_list_org(struct http_request *req, void *app);
enum handler_result h_project_list_all(struct http_request *req, void *app);
enum handler_result h_project_detail(struct http_request *req, void *app);
enum handler_result h_key_list(struct http_request *req, void *app);
enum handler_result h_key_create(struct http_request *req, void *app);
/* issues.c */
enum handler_result h_issue_list_project(struct http_request *req, void *app);
enum handler_result h_issue_list_org(struct http_request *req, void *app);
enum handler_result h_issue_detail(struct http_request *req, void *app);
enum handler_result h_issue_update(struct http_request *req, void *app);
enum handler_result h_issue_delete(struct http_request *req, void *app);
enum handler_result h_issue_bulk_update_project(struct http_request *req, void *app);
enum handler_result h_issue_bulk_update_org(struct http_request *req, void *app);
enum handler_result h_issue_bulk_delete_project(struct http_request *req, void *app);
enum handler_result h_issue_bulk_delete_org(struct http_request *req, void *app);
/* issue_facets.c */
enum handler_result h_issue_tags(struct http_request *req, void *app);
enum handler_result h_issue_tag_detail(struct http_request *req, void *app);
enum handler_result h_issue_tag_values(struct http_request *req, void *app);
enum handler_result h_issue_stats(struct http_request *req, void *app);
/* notes.c: comments (notes) and user reports */
enum handler_result h_note_list(struct http_request *req, void *app);
enum handler_result h_note_create(struct http_request *req, void *app);
enum handler_result h_note_update(struct http_request *req, void *app);
enum handler_result h_note_delete(struct http_request *req, void *app);
enum handler_result h_issue_user_reports(struct http_request *req, void *app);
enum handler_result h_user_report_list(struct http_request *req, void *app);
enum handler_result h_user_report_create(struct http_request *req, void *app);
/* events.c */
enum handler_result h_issue_events(struct http_request *req, void *app);
enum handler_result h_issue_event_latest(struct http_request *req, void *app);
enum handler_result h_issue_event_oldest(struct http_request *req, void *app);
enum handler_result h_project_event(struct http_request *req, void *app);
enum handler_result h_issue_event(struct http_request *req, void *app);
enum handler_result h_project_events(struct http_request *req, void *app);
/* auth_sessions.c, auth_session_list.c, auth_users.c, auth_2fa.c, api_tokens.c, org_2fa.c
 * (accounts) */
enum handler_result h_session_create(struct http_request *req, void *app);
enum handler_result h_session_get(struct http_request *req, void *app);
enum handler_result h_session_delete(struct http_request *req, void *app);
enum handler_result h_session_2fa(struct http_request *req, void *app);
enum handler_result h_session_list(struct http_request *req, void *app);
enum handler_result h_session_revoke(struct http_request *req, void *app);
enum handler_result h_session_revoke_others(struct http_request *req, void *app);
enum handler_result h_register(struct http_request *req, void *app);
enum handler_result h_password_change(struct http_request *req, void *app);
enum handler_result h_password_reset(struct http_request *req, void *app);
enum handler_result h_password_reset_confirm(struct http_request *req, void *app);
enum handler_result h_2fa_status(struct http_request *req, void *app);
enum handler_result h_2fa_enroll(struct http_request *req, void *app);
enum handler_result h_2fa_confirm(struct http_request *req, void *app);
enum handler_result h_2fa_disable(struct http_request *req, void *app);
enum handler_result h_token_list(struct http_request *req, void *app);
enum handler_result h_token_create(struct http_request *req, void *app);
enum handler_result h_token_delete(struct http_request *req, void *app);
enum handler_result h_org_update(struct http_request *req, void *app);
/* organizations.c, members.c, teams.c, project_admin.c, keys.c, openapi.c (org resources) */
enum handler_result h_org_delete(struct http_request *req, void *app);
enum handler_result h_member_list(struct http_request *req, void *app);
enum handler_result h_member_invite(struct http_request *req, void *app);
enum handler_result h_member_detail(struct http_request *req, void *app);
enum handler_result h_member_update(struct http_request *req, void *app);
enum handler_result h_member_delete(struct http_request *req, void *app);
enum handler_result h_member_team_add(struct http_request *req, void *app);
enum handler_result h_member_team_remove(struct http_request *req, void *app);
enum handler_result h_invite_detail(struct http_request *req, void *app);
enum handler_result h_invite_accept(struct http_request *req, void *app);
enum handler_result h_team_detail(struct http_request *req, void *app);
enum handler_result h_team_update(struct http_request *req, void *app);
enum handler_result h_team_delete(struct http_request *req, void *app);
enum handler_result h_team_members(struct http_request *req, void *app);
enum handler_result h_team_projects(struct http_request *req, void *app);
enum handler_result h_project_update(struct http_request *req, void *app);
enum handler_result h_project_delete(struct http_request *req, void *app);
enum handler_result h_project_teams(struct http_request *req, void *app);
enum handler_result h_project_team_add(struct http_request *req, void *app);
enum handler_result h_project_team_remove(struct http_request *req, void *app);
enum handler_result h_key_detail(struct http_request *req, void *app);
enum handler_result h_key_update(struct http_request *req, void *app);
enum handler_result h_key_delete(struct http_request *req, void *app);
enum handler_result h_key_rotate(struct http_request *req, void *app);
enum handler_result h_openapi(struct http_request *req, void *app);
/* The OpenAPI 3 document of the route table (openapi.c); heap cJSON, the caller deletes. */
cJSON *api_openapi_document(struct arena *a, const char *server_url);
/* web.c: the embedded UI and the single-page-app fallback (the last route) */
enum handler_result h_web(struct http_request *req, void *app);

#endif
