/* roles: the organization roles and what each may do — the one place that says so. A role
 * grants a set of Sentry scopes (`org:read`, `team:write`, …); a request is allowed when both
 * the caller's role in the organization and the token's scopes include the scope it needs
 * (a session carries every scope, so the role decides). Roles, lowest first:
 *   member  — read everything, triage issues (event:*), releases.
 *   admin   — also create teams and projects; change and delete the teams and projects of
 *             the teams they belong to (ROLE_TEAM_BOUND).
 *   manager — also members (invite, change roles up to manager, remove), every team and
 *             project.
 *   owner   — everything, including the organization itself, its deletion and owners.
 * These are Sentry's organization roles. */
#ifndef SNAG_AUTH_ROLES_H
#define SNAG_AUTH_ROLES_H

#include <stdbool.h>

enum org_role { ROLE_MEMBER, ROLE_ADMIN, ROLE_MANAGER, ROLE_OWNER, ROLE__MAX };

/* ROLE__MAX for NULL or an unknown name. */
enum org_role role_parse(const char *name);
/* "member", "admin", "manager", "owner"; NULL for ROLE__MAX. */
const char *role_name(enum org_role r);
/* "Member", "Admin", "Manager", "Owner" (Sentry's roleName). */
const char *role_title(enum org_role r);
/* Whether the role grants scope ("team:write"); false for unknown roles and scopes. */
bool role_has_scope(enum org_role r, const char *scope);
/* The scopes the role grants, space-separated (static). */
const char *role_scopes(enum org_role r);
/* Whether team- and project-level writes need the actor to be on the team (admin). */
bool role_team_bound(enum org_role r);
/* Whether actor may give a member role target, or change or remove a member who has role
 * target: owners any role, managers up to manager, others none. */
bool role_may_manage(enum org_role actor, enum org_role target);

#endif
